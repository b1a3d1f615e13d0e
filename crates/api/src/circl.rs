//! CIRCL's passive DNS API at `/pdns/query/<q>`, as pypdns speaks it.
//!
//! `q` is an address (or a network, `ADDR/LEN`): the records pointing there; or a name:
//! its records, then the records whose rdata names it (NS, CNAME, MX, … pointing at
//! it); `*.example.com` and `www.example.*` work too. Each record is one line of the
//! Passive DNS Common Output Format.
//!
//! Request headers: `dribble-filter-rrtype` (one type; an unknown one matches nothing,
//! as pypdns documents), `dribble-paginate-count` (records per page) and
//! `dribble-paginate-cursor` (where the page starts: the `x-dribble-cursor` of the
//! previous page, which is absent on the last one). The cursor is opaque to clients; it
//! holds which of the lookups above and how many of its records were passed.
//! Authentication: HTTP Basic (the password is an API key), or the `X-API-Key` header.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hearsay_query::{
    Flow, IpMatch, Lookup, NamePattern, Query, QueryError, Row, TypeFilter, circl_record, run_with,
    sensor_id,
};
use hearsay_record::Name;
use hearsay_store::View;

use crate::error::Rejection;
use crate::limits::{Flavor, admit};
use crate::params::{decode, integer};
use crate::router::Shared;
use crate::stream::{Framing, ndjson_bytes};

const PREFIX: &str = "/pdns/query/";
/// Records per page at most.
const PAGE_MAX: u64 = 10_000;
/// A cursor is `lookup index × PHASE + records passed`.
const PHASE: u64 = 1 << 40;

/// What a CIRCL query looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Looked up one after the other.
    pub lookups: Vec<Lookup>,
    /// Records of the later lookups owned by this name were already in the first.
    pub skip_owner: Option<Name>,
    /// Only these types.
    pub filter: TypeFilter,
}

impl Plan {
    pub fn new(q: &str, filter: TypeFilter) -> Result<Plan, Rejection> {
        let q = q.trim();
        if q.is_empty() {
            return Err(Rejection::bad_request("empty query"));
        }
        match IpMatch::parse(q) {
            Ok(m) => {
                return Ok(Plan {
                    lookups: vec![Lookup::RdataIp(m)],
                    skip_owner: None,
                    filter,
                });
            }
            Err(e)
                if q.contains(':')
                    || q.bytes()
                        .all(|b| b.is_ascii_digit() || b".,/-".contains(&b)) =>
            {
                return Err(Rejection::bad_request(e.to_string()));
            }
            Err(_) => {}
        }
        let pattern =
            NamePattern::parse(q, false).map_err(|e| Rejection::bad_request(e.to_string()))?;
        let rrset = Lookup::Rrset {
            owner: pattern.clone(),
            rrtype: filter,
            bailiwick: None,
        };
        let (lookups, skip_owner) = match &pattern {
            NamePattern::StartsWith(_) => (vec![rrset], None),
            NamePattern::Exact(n) => (
                vec![
                    rrset,
                    Lookup::RdataName {
                        name: pattern.clone(),
                        rrtype: filter,
                    },
                ],
                Some(n.clone()),
            ),
            _ => (
                vec![
                    rrset,
                    Lookup::RdataName {
                        name: pattern.clone(),
                        rrtype: filter,
                    },
                ],
                None,
            ),
        };
        Ok(Plan {
            lookups,
            skip_owner,
            filter,
        })
    }

    /// Should a row of lookup `phase` be shown?
    fn shows(&self, phase: usize, row: &Row) -> bool {
        self.filter.accepts(row.key.rrtype)
            && !(phase > 0 && self.skip_owner.as_ref() == Some(&row.key.rrname))
    }
}

