//! A partner goes away and comes back on the same port: the link comes back.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use hearsay_transport::{Link, Transport};
use tokio::sync::mpsc::Receiver;

/// Starts B on `addr`, retrying while the old socket is still being released.
async fn start_on(
    b: &Team,
    a: &Team,
    addr: SocketAddr,
    idle: Duration,
) -> (Transport, Receiver<Link>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut cfg = team_config(b, addr).peer(a.trust(None));
        cfg.idle_timeout = idle;
        match Transport::start(cfg, "cert-b") {
            Ok(started) => return started,
            Err(e) if Instant::now() < deadline => {
                tracing::debug!(error = %e, "port not free yet");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("restart on {addr}: {e}"),
        }
    }
}

async fn ping(from: &mut Link, to: &mut Link) {
    from.send.send(b"ping").await.unwrap();
    let mut buf = [0u8; 8];
    let n = to.recv.recv(&mut buf).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"ping");
}

/// B shuts down cleanly and starts again on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_on_same_port() {
    init_tracing();
    let (a, b) = (team("cert-a"), team("cert-b"));
    let addr_b = free_addr();
    let (tb, mut lb) = start_on(&b, &a, addr_b, Duration::from_secs(5)).await;
    let (ta, mut la) = start(
        team_config(&a, free_addr()).peer(b.trust(Some(addr_b))),
        "cert-a",
    );
    let mut at_a = next_link(&mut la, 10).await;
    let mut at_b = next_link(&mut lb, 10).await;
    ping(&mut at_a, &mut at_b).await;

    drop(at_b);
    drop(lb);
    tb.shutdown().await;
    let mut buf = [0u8; 8];
    let gone = tokio::time::timeout(Duration::from_secs(5), at_a.recv.recv(&mut buf)).await;
    assert!(matches!(gone, Ok(Err(_)) | Ok(Ok(None))), "{gone:?}");

    let restarted = Instant::now();
    let (tb, mut lb) = start_on(&b, &a, addr_b, Duration::from_secs(5)).await;
    let mut at_a = next_link(&mut la, 5).await;
    let mut at_b = next_link(&mut lb, 5).await;
    println!("link back {:.2?} after the restart", restarted.elapsed());
    ping(&mut at_a, &mut at_b).await;
    ping(&mut at_b, &mut at_a).await;
    assert!(ta.stats().reconnect_attempts >= 1, "{:?}", ta.stats());
    ta.shutdown().await;
    tb.shutdown().await;
}

/// B dies without a word (its runtime is torn down before anything is closed), then starts
/// again on the same port: A's stale connection is reset by the new process (the
/// reset key is derived from B's key) instead of lingering until the idle timeout.
#[test]
fn crash_and_restart_on_same_port() {
    // Long idle timeouts on both sides: only the stateless reset can end the stale link
    // quickly.
    const LONG: Duration = Duration::from_secs(60);
    init_tracing();
    let main = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (a, b) = (team("cert-a"), team("cert-b"));
    let addr_b = free_addr();

    // B in a runtime of its own, so that it can die abruptly.
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (tb, mut lb) = doomed.block_on(start_on(&b, &a, addr_b, LONG));

    main.block_on(async {
        let mut cfg = team_config(&a, free_addr()).peer(b.trust(Some(addr_b)));
        cfg.idle_timeout = LONG;
        let (ta, mut la) = start(cfg, "cert-a");
        let mut at_a = next_link(&mut la, 10).await;
        let at_b = next_link(&mut lb, 10).await;

        // Crash: B's runtime goes away with every task (endpoint and connection
        // drivers included), so nothing can be sent any more; then its handles go.
        doomed.shutdown_background();
        drop((at_b, lb, tb));

        let crashed = Instant::now();
        let (tb, mut lb) = start_on(&b, &a, addr_b, LONG).await;
        let mut buf = [0u8; 8];
        let gone = tokio::time::timeout(Duration::from_secs(3), at_a.recv.recv(&mut buf)).await;
        assert!(matches!(gone, Ok(Err(_))), "stale link not reset: {gone:?}");
        let mut at_a = next_link(&mut la, 10).await;
        let mut at_b = next_link(&mut lb, 10).await;
        println!("link back {:.2?} after the crash", crashed.elapsed());
        assert!(crashed.elapsed() < Duration::from_secs(3));
        ping(&mut at_a, &mut at_b).await;
        ta.shutdown().await;
        tb.shutdown().await;
    });
}
