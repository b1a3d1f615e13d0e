//! Limits: queries at once per key and overall, a per-minute quota per key, and the
//! server's counters.
//!
//! A query holds its [`Permit`] until its producer thread finishes (not merely until
//! the response headers are out), so the concurrency limits count the store work that
//! is really running.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::http::StatusCode;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::ApiKeyConfig;
use crate::error::Rejection;

/// The limits of one key.
#[derive(Debug)]
pub(crate) struct KeyLimits {
    pub max_concurrent: usize,
    pub max_results: u64,
    pub queries_per_minute: Option<u32>,
    running: Arc<Semaphore>,
    bucket: Option<Mutex<Bucket>>,
}

/// A token bucket: `capacity` tokens, refilled at `capacity` per minute.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes a token, or says in how many seconds one will be there.
    fn take(&mut self, now: Instant) -> Result<(), u64> {
        let per_sec = self.capacity / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

impl KeyLimits {
    pub fn new(config: &ApiKeyConfig) -> Self {
        KeyLimits {
            max_concurrent: config.max_concurrent,
            max_results: config.max_results,
            queries_per_minute: config.queries_per_minute,
            running: Arc::new(Semaphore::new(config.max_concurrent)),
            bucket: config.queries_per_minute.map(|n| {
                Mutex::new(Bucket {
                    capacity: f64::from(n),
                    tokens: f64::from(n),
                    at: Instant::now(),
                })
            }),
        }
    }
}

/// Which protocol a refusal is for: DNSDB says 503 when too many queries run (its
/// clients raise `ConcurrencyExceeded`) and 429 for an exhausted quota; CIRCL clients
/// know only 429 as "slow down".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Dnsdb,
    Circl,
}

/// Held while a query runs.
#[derive(Debug)]
pub(crate) struct Permit {
    _key: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
    stats: Arc<Stats>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.stats.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Admits a query of a key: the key's quota, then its concurrency, then the server's.
pub(crate) fn admit(
    limits: &KeyLimits,
    global: &Arc<Semaphore>,
    stats: &Arc<Stats>,
    flavor: Flavor,
) -> Result<Permit, Rejection> {
    let busy = match flavor {
        Flavor::Dnsdb => StatusCode::SERVICE_UNAVAILABLE,
        Flavor::Circl => StatusCode::TOO_MANY_REQUESTS,
    };
    if let Some(bucket) = &limits.bucket {
        let mut b = bucket.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(wait) = b.take(Instant::now()) {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            let mut r = Rejection::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "quota of {} queries per minute exhausted; retry in {wait} s",
                    limits.queries_per_minute.unwrap_or_default()
                ),
            );
            r.retry_after = Some(wait);
            return Err(r);
        }
    }
    let Ok(key) = Arc::clone(&limits.running).try_acquire_owned() else {
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return Err(Rejection::new(
            busy,
            format!(
                "this key already runs {} queries, its limit",
                limits.max_concurrent
            ),
        ));
    };
    let Ok(global) = Arc::clone(global).try_acquire_owned() else {
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return Err(Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server runs as many queries as it may; retry shortly",
        ));
    };
    stats.queries.fetch_add(1, Ordering::Relaxed);
    stats.running.fetch_add(1, Ordering::Relaxed);
    Ok(Permit {
        _key: key,
        _global: global,
        stats: Arc::clone(stats),
    })
}

/// Counters of a running server.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub requests: AtomicU64,
    pub queries: AtomicU64,
    pub running: AtomicU64,
    pub rows: AtomicU64,
    pub cancelled: AtomicU64,
    pub timed_out: AtomicU64,
    pub failed: AtomicU64,
    pub refused: AtomicU64,
    pub rejected: AtomicU64,
}

/// A snapshot of the server's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApiStats {
    /// HTTP requests received.
    pub requests: u64,
    /// Queries admitted (lookups and summaries).
    pub queries: u64,
    /// Queries running now (their store work, streaming included).
    pub running: u64,
    /// Result rows produced.
    pub rows: u64,
    /// Queries stopped because the client went away.
    pub cancelled: u64,
    /// Queries stopped by `query_timeout_secs`.
    pub timed_out: u64,
    /// Queries that failed in the store.
    pub failed: u64,
    /// Queries refused by a concurrency limit or quota.
    pub refused: u64,
    /// Requests refused as malformed or unauthorised.
    pub rejected: u64,
}

impl Stats {
    pub fn snapshot(&self) -> ApiStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ApiStats {
            requests: get(&self.requests),
            queries: get(&self.queries),
            running: get(&self.running),
            rows: get(&self.rows),
            cancelled: get(&self.cancelled),
            timed_out: get(&self.timed_out),
            failed: get(&self.failed),
            refused: get(&self.refused),
            rejected: get(&self.rejected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_per_minute() {
        let t0 = Instant::now();
        let mut b = Bucket {
            capacity: 2.0,
            tokens: 2.0,
            at: t0,
        };
        assert!(b.take(t0).is_ok());
        assert!(b.take(t0).is_ok());
        assert_eq!(b.take(t0), Err(30));
        assert!(b.take(t0 + Duration::from_secs(31)).is_ok());
        assert!(b.take(t0 + Duration::from_secs(31)).is_err());
    }

    #[test]
    fn concurrency_per_key_and_flavour() {
        let mut cfg = ApiKeyConfig::new("k");
        cfg.max_concurrent = 1;
        let limits = KeyLimits::new(&cfg);
        let global = Arc::new(Semaphore::new(10));
        let stats = Arc::new(Stats::default());
        let held = admit(&limits, &global, &stats, Flavor::Dnsdb).unwrap();
        let e = admit(&limits, &global, &stats, Flavor::Dnsdb).unwrap_err();
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        let e = admit(&limits, &global, &stats, Flavor::Circl).unwrap_err();
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(stats.snapshot().running, 1);
        drop(held);
        assert_eq!(stats.snapshot().running, 0);
        assert!(admit(&limits, &global, &stats, Flavor::Dnsdb).is_ok());
        assert_eq!(stats.snapshot().refused, 2);
    }
}