/// `GET /pdns/query/<q>`.
pub(crate) async fn query(State(app): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    app.request();
    let Some(key) = app.key(&headers) else {
        let mut r = Rejection::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: HTTP Basic with an API key as the password",
        );
        r.basic_challenge = true;
        return app.reject(r);
    };
    let q = match uri.path().strip_prefix(PREFIX).map(|q| decode(q, false)) {
        Some(Ok(q)) => q,
        Some(Err(r)) => return app.reject(r),
        None => return app.reject(Rejection::not_found("not a /pdns/query/ path")),
    };
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().map(str::trim).unwrap_or("\u{fffd}"))
    };
    // pypdns: "must be a valid RR Type or the response will be empty".
    let filter = match header("dribble-filter-rrtype").map(TypeFilter::parse) {
        None => TypeFilter::All,
        Some(Ok(f)) => f,
        Some(Err(_)) => return ndjson_bytes(Vec::new()),
    };
    let plan = match Plan::new(&q, filter) {
        Ok(p) => p,
        Err(r) => return app.reject(r),
    };
    let max = app.max_rows(&key);
    let page = match header("dribble-paginate-count") {
        None => None,
        Some(v) => match integer("dribble-paginate-count", v) {
            Ok(0) => {
                return app.reject(Rejection::bad_request("dribble-paginate-count: at least 1"));
            }
            Ok(n) => Some(n.min(PAGE_MAX).min(max)),
            Err(r) => return app.reject(r),
        },
    };
    let cursor = match header("dribble-paginate-cursor").map(|v| integer("cursor", v)) {
        None => (0, 0),
        Some(Ok(c)) => {
            let (phase, offset) = ((c / PHASE) as usize, c % PHASE);
            if phase >= plan.lookups.len() {
                return app.reject(Rejection::bad_request(
                    "dribble-paginate-cursor: not a cursor of this query",
                ));
            }
            if offset > app.config.max_offset {
                return app.reject(Rejection::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    format!(
                        "dribble-paginate-cursor: past the deepest position served ({})",
                        app.config.max_offset
                    ),
                ));
            }
            (phase, offset)
        }
        Some(Err(r)) => return app.reject(r),
    };
    let permit = match admit(&key.limits, &app.global, &app.stats, Flavor::Circl) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    tracing::debug!(key = %key.name, q = %q, ?page, ?cursor, "circl query");
    let store = Arc::clone(&app.store);
    let stats = Arc::clone(&app.stats);
    match page {
        None => app.streamer.respond(permit, Framing::Plain, move |sink| {
            let probe = sink.probe();
            let view = store.view();
            let mut left = max;
            let mut rows = 0u64;
            for (phase, lookup) in plan.lookups.iter().enumerate() {
                let q = Query {
                    lookup: lookup.clone(),
                    fences: Default::default(),
                    limit: Some(left),
                    offset: 0,
                };
                let result = run_with(
                    &view,
                    &q,
                    &mut |row| {
                        if plan.shows(phase, &row) {
                            push_record(&mut sink.buf, &row);
                            rows += 1;
                        }
                        if sink.maybe_flush() {
                            Flow::Continue
                        } else {
                            Flow::Stop
                        }
                    },
                    &|| probe.cancelled(),
                );
                match result {
                    Ok(o) if !o.stopped && !o.limited => left -= o.rows,
                    Ok(o) if o.limited => break,
                    Ok(_) => {
                        sink.abort();
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "circl query failed");
                        stats.failed.fetch_add(1, Ordering::Relaxed);
                        sink.abort();
                        break;
                    }
                }
            }
            stats.rows.fetch_add(rows, Ordering::Relaxed);
        }),
        Some(count) => {
            let timeout = app.streamer.timeout;
            let job = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let deadline = std::time::Instant::now() + timeout;
                let view = store.view();
                let page = one_page(&view, &plan, cursor, count, &|| {
                    std::time::Instant::now() >= deadline
                });
                if let Ok((_, rows, _)) = &page {
                    stats.rows.fetch_add(*rows, Ordering::Relaxed);
                }
                page
            });
            match job.await {
                Ok(Ok((body, _, next))) => {
                    let mut r = ndjson_bytes(body);
                    if let Some(next) = next
                        && let Ok(v) = HeaderValue::from_str(&next.to_string())
                    {
                        r.headers_mut().insert("x-dribble-cursor", v);
                    }
                    r
                }
                Ok(Err(e)) => {
                    app.stats.failed.fetch_add(1, Ordering::Relaxed);
                    Rejection::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
                }
                Err(_) => Rejection::new(StatusCode::INTERNAL_SERVER_ERROR, "query failed")
                    .into_response(),
            }
        }
    }
}

