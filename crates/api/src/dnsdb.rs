//! The DNSDB API version 2 under `/dnsdb/v2/`.
//!
//! ```text
//! /dnsdb/v2/{lookup,summarize}/rrset/name/OWNER[/RRTYPE[/BAILIWICK]]
//! /dnsdb/v2/{lookup,summarize}/rrset/raw/HEX[/RRTYPE]        owner name in wire form
//! /dnsdb/v2/{lookup,summarize}/rdata/name/NAME[/RRTYPE]
//! /dnsdb/v2/{lookup,summarize}/rdata/ip/ADDR | ADDR,PFXLEN | ADDR-ADDR
//! /dnsdb/v2/{lookup,summarize}/rdata/raw/HEX[/RRTYPE]
//! /dnsdb/v2/rate_limit    /dnsdb/v2/ping
//! ```
//!
//! Owners may be `*.example.com` (left-hand) or `www.example.*` (right-hand wildcard);
//! types may be `ANY` (all but DNSSEC) or `ANY-DNSSEC`. Query parameters: the time
//! fences, `limit` (default `default_limit`; `0` or more than the key's maximum gives
//! the maximum), `offset` (above `max_offset`: 416), `aggr`, `humantime`, `max_count`
//! (summarize), `swclient`, `version`, `id`. The key goes in `X-API-Key` (403 without a
//! valid one). Results are SAF lines; see [`crate::saf`].

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hearsay_query::{
    Flow, IpMatch, Lookup, NamePattern, Query, TypeFilter, dnsdb_object, dnsdb_summary, parse_hex,
    run_with, summarize_with,
};
use hearsay_record::Name;

use crate::error::Rejection;
use crate::limits::{Flavor, admit};
use crate::params::{DnsdbParams, segments};
use crate::router::Shared;
use crate::saf::{self, End};
use crate::stream::{Framing, Probe, Sink};

const PREFIX: &str = "/dnsdb/v2/";

/// lookup or summarize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Lookup,
    Summarize,
}

/// A parsed request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub verb: Verb,
    pub lookup: Lookup,
}

