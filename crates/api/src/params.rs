//! Request parsing shared by both protocols: strict percent-decoding of path segments
//! and query strings, and typed query parameters.
//!
//! Paths are split on `/` first and each segment decoded after (so `%2F` stays inside a
//! segment); nothing is normalised: `.` is the root name, not "this directory".

use hearsay_query::Fences;
use hearsay_query::time::parse_time;

use crate::error::Rejection;

/// Decodes one percent-encoded component; `plus_is_space` for query strings (HTML form
/// encoding, what `requests` sends). A `%` not followed by two hex digits, or bytes
/// that are not UTF-8, are errors.
pub(crate) fn decode(raw: &str, plus_is_space: bool) -> Result<String, Rejection> {
    let bad = |why: &str| Rejection::bad_request(format!("{why} in {raw:?}"));
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |b: u8| (b as char).to_digit(16);
                let (Some(h), Some(l)) = (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(bad("malformed percent-encoding"));
                };
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad("percent-encoded bytes that are not UTF-8"))
}

/// The path after `prefix`, split into decoded segments. One trailing `/` is allowed;
/// empty segments elsewhere are errors.
pub(crate) fn segments(rest: &str) -> Result<Vec<String>, Rejection> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('/')
        .map(|s| {
            if s.is_empty() {
                Err(Rejection::bad_request("empty path segment"))
            } else {
                decode(s, false)
            }
        })
        .collect()
}

/// Decoded `name=value` pairs of a query string, in order.
pub(crate) fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, Rejection> {
    let Some(q) = query else {
        return Ok(Vec::new());
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((decode(k, true)?, decode(v, true)?))
        })
        .collect()
}

/// DNSDB's booleans: `true`/`false`, `True`/`False`, `t`/`f`, `1`/`0`.
pub(crate) fn boolean(name: &str, value: &str) -> Result<bool, Rejection> {
    match value {
        "true" | "True" | "TRUE" | "t" | "T" | "1" => Ok(true),
        "false" | "False" | "FALSE" | "f" | "F" | "0" => Ok(false),
        _ => Err(Rejection::bad_request(format!(
            "{name}: {value:?} is not a boolean (true/false, t/f, 1/0)"
        ))),
    }
}

/// A non-negative integer.
pub(crate) fn integer(name: &str, value: &str) -> Result<u64, Rejection> {
    value.trim().parse::<u64>().map_err(|_| {
        Rejection::bad_request(format!(
            "{name}: {value:?} is not a non-negative integer that fits in 64 bits"
        ))
    })
}

/// The parameters of a DNSDB lookup or summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DnsdbParams {
    pub fences: Fences,
    /// As asked (`Some(0)`: the maximum).
    pub limit: Option<u64>,
    pub offset: u64,
    pub aggr: bool,
    pub humantime: bool,
    pub max_count: Option<u64>,
    pub swclient: Option<String>,
    pub version: Option<String>,
    pub id: Option<String>,
}

impl DnsdbParams {
    /// Parses a query string; times relative to `now`. Unknown parameters are refused,
    /// so that a misspelt fence does not silently widen a query.
    pub fn parse(query: Option<&str>, now: u64) -> Result<Self, Rejection> {
        let mut p = DnsdbParams {
            aggr: true,
            ..Default::default()
        };
        for (name, value) in query_pairs(query)? {
            let time = |v: &str| {
                parse_time(v, now).map_err(|_| {
                    Rejection::bad_request(format!(
                        "{name}: {v:?} is not a time (epoch seconds, or negative: seconds before now)"
                    ))
                })
            };
            match name.as_str() {
                "time_first_before" => p.fences.first_before = Some(time(&value)?),
                "time_first_after" => p.fences.first_after = Some(time(&value)?),
                "time_last_before" => p.fences.last_before = Some(time(&value)?),
                "time_last_after" => p.fences.last_after = Some(time(&value)?),
                "limit" => p.limit = Some(integer(&name, &value)?),
                "offset" => p.offset = integer(&name, &value)?,
                "max_count" => p.max_count = Some(integer(&name, &value)?),
                "aggr" => p.aggr = boolean(&name, &value)?,
                "humantime" => p.humantime = boolean(&name, &value)?,
                "swclient" => p.swclient = Some(value),
                "version" => p.version = Some(value),
                "id" => p.id = Some(value),
                other => {
                    return Err(Rejection::bad_request(format!(
                        "unknown query parameter {other:?}"
                    )));
                }
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_strict() {
        assert_eq!(decode("%2A.example.com", false).unwrap(), "*.example.com");
        assert_eq!(decode("a+b", false).unwrap(), "a+b");
        assert_eq!(decode("a+b%20c", true).unwrap(), "a b c");
        assert!(decode("%zz", false).is_err());
        assert!(decode("abc%4", false).is_err());
        assert!(decode("%ff", false).is_err());
        assert_eq!(
            segments("rrset/name/a%2Fb/A/").unwrap(),
            ["rrset", "name", "a/b", "A"]
        );
        assert_eq!(segments("rrset/name/.").unwrap(), ["rrset", "name", "."]);
        assert!(segments("rrset//x").is_err());
    }

    #[test]
    fn dnsdb_parameters() {
        let p = DnsdbParams::parse(
            Some("swclient=dnsdb2python&version=1.2.0&limit=5&time_first_after=-60&humantime=True&aggr=f"),
            1000,
        )
        .unwrap();
        assert_eq!(p.limit, Some(5));
        assert_eq!(p.fences.first_after, Some(940));
        assert!(p.humantime && !p.aggr);
        assert_eq!(p.swclient.as_deref(), Some("dnsdb2python"));
        for bad in [
            "limit=-1",
            "limit=99999999999999999999999",
            "offset=x",
            "humantime=yes",
            "time_last_before=yesterday",
            "bogus=1",
            "time_frist_after=1",
        ] {
            let e = DnsdbParams::parse(Some(bad), 0).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
        }
        for t in ["true", "True", "t", "1"] {
            assert!(boolean("x", t).unwrap());
        }
        for f in ["false", "False", "f", "0"] {
            assert!(!boolean("x", f).unwrap());
        }
    }
}
