//! The everyday types: addresses, names, SOA, MX and its kin, SRV, NAPTR, text types,
//! CAA, URI and the ILNP and EUI types.

use std::net::Ipv4Addr;

use super::reader::Reader;
use super::{encode, put};

/// A: dotted quad.
pub(super) fn a(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{}", Ipv4Addr::from(r.array::<4>()?));
    Some(())
}

/// AAAA, written as `inet_ntop` writes it.
pub(super) fn aaaa(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    encode::ipv6(out, r.array()?);
    Some(())
}

/// NS, CNAME, PTR, DNAME and the other single-name types.
pub(super) fn name(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{}", r.name()?);
    Some(())
}

/// MINFO, RP, TALINK: two names.
pub(super) fn two_names(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {}", r.name()?, r.name()?);
    Some(())
}

/// SOA: `mname rname serial refresh retry expire minimum`.
pub(super) fn soa(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {}", r.name()?, r.name()?);
    for _ in 0..5 {
        put!(out, " {}", r.u32()?);
    }
    Some(())
}

/// MX, AFSDB, RT, KX, LP: a 16-bit number and a name.
pub(super) fn preference_name(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {}", r.u16()?, r.name()?);
    Some(())
}

/// PX: `preference map822 mapx400`.
pub(super) fn px(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {} {}", r.u16()?, r.name()?, r.name()?);
    Some(())
}

/// SRV: `priority weight port target`.
pub(super) fn srv(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {} {} {}", r.u16()?, r.u16()?, r.u16()?, r.name()?);
    Some(())
}

/// NAPTR: `order preference "flags" "services" "regexp" replacement`.
pub(super) fn naptr(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {} ", r.u16()?, r.u16()?);
    for _ in 0..3 {
        encode::quoted(out, r.char_string()?);
        out.push(' ');
    }
    put!(out, "{}", r.name()?);
    Some(())
}

/// HINFO: `"cpu" "os"`.
pub(super) fn hinfo(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    encode::quoted(out, r.char_string()?);
    out.push(' ');
    encode::quoted(out, r.char_string()?);
    Some(())
}

/// TXT, SPF and the other types made of one or more character strings, each quoted.
pub(super) fn txt(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    encode::quoted(out, r.char_string()?);
    while !r.is_empty() {
        out.push(' ');
        encode::quoted(out, r.char_string()?);
    }
    Some(())
}

/// CAA (RFC 8659): `flags tag "value"`. The tag must be one or more ASCII letters and
/// digits.
pub(super) fn caa(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let flags = r.u8()?;
    let tag = r.char_string()?;
    if tag.is_empty() || !tag.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    put!(out, "{flags} {} ", String::from_utf8_lossy(tag));
    encode::quoted(out, r.rest());
    Some(())
}

/// URI (RFC 7553): `priority weight "target"`.
pub(super) fn uri(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {} ", r.u16()?, r.u16()?);
    encode::quoted(out, r.rest());
    Some(())
}

/// L32 (RFC 6742): `preference a.b.c.d`.
pub(super) fn l32(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {}", r.u16()?, Ipv4Addr::from(r.array::<4>()?));
    Some(())
}

/// NID and L64 (RFC 6742): `preference xxxx:xxxx:xxxx:xxxx`, groups without leading zeros.
pub(super) fn locator64(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(
        out,
        "{} {:x}:{:x}:{:x}:{:x}",
        r.u16()?,
        r.u16()?,
        r.u16()?,
        r.u16()?,
        r.u16()?
    );
    Some(())
}

/// EUI48 (RFC 7043): `xx-xx-xx-xx-xx-xx` in lower case.
pub(super) fn eui48(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    eui(out, &r.array::<6>()?);
    Some(())
}

/// EUI64 (RFC 7043): `xx-xx-xx-xx-xx-xx-xx-xx` in lower case.
pub(super) fn eui64(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    eui(out, &r.array::<8>()?);
    Some(())
}

fn eui(out: &mut String, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        put!(out, "{b:02x}");
    }
}