/// `GET /dnsdb/v2/ping`.
pub(crate) async fn ping(State(app): State<Shared>) -> Response {
    app.request();
    json(r#"{"ping":"ok"}"#.to_owned())
}

/// `GET /dnsdb/v2/rate_limit`: DNSDB's quota object, parsed by its clients as integers
/// or the strings `"n/a"` and `"unlimited"`. There is no daily quota here; the
/// per-minute quota is DNSDB's burst rate.
pub(crate) async fn rate_limit(State(app): State<Shared>, headers: HeaderMap) -> Response {
    app.request();
    let Some(key) = app.key(&headers) else {
        return app.reject(forbidden());
    };
    let mut rate = serde_json::json!({
        "reset": "n/a",
        "limit": "unlimited",
        "remaining": "n/a",
        "results_max": app.max_rows(&key),
        "offset_max": app.config.max_offset,
    });
    if let (Some(n), Some(obj)) = (key.limits.queries_per_minute, rate.as_object_mut()) {
        obj.insert("burst_size".into(), n.into());
        obj.insert("burst_window".into(), 60.into());
    }
    json(serde_json::json!({ "rate": rate }).to_string())
}

/// `GET /dnsdb/v2/{lookup,summarize}/…`.
pub(crate) async fn query(State(app): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    app.request();
    let Some(key) = app.key(&headers) else {
        return app.reject(forbidden());
    };
    let now = hearsay_query::time::now();
    let (request, params) =
        match parse_path(uri.path()).and_then(|r| Ok((r, DnsdbParams::parse(uri.query(), now)?))) {
            Ok(x) => x,
            Err(r) => return app.reject(r),
        };
    if params.max_count.is_some() && request.verb == Verb::Lookup {
        return app.reject(Rejection::bad_request(
            "max_count: a summarize parameter, not a lookup one",
        ));
    }
    if params.offset > app.config.max_offset {
        return app.reject(Rejection::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            format!(
                "offset {} is above the maximum of {}",
                params.offset, app.config.max_offset
            ),
        ));
    }
    let max = app.max_rows(&key);
    let limit = match params.limit {
        None => app.config.default_limit.min(max),
        Some(0) => max,
        Some(n) => n.min(max),
    };
    let permit = match admit(&key.limits, &app.global, &app.stats, Flavor::Dnsdb) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    tracing::debug!(
        key = %key.name,
        path = uri.path(),
        swclient = params.swclient.as_deref().unwrap_or(""),
        version = params.version.as_deref().unwrap_or(""),
        id = params.id.as_deref().unwrap_or(""),
        limit,
        "dnsdb query"
    );
    let rrset = matches!(request.lookup, Lookup::Rrset { .. });
    let query = Query {
        lookup: request.lookup,
        fences: params.fences,
        limit: Some(limit),
        offset: params.offset,
    };
    let store = std::sync::Arc::clone(&app.store);
    let stats = std::sync::Arc::clone(&app.stats);
    let humantime = params.humantime;
    let max_count = params.max_count;
    let verb = request.verb;
    app.streamer.respond(permit, Framing::Saf, move |sink| {
        sink.buf.extend_from_slice(saf::BEGIN);
        let probe = sink.probe();
        let view = store.view();
        let end = match verb {
            Verb::Lookup => {
                let mut rows = 0u64;
                let result = run_with(
                    &view,
                    &query,
                    &mut |row| {
                        saf::push_obj(&mut sink.buf, &dnsdb_object(&row, rrset, humantime));
                        rows += 1;
                        if sink.maybe_flush() {
                            Flow::Continue
                        } else {
                            Flow::Stop
                        }
                    },
                    &|| probe.cancelled(),
                );
                stats.rows.fetch_add(rows, Ordering::Relaxed);
                match result {
                    Err(e) => Some(End::Failed(e.to_string())),
                    Ok(o) if o.stopped => stopped(sink, &probe),
                    Ok(o) if o.limited => Some(End::Limited(format!(
                        "Result limit reached ({limit} rows); use offset for more"
                    ))),
                    Ok(_) => Some(End::Succeeded),
                }
            }
            Verb::Summarize => {
                match summarize_with(&view, &query, max_count, &|| probe.cancelled()) {
                    Err(e) => Some(End::Failed(e.to_string())),
                    Ok(o) if o.stopped => stopped(sink, &probe),
                    Ok(o) => {
                        saf::push_obj(&mut sink.buf, &dnsdb_summary(&o.summary, humantime));
                        if o.summary.limited {
                            Some(End::Limited(format!(
                                "Result limit reached ({limit} records summarized)"
                            )))
                        } else if o.max_count_reached {
                            Some(End::Limited("max_count reached".into()))
                        } else {
                            Some(End::Succeeded)
                        }
                    }
                }
            }
        };
        if let Some(end) = end {
            if matches!(end, End::Failed(_)) {
                stats.failed.fetch_add(1, Ordering::Relaxed);
            }
            saf::push_end(&mut sink.buf, &end);
        }
    })
}

/// How a stopped query ends: nothing more if its client left, `failed` if its time ran
/// out.
fn stopped(sink: &Sink, probe: &Probe) -> Option<End> {
    if probe.gone() {
        None
    } else {
        Some(End::Failed(sink.timeout_message()))
    }
}

fn forbidden() -> Rejection {
    Rejection::new(
        StatusCode::FORBIDDEN,
        "missing or invalid API key (send it in the X-API-Key header)",
    )
}

