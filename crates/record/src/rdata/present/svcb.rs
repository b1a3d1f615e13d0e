//! SVCB and HTTPS (RFC 9460): `priority target key=value…`.
//!
//! Parameters are checked as BIND's wire parser checks them (keys strictly increasing,
//! every key listed in `mandatory` present, `no-default-alpn` only after `alpn`, values
//! of the right shape for their key) and printed as `dig` prints them: `alpn` as a
//! quoted comma list, hints as comma lists of addresses, `ech` in base64, values of
//! unknown keys as quoted strings under `keyNNNNN`. Unlike BIND 9.18, which names only the
//! keys of the first RFC drafts, `dohpath` (RFC 9461) and `ohttp` (RFC 9540) are named.

use std::net::Ipv4Addr;

use super::reader::Reader;
use super::{encode, put};

const MANDATORY: u16 = 0;
const ALPN: u16 = 1;
const NO_DEFAULT_ALPN: u16 = 2;
const PORT: u16 = 3;
const IPV4HINT: u16 = 4;
const ECH: u16 = 5;
const IPV6HINT: u16 = 6;
const DOHPATH: u16 = 7;
const OHTTP: u16 = 8;

/// SVCB and HTTPS. AliasMode (priority 0) normally has no parameters and prints as
/// `0 target.`; any parameters it has are printed all the same, as BIND does.
pub(super) fn svcb(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {}", r.u16()?, r.name()?);
    let mut order = KeyOrder::default();
    while !r.is_empty() {
        let key = r.u16()?;
        let length = r.u16()?;
        let value = r.take(usize::from(length))?;
        order.accept(key, value)?;
        if !value_is_valid(key, value) {
            return None;
        }
        out.push(' ');
        write_param(out, key, value)?;
    }
    order.finish()
}

/// The rules that span parameters: keys strictly increasing, the keys listed in
/// `mandatory` all present, `no-default-alpn` only with `alpn`.
#[derive(Debug, Default)]
struct KeyOrder<'a> {
    last: Option<u16>,
    have_alpn: bool,
    /// The next key `mandatory` requires, and the ones after it.
    required: Option<u16>,
    more_required: Reader<'a>,
}

impl<'a> KeyOrder<'a> {
    fn accept(&mut self, key: u16, value: &'a [u8]) -> Option<()> {
        if self.last.is_some_and(|last| key <= last) {
            return None;
        }
        self.last = Some(key);
        if let Some(required) = self.required {
            if key > required {
                return None;
            }
            if key == required {
                self.required = self.more_required.u16();
            }
        }
        match key {
            ALPN => self.have_alpn = true,
            NO_DEFAULT_ALPN if !self.have_alpn => return None,
            MANDATORY => {
                self.more_required = Reader::new(value);
                let first = self.more_required.u16()?;
                if first == MANDATORY {
                    return None;
                }
                self.required = Some(first);
            }
            _ => {}
        }
        Some(())
    }

    fn finish(self) -> Option<()> {
        self.required.is_none().then_some(())
    }
}

/// Whether a value has the shape its key requires; values of unknown keys are opaque.
fn value_is_valid(key: u16, value: &[u8]) -> bool {
    match key {
        MANDATORY => mandatory_is_valid(value),
        ALPN => alpn_ids(value).is_some_and(|ids| !ids.is_empty()),
        NO_DEFAULT_ALPN | OHTTP => value.is_empty(),
        PORT => value.len() == 2,
        IPV4HINT => !value.is_empty() && value.len().is_multiple_of(4),
        IPV6HINT => !value.is_empty() && value.len().is_multiple_of(16),
        DOHPATH => value.first() == Some(&b'/') && std::str::from_utf8(value).is_ok(),
        _ => true,
    }
}

/// A non-empty list of keys in strictly increasing order.
fn mandatory_is_valid(value: &[u8]) -> bool {
    if value.is_empty() || !value.len().is_multiple_of(2) {
        return false;
    }
    let mut keys = Reader::new(value);
    let mut last = None;
    while let Some(key) = keys.u16() {
        if last.is_some_and(|last| key <= last) {
            return false;
        }
        last = Some(key);
    }
    true
}

/// The protocol ids of an `alpn` value: non-empty character strings filling the value.
fn alpn_ids(value: &[u8]) -> Option<Vec<&[u8]>> {
    let mut r = Reader::new(value);
    let mut ids = Vec::new();
    while !r.is_empty() {
        let id = r.char_string()?;
        if id.is_empty() {
            return None;
        }
        ids.push(id);
    }
    Some(ids)
}

/// `key` or `key=value` for one (valid) parameter.
fn write_param(out: &mut String, key: u16, value: &[u8]) -> Option<()> {
    write_key(out, key);
    if value.is_empty() {
        return Some(());
    }
    out.push('=');
    match key {
        MANDATORY => {
            let mut keys = Reader::new(value);
            while let Some(key) = keys.u16() {
                write_key(out, key);
                if !keys.is_empty() {
                    out.push(',');
                }
            }
        }
        ALPN => {
            out.push('"');
            for (i, id) in alpn_ids(value)?.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode::alpn_id(out, id);
            }
            out.push('"');
        }
        PORT => put!(out, "{}", Reader::new(value).u16()?),
        IPV4HINT => write_list(out, value, 4, |out, bytes| {
            put!(out, "{}", Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?));
            Some(())
        })?,
        IPV6HINT => write_list(out, value, 16, |out, bytes| {
            encode::ipv6(out, bytes.try_into().ok()?);
            Some(())
        })?,
        ECH => encode::base64(out, value),
        _ => encode::quoted(out, value),
    }
    Some(())
}

/// Comma-separated items of `size` bytes each.
fn write_list(
    out: &mut String,
    value: &[u8],
    size: usize,
    write_item: impl Fn(&mut String, &[u8]) -> Option<()>,
) -> Option<()> {
    for (i, item) in value.chunks_exact(size).enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_item(out, item)?;
    }
    Some(())
}

fn write_key(out: &mut String, key: u16) {
    let name = match key {
        MANDATORY => "mandatory",
        ALPN => "alpn",
        NO_DEFAULT_ALPN => "no-default-alpn",
        PORT => "port",
        IPV4HINT => "ipv4hint",
        ECH => "ech",
        IPV6HINT => "ipv6hint",
        DOHPATH => "dohpath",
        OHTTP => "ohttp",
        _ => {
            put!(out, "key{key}");
            return;
        }
    };
    out.push_str(name);
}
