//! Presentation form of rdata.

use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::{Name, RrType};

/// Renders canonical rdata as text; falls back to [`rfc3597`] when the rdata does not
/// parse as its type.
pub fn present(rrtype: RrType, rdata: &[u8]) -> String {
    typed(rrtype, rdata).unwrap_or_else(|| rfc3597(rdata))
}

/// The RFC 3597 §5 generic form: `\# <length> <hex>`.
pub fn rfc3597(rdata: &[u8]) -> String {
    let mut out = format!("\\# {}", rdata.len());
    if !rdata.is_empty() {
        out.push(' ');
        for b in rdata {
            let _ = write!(out, "{b:02X}");
        }
    }
    out
}

fn typed(rrtype: RrType, rdata: &[u8]) -> Option<String> {
    match rrtype {
        RrType::A => Some(Ipv4Addr::from(<[u8; 4]>::try_from(rdata).ok()?).to_string()),
        RrType::AAAA => Some(Ipv6Addr::from(<[u8; 16]>::try_from(rdata).ok()?).to_string()),
        RrType::NS | RrType::CNAME | RrType::PTR | RrType::DNAME => Some(Name::from_wire(rdata).ok()?.to_string()),
        _ => None,
    }
}