fn json(text: String) -> Response {
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Parses `/dnsdb/v2/VERB/…`.
pub(crate) fn parse_path(path: &str) -> Result<Request, Rejection> {
    let rest = path
        .strip_prefix(PREFIX)
        .ok_or_else(|| Rejection::not_found("not a DNSDB API v2 path"))?;
    let seg = segments(rest)?;
    let verb = match seg.first().map(String::as_str) {
        Some("lookup") => Verb::Lookup,
        Some("summarize") => Verb::Summarize,
        Some(v @ ("regex" | "glob")) => {
            return Err(Rejection::not_found(format!(
                "flexible search ({v}) is not supported by this server"
            )));
        }
        _ => {
            return Err(Rejection::not_found(
                "unknown endpoint: expected lookup, summarize, rate_limit or ping",
            ));
        }
    };
    let kind = (
        seg.get(1).map(String::as_str),
        seg.get(2).map(String::as_str),
    );
    let value = seg.get(3).map(String::as_str);
    let extra = &seg[seg.len().min(4)..];
    let Some(value) = value else {
        return Err(Rejection::bad_request(
            "incomplete path: expected rrset/name/OWNER, rrset/raw/HEX, rdata/name/NAME, \
             rdata/ip/ADDR or rdata/raw/HEX",
        ));
    };
    let rrtype = |max_extra: usize| -> Result<TypeFilter, Rejection> {
        if extra.len() > max_extra {
            return Err(Rejection::bad_request(format!(
                "unexpected path segment {:?}",
                extra[max_extra]
            )));
        }
        match extra.first() {
            None => Ok(TypeFilter::All),
            Some(t) => TypeFilter::parse(t).map_err(|e| Rejection::bad_request(e.to_string())),
        }
    };
    let lookup = match kind {
        (Some("rrset"), Some("name")) => {
            let owner = NamePattern::parse(value, false)
                .map_err(|e| Rejection::bad_request(e.to_string()))?;
            let rrtype = rrtype(2)?;
            let bailiwick = match extra.get(1) {
                None => None,
                Some(b) => Some(Name::from_presentation(b).map_err(|e| {
                    Rejection::bad_request(format!("invalid bailiwick {b:?}: {e}"))
                })?),
            };
            Lookup::Rrset {
                owner,
                rrtype,
                bailiwick,
            }
        }
        (Some("rrset"), Some("raw")) => Lookup::Rrset {
            owner: NamePattern::from_wire_hex(value)
                .map_err(|e| Rejection::bad_request(e.to_string()))?,
            rrtype: rrtype(1)?,
            bailiwick: None,
        },
        (Some("rdata"), Some("name")) => {
            let name = NamePattern::parse(value, false)
                .map_err(|e| Rejection::bad_request(e.to_string()))?;
            if matches!(name, NamePattern::StartsWith(_)) {
                return Err(Rejection::bad_request(
                    "right-hand wildcards (www.example.*) are supported for rrset lookups only",
                ));
            }
            Lookup::RdataName {
                name,
                rrtype: rrtype(1)?,
            }
        }
        (Some("rdata"), Some("ip")) => {
            rrtype(0)?;
            Lookup::RdataIp(
                IpMatch::parse(value).map_err(|e| Rejection::bad_request(e.to_string()))?,
            )
        }
        (Some("rdata"), Some("raw")) => Lookup::RdataRaw {
            rdata: parse_hex(value).map_err(|e| Rejection::bad_request(e.to_string()))?,
            rrtype: rrtype(1)?,
        },
        _ => {
            return Err(Rejection::bad_request(
                "unknown lookup: expected rrset/name, rrset/raw, rdata/name, rdata/ip or \
                 rdata/raw",
            ));
        }
    };
    Ok(Request { verb, lookup })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_record::RrType;

    fn ok(path: &str) -> Request {
        parse_path(path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn status(path: &str) -> u16 {
        parse_path(path).unwrap_err().status.as_u16()
    }

    fn n(s: &str) -> Name {
        Name::from_presentation(s).unwrap()
    }

    #[test]
    fn paths() {
        let r = ok("/dnsdb/v2/lookup/rrset/name/%2A.example.com/A/example.com");
        assert_eq!(r.verb, Verb::Lookup);
        assert_eq!(
            r.lookup,
            Lookup::Rrset {
                owner: NamePattern::Below(n("example.com")),
                rrtype: TypeFilter::One(RrType::A),
                bailiwick: Some(n("example.com")),
            }
        );
        let r = ok("/dnsdb/v2/summarize/rrset/name/www.example.*/ANY");
        assert_eq!(r.verb, Verb::Summarize);
        assert!(matches!(
            r.lookup,
            Lookup::Rrset {
                owner: NamePattern::StartsWith(_),
                rrtype: TypeFilter::AnyButDnssec,
                ..
            }
        ));
        assert_eq!(
            ok("/dnsdb/v2/lookup/rrset/name/.").lookup,
            Lookup::Rrset {
                owner: NamePattern::Exact(Name::root()),
                rrtype: TypeFilter::All,
                bailiwick: None
            }
        );
        assert!(matches!(
            ok("/dnsdb/v2/lookup/rrset/raw/076578616d706c6503636f6d00/NS").lookup,
            Lookup::Rrset { owner: NamePattern::Exact(o), rrtype: TypeFilter::One(RrType::NS), .. }
                if o == n("example.com")
        ));
        assert!(matches!(
            ok("/dnsdb/v2/lookup/rdata/ip/10.0.0.0,24").lookup,
            Lookup::RdataIp(m) if m == IpMatch::parse("10.0.0.0/24").unwrap()
        ));
        assert!(matches!(
            ok("/dnsdb/v2/lookup/rdata/ip/10.0.0.1-10.0.0.9/").lookup,
            Lookup::RdataIp(_)
        ));
        assert!(matches!(
            ok("/dnsdb/v2/lookup/rdata/name/ns1.example.net/NS").lookup,
            Lookup::RdataName {
                rrtype: TypeFilter::One(RrType::NS),
                ..
            }
        ));
        assert!(matches!(
            ok("/dnsdb/v2/lookup/rdata/raw/c0000201/A").lookup,
            Lookup::RdataRaw { rdata, .. } if rdata == [192, 0, 2, 1]
        ));
        assert!(matches!(
            ok("/dnsdb/v2/lookup/rdata/name/%2A.example.net/ANY-DNSSEC").lookup,
            Lookup::RdataName {
                rrtype: TypeFilter::Dnssec,
                ..
            }
        ));
    }

    #[test]
    fn bad_paths() {
        for (path, want) in [
            ("/dnsdb/v2/lookup/rrset/name/example.com/BOGUS", 400),
            (
                "/dnsdb/v2/lookup/rrset/name/example.com/A/example.com/x",
                400,
            ),
            ("/dnsdb/v2/lookup/rrset/name/a..b", 400),
            (
                "/dnsdb/v2/lookup/rrset/name/example.com/A/other.org%zz",
                400,
            ),
            ("/dnsdb/v2/lookup/rrset/name", 400),
            ("/dnsdb/v2/lookup/rrset/name/", 400),
            ("/dnsdb/v2/lookup/rrset/bogus/x", 400),
            ("/dnsdb/v2/lookup/rrset/raw/0377", 400),
            ("/dnsdb/v2/lookup/rdata/ip/300.1.2.3", 400),
            ("/dnsdb/v2/lookup/rdata/ip/10.0.0.1/A", 400),
            ("/dnsdb/v2/lookup/rdata/ip/10.0.0.1,33", 400),
            ("/dnsdb/v2/lookup/rdata/raw/xyz", 400),
            ("/dnsdb/v2/lookup/rdata/name/ns1.example.*", 400),
            ("/dnsdb/v2/lookup/rdata/name/%ff", 400),
            ("/dnsdb/v2/bogus/rrset/name/example.com", 404),
            ("/dnsdb/v2/regex/rrnames/x", 404),
            ("/dnsdb/v2/", 404),
        ] {
            assert_eq!(status(path), want, "{path}");
        }
    }
}
