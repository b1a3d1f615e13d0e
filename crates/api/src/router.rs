//! Routes and the state the handlers share.
//!
//! | path | what |
//! |---|---|
//! | `/dnsdb/v2/ping` | `{"ping":"ok"}`, no key needed |
//! | `/dnsdb/v2/rate_limit` | the key's limits, DNSDB's `{"rate":{…}}` |
//! | `/dnsdb/v2/lookup/…`, `/dnsdb/v2/summarize/…` | DNSDB lookups, SAF-framed |
//! | `/pdns/query/<name or address>` | CIRCL passive DNS, COF lines |
//!
//! Everything else is a JSON 404; methods other than GET (and HEAD) a JSON 405.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearsay_store::Store;
use tokio::sync::Semaphore;

use crate::auth::{ApiKey, Keys, credentials};
use crate::config::ApiConfig;
use crate::error::Rejection;
use crate::limits::Stats;
use crate::stream::Streamer;
use crate::{circl, dnsdb};

/// What every handler sees.
#[derive(Debug)]
pub(crate) struct AppState {
    pub store: Arc<Store>,
    pub config: ApiConfig,
    pub keys: Keys,
    pub global: Arc<Semaphore>,
    pub stats: Arc<Stats>,
    pub streamer: Streamer,
}

pub(crate) type Shared = Arc<AppState>;

impl AppState {
    pub fn new(
        store: Arc<Store>,
        config: ApiConfig,
        stats: Arc<Stats>,
        handle: tokio::runtime::Handle,
    ) -> Self {
        AppState {
            store,
            keys: Keys::new(&config),
            global: Arc::new(Semaphore::new(config.max_queries)),
            streamer: Streamer {
                handle,
                timeout: Duration::from_secs(config.query_timeout_secs),
                stats: Arc::clone(&stats),
            },
            stats,
            config,
        }
    }

    /// Counts a request.
    pub fn request(&self) {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts and answers a refused request.
    pub fn reject(&self, r: Rejection) -> Response {
        self.stats.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(status = r.status.as_u16(), message = %r.message, "request refused");
        r.into_response()
    }

    /// The key of a request, if it presented a valid one.
    pub fn key(&self, headers: &axum::http::HeaderMap) -> Option<Arc<ApiKey>> {
        self.keys.find(&credentials(headers))
    }

    /// The most rows a request of this key may get.
    pub fn max_rows(&self, key: &ApiKey) -> u64 {
        self.config.max_limit.min(key.limits.max_results)
    }
}

/// The router.
pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/dnsdb/v2/ping", get(dnsdb::ping))
        .route("/dnsdb/v2/rate_limit", get(dnsdb::rate_limit))
        .route("/dnsdb/v2/{*rest}", get(dnsdb::query))
        .route("/pdns/query/{*rest}", get(circl::query))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found(State(app): State<Shared>) -> Response {
    app.request();
    app.reject(Rejection::not_found(
        "no such endpoint: use /dnsdb/v2/lookup/…, /dnsdb/v2/summarize/…, \
         /dnsdb/v2/rate_limit, /dnsdb/v2/ping or /pdns/query/…",
    ))
}

async fn method_not_allowed(State(app): State<Shared>) -> Response {
    app.request();
    app.reject(Rejection::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "only GET is supported",
    ))
}
