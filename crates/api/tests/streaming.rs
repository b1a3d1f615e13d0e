//! Large results: a client that disconnects mid-stream stops its query (the server
//! reads no further), a client that stops reading is cut off at the query timeout, and
//! a running query holds its key's concurrency slot until it stops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{KEY, TestServer, get_keyed};
use hearsay_api::StatsHandle;
use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
use hearsay_store::Store;

const RECORDS: u64 = 300_000;
const HUGE: &str = "/dnsdb/v2/lookup/rrset/name/%2A.big.example?limit=0";

fn big_store(dir: &std::path::Path) -> Arc<Store> {
    let store = Store::open(dir, Default::default()).unwrap();
    let mut batch = Vec::with_capacity(50_000);
    for i in 0..RECORDS {
        let key = RecordKey::new(
            Name::from_presentation(&format!("host-{i:07}.big.example")).unwrap(),
            RrType::A,
            Bailiwick::Unknown,
            (i as u32).to_be_bytes().to_vec(),
        )
        .unwrap();
        batch.push((
            key.encode(),
            Sighting {
                time_first: 1_600_000_000 + i,
                time_last: 1_600_000_000 + 2 * i,
                count: 1,
            },
        ));
        if batch.len() == 50_000 {
            store.apply_local(std::mem::take(&mut batch)).unwrap();
        }
    }
    Arc::new(store)
}

fn config() -> hearsay_api::ApiConfig {
    let mut c = common::config();
    c.api_keys[0].max_results = 1_000_000;
    c.api_keys[0].max_concurrent = 1;
    c
}

/// Sends the huge lookup and reads until `lines` body lines arrived; returns the
/// still-open connection.
fn start_huge(addr: SocketAddr, lines: usize) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        tcp,
        "GET {HUGE} HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\n\r\n"
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while seen.iter().filter(|&&b| b == b'\n').count() < lines + 10 {
        let n = tcp.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended early");
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("{\"cond\":\"begin\"}"));
    assert!(text.contains("host-0000000.big.example."));
    tcp
}

fn wait_idle(stats: &StatsHandle) -> hearsay_api::ApiStats {
    let started = Instant::now();
    loop {
        let s = stats.get();
        if s.running == 0 {
            return s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the query did not stop: {s:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_client_that_disconnects_costs_nothing_further() {
    let dir = tempfile::tempdir().unwrap();
    let store = big_store(dir.path());
    let server = TestServer::start(store, config());

    let tcp = start_huge(server.addr, 10);
    // The query runs (or waits on the full connection) and holds the key's only slot.
    assert_eq!(server.stats.get().running, 1);
    let busy = get_keyed(
        server.addr,
        "/dnsdb/v2/lookup/rrset/name/host-0000001.big.example",
    );
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert!(busy.json()["error"].as_str().unwrap().contains("limit"));

    drop(tcp);
    let s = wait_idle(&server.stats);
    eprintln!("after the disconnect: {s:?}");
    assert_eq!(s.cancelled, 1, "{s:?}");
    assert!(
        s.rows < RECORDS / 4,
        "{} of {RECORDS} rows produced after the client left",
        s.rows
    );

    // The slot is free again, and the full answer is all there for a patient client.
    let r = get_keyed(server.addr, HUGE);
    assert_eq!(r.status, 200);
    let lines = r.body.lines().count() as u64;
    assert_eq!(lines, RECORDS + 2);
    assert!(r.body.ends_with("{\"cond\":\"succeeded\"}\n"));
}

#[test]
fn a_client_that_stops_reading_is_cut_off_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let store = big_store(dir.path());
    let mut config = config();
    config.query_timeout_secs = 1;
    let server = TestServer::start(store, config);

    let tcp = start_huge(server.addr, 10);
    let started = Instant::now();
    let s = wait_idle(&server.stats);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(s.timed_out, 1, "{s:?}");
    assert!(s.rows < RECORDS, "{s:?}");
    // The slot is free although the connection is still open.
    let r = get_keyed(
        server.addr,
        "/dnsdb/v2/lookup/rrset/name/host-0000001.big.example",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.lines().len(), 3);
    drop(tcp);
}

#[test]
fn an_exhausted_quota_is_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), Default::default()).unwrap());
    let mut config = config();
    config.api_keys[0].queries_per_minute = Some(1);
    let server = TestServer::start(store, config);
    let path = "/dnsdb/v2/lookup/rrset/name/host-0000001.big.example";
    assert_eq!(get_keyed(server.addr, path).status, 200);
    for target in [path, "/pdns/query/host-0000001.big.example"] {
        let r = get_keyed(server.addr, target);
        assert_eq!(r.status, 429, "{target}: {}", r.body);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(r.json()["error"].as_str().unwrap().contains("quota"));
        let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
    }
    assert_eq!(server.stats.get().refused, 2);
}
