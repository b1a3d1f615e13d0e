//! Rarer types with a text form in BIND: WKS, APL, IPSECKEY, AMTRELAY, HIP, DOA, SINK and
//! the RFC 1183 types X25, ISDN, NSAP and GPOS.

use std::net::Ipv4Addr;

use super::dnssec::set_bits;
use super::reader::Reader;
use super::{encode, put};

/// Longest WKS port bitmap: one bit for each of the 65536 ports.
const WKS_MAX_BITMAP: usize = 8192;

/// WKS (RFC 1035 §3.4.2): `address protocol port…`, numerically.
pub(super) fn wks(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let address = Ipv4Addr::from(r.array::<4>()?);
    let protocol = r.u8()?;
    let bitmap = r.rest();
    if bitmap.len() > WKS_MAX_BITMAP || bitmap.last() == Some(&0) {
        return None;
    }
    put!(out, "{address} {protocol}");
    for port in set_bits(bitmap, 0) {
        put!(out, " {port}");
    }
    Some(())
}

/// APL (RFC 3123): space-separated `[!]family:address/prefix` items, nothing at all for
/// an empty list. Only families 1 (IPv4) and 2 (IPv6) have a text form.
pub(super) fn apl(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let mut first = true;
    while !r.is_empty() {
        let (family, prefix, length) = (r.u16()?, r.u8()?, r.u8()?);
        let address = r.take(usize::from(length & 0x7f))?;
        if address.last() == Some(&0) {
            return None;
        }
        if !first {
            out.push(' ');
        }
        first = false;
        if length & 0x80 != 0 {
            out.push('!');
        }
        match family {
            1 if prefix <= 32 => put!(out, "1:{}", Ipv4Addr::from(padded::<4>(address)?)),
            2 if prefix <= 128 => {
                out.push_str("2:");
                encode::ipv6(out, padded::<16>(address)?);
            }
            _ => return None,
        }
        put!(out, "/{prefix}");
    }
    Some(())
}

/// `bytes` padded with zeros to `N` bytes; `None` if longer.
fn padded<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    let mut full = [0u8; N];
    full.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(full)
}

/// The gateway of IPSECKEY and AMTRELAY: none (`.`), IPv4, IPv6 or a name.
fn gateway(r: &mut Reader<'_>, out: &mut String, gateway_type: u8) -> Option<()> {
    match gateway_type {
        0 => out.push('.'),
        1 => put!(out, "{}", Ipv4Addr::from(r.array::<4>()?)),
        2 => encode::ipv6(out, r.array()?),
        3 => put!(out, "{}", r.name()?),
        _ => return None,
    }
    Some(())
}

/// IPSECKEY (RFC 4025): `precedence gateway-type algorithm gateway KEY`.
pub(super) fn ipseckey(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (precedence, gateway_type, algorithm) = (r.u8()?, r.u8()?, r.u8()?);
    put!(out, "{precedence} {gateway_type} {algorithm} ");
    gateway(r, out, gateway_type)?;
    out.push(' ');
    encode::base64_chunked(out, r.rest_nonempty()?);
    Some(())
}

/// AMTRELAY (RFC 8777): `precedence discovery-optional type gateway`.
pub(super) fn amtrelay(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (precedence, byte) = (r.u8()?, r.u8()?);
    let gateway_type = byte & 0x7f;
    put!(out, "{precedence} {} {gateway_type} ", byte >> 7);
    gateway(r, out, gateway_type)
}

/// HIP (RFC 8005): `algorithm HIT KEY [rendezvous-server…]`.
pub(super) fn hip(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (hit_length, algorithm, key_length) = (r.u8()?, r.u8()?, r.u16()?);
    if hit_length == 0 || key_length == 0 {
        return None;
    }
    let hit = r.take(usize::from(hit_length))?;
    let key = r.take(usize::from(key_length))?;
    put!(out, "{algorithm} ");
    encode::hex(out, hit);
    out.push(' ');
    encode::base64(out, key);
    while !r.is_empty() {
        put!(out, " {}", r.name()?);
    }
    Some(())
}

/// DOA (draft-durand-doa-over-dns): `enterprise type location "media-type" DATA`, the
/// data in base64 or `-` when empty.
pub(super) fn doa(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {} {} ", r.u32()?, r.u32()?, r.u8()?);
    encode::quoted(out, r.char_string()?);
    out.push(' ');
    match r.rest() {
        [] => out.push('-'),
        data => encode::base64(out, data),
    }
    Some(())
}

/// SINK (draft-eastlake-kitchen-sink): `meaning coding subcoding [DATA]`.
pub(super) fn sink(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {} {}", r.u8()?, r.u8()?, r.u8()?);
    let data = r.rest();
    if !data.is_empty() {
        out.push(' ');
        encode::base64_chunked(out, data);
    }
    Some(())
}

/// X25 (RFC 1183): one quoted string of at least four decimal digits.
pub(super) fn x25(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let address = r.char_string()?;
    if address.len() < 4 || !address.iter().all(u8::is_ascii_digit) {
        return None;
    }
    encode::quoted(out, address);
    Some(())
}

/// ISDN (RFC 1183): the address and an optional subaddress, quoted.
pub(super) fn isdn(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    encode::quoted(out, r.char_string()?);
    if !r.is_empty() {
        out.push(' ');
        encode::quoted(out, r.char_string()?);
    }
    Some(())
}

/// NSAP (RFC 1706): `0x` and the address in lower-case hex.
pub(super) fn nsap(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    out.push_str("0x");
    for b in r.rest_nonempty()? {
        put!(out, "{b:02x}");
    }
    Some(())
}

/// GPOS (RFC 1712): longitude, latitude and altitude as three quoted strings.
pub(super) fn gpos(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    for i in 0..3 {
        if i > 0 {
            out.push(' ');
        }
        encode::quoted(out, r.char_string()?);
    }
    Some(())
}
