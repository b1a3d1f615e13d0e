//! LOC (RFC 1876): `d m s.fff N|S d m s.fff E|W altitude size hp vp`, e.g.
//! `52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m`, as BIND prints it.

use super::put;
use super::reader::Reader;

/// The equator and the prime meridian: coordinates are offsets from 2^31 in
/// thousandths of an arc second.
const EQUATOR: u32 = 1 << 31;
/// A thousandth of an arc second times this is a degree.
const MS_PER_DEGREE: u32 = 3_600_000;
/// Altitudes are offsets from 100 000 m below the WGS 84 spheroid, in centimetres.
const ALTITUDE_BASE: u32 = 10_000_000;

/// LOC version 0; other versions have no text form.
pub(super) fn loc(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    if r.u8()? != 0 {
        return None;
    }
    let [size, horizontal, vertical] = r.array::<3>()?;
    let precisions = [size, horizontal, vertical].map(precision_cm);
    let latitude = coordinate(r.u32()?, 90, ('N', 'S'))?;
    let longitude = coordinate(r.u32()?, 180, ('E', 'W'))?;
    let altitude = r.u32()?;
    let [Some(size), Some(horizontal), Some(vertical)] = precisions else {
        return None;
    };
    put!(out, "{latitude} {longitude} ");
    write_altitude(out, altitude);
    for cm in [size, horizontal, vertical] {
        out.push(' ');
        write_precision(out, cm);
    }
    Some(())
}

/// A size or precision byte (mantissa in the high nibble, power of ten in the low one)
/// in centimetres. Zero is allowed; otherwise both digits must be decimal and the
/// mantissa non-zero.
fn precision_cm(byte: u8) -> Option<u64> {
    let (mantissa, exponent) = (byte >> 4, byte & 0x0f);
    if byte != 0 && (mantissa == 0 || mantissa > 9 || exponent > 9) {
        return None;
    }
    Some(u64::from(mantissa) * 10u64.pow(u32::from(exponent)))
}

/// Whole metres when the value is at least a metre's power of ten, else `0.cc`.
fn write_precision(out: &mut String, cm: u64) {
    if cm >= 100 && cm.is_multiple_of(100) {
        put!(out, "{}m", cm / 100);
    } else {
        put!(out, "0.{cm:02}m");
    }
}

/// `d m s.fff H` for a latitude (`limit` 90) or longitude (`limit` 180); `None` beyond
/// the limit.
fn coordinate(raw: u32, limit: u32, (positive, negative): (char, char)) -> Option<String> {
    let (hemisphere, offset) = if raw >= EQUATOR {
        (positive, raw - EQUATOR)
    } else {
        (negative, EQUATOR - raw)
    };
    if offset > limit * MS_PER_DEGREE {
        return None;
    }
    let (thousandths, seconds) = (offset % 1000, offset / 1000);
    let (minutes, degrees) = (seconds / 60 % 60, seconds / 3600);
    Some(format!(
        "{degrees} {minutes} {}.{thousandths:03} {hemisphere}",
        seconds % 60
    ))
}

fn write_altitude(out: &mut String, raw: u32) {
    let (sign, cm) = if raw < ALTITUDE_BASE {
        ("-", ALTITUDE_BASE - raw)
    } else {
        ("", raw - ALTITUDE_BASE)
    };
    put!(out, "{sign}{}.{:02}m", cm / 100, cm % 100);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1876_example() {
        // 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
        let rdata = [
            0x00, 0x00, 0x16, 0x13, 0x8b, 0x3c, 0xf0, 0x18, 0x81, 0x0c, 0xbc, 0xe0, 0x00, 0x98,
            0x95, 0xb8,
        ];
        let mut out = String::new();
        let mut r = Reader::new(&rdata);
        assert_eq!(loc(&mut r, &mut out), Some(()));
        assert_eq!(out, "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m");
    }

    #[test]
    fn precisions() {
        let text = |byte| {
            let mut out = String::new();
            write_precision(&mut out, precision_cm(byte).unwrap_or(u64::MAX));
            out
        };
        assert_eq!(text(0x00), "0.00m");
        assert_eq!(text(0x10), "0.01m");
        assert_eq!(text(0x91), "0.90m");
        assert_eq!(text(0x12), "1m");
        assert_eq!(text(0x99), "90000000m");
        assert_eq!(precision_cm(0x01), None);
        assert_eq!(precision_cm(0x1a), None);
    }
}