/// Appends one COF line.
fn push_record(out: &mut Vec<u8>, row: &Row) {
    let sid = sensor_id(row);
    let start = out.len();
    if serde_json::to_writer(&mut *out, &circl_record(row, &sid)).is_err() {
        out.truncate(start);
        return;
    }
    out.push(b'\n');
}

/// One page: its lines, the rows passed, and the cursor of the next page (none when
/// nothing follows).
fn one_page(
    view: &View<'_>,
    plan: &Plan,
    (start_phase, start_offset): (usize, u64),
    count: u64,
    expired: &dyn Fn() -> bool,
) -> Result<(Vec<u8>, u64, Option<u64>), PageError> {
    let mut out = Vec::new();
    let mut left = count;
    let mut shown = 0u64;
    for phase in start_phase..plan.lookups.len() {
        let offset = if phase == start_phase {
            start_offset
        } else {
            0
        };
        let q = Query {
            lookup: plan.lookups[phase].clone(),
            fences: Default::default(),
            limit: Some(left),
            offset,
        };
        let outcome = run_with(
            view,
            &q,
            &mut |row| {
                if plan.shows(phase, &row) {
                    push_record(&mut out, &row);
                    shown += 1;
                }
                Flow::Continue
            },
            expired,
        )?;
        if outcome.stopped {
            return Err(PageError::TimedOut);
        }
        if outcome.limited {
            return Ok((out, shown, Some(cursor(phase, offset + outcome.rows))));
        }
        left -= outcome.rows;
        if left == 0 {
            // The page is full: does anything follow?
            for later in phase + 1..plan.lookups.len() {
                let peek = Query {
                    lookup: plan.lookups[later].clone(),
                    fences: Default::default(),
                    limit: Some(0),
                    offset: 0,
                };
                let o = run_with(view, &peek, &mut |_| Flow::Continue, expired)?;
                if o.stopped {
                    return Err(PageError::TimedOut);
                }
                if o.limited {
                    return Ok((out, shown, Some(cursor(later, 0))));
                }
            }
            return Ok((out, shown, None));
        }
    }
    Ok((out, shown, None))
}

fn cursor(phase: usize, offset: u64) -> u64 {
    phase as u64 * PHASE + offset
}

/// Why a page could not be made.
#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error("query timed out")]
    TimedOut,
    #[error(transparent)]
    Query(#[from] QueryError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let p = Plan::new("192.0.2.1", TypeFilter::All).unwrap();
        assert!(matches!(p.lookups[..], [Lookup::RdataIp(_)]));
        let p = Plan::new("2001:db8::/32", TypeFilter::All).unwrap();
        assert!(matches!(p.lookups[..], [Lookup::RdataIp(_)]));
        let p = Plan::new("www.example.com", TypeFilter::All).unwrap();
        assert!(matches!(
            p.lookups[..],
            [Lookup::Rrset { .. }, Lookup::RdataName { .. }]
        ));
        assert!(p.skip_owner.is_some());
        let p = Plan::new("www.example.*", TypeFilter::All).unwrap();
        assert_eq!(p.lookups.len(), 1);
        assert!(Plan::new("300.1.1.1", TypeFilter::All).is_err());
        assert!(Plan::new("a..b", TypeFilter::All).is_err());
        assert!(Plan::new(" ", TypeFilter::All).is_err());
        assert_eq!(cursor(1, 5), PHASE + 5);
    }
}
