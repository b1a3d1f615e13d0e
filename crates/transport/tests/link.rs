//! Links between two real endpoints on loopback: both dial, exactly one link; bulk
//! bytes both ways; closing propagates; the dialer reconnects.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use hearsay_transport::{Link, LinkError};

/// Byte `i` of the test stream: position-dependent, so loss, duplication or reordering
/// shows.
fn pattern(i: u64) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 13) ^ (i >> 24)) as u8
}

async fn send_pattern(link_send: &mut hearsay_transport::LinkSender, total: u64) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut off = 0u64;
    while off < total {
        let n = (total - off).min(buf.len() as u64) as usize;
        for (j, b) in buf[..n].iter_mut().enumerate() {
            *b = pattern(off + j as u64);
        }
        link_send.send(&buf[..n]).await.unwrap();
        off += n as u64;
    }
}

/// Reads to the end, checking every byte; returns the count.
async fn recv_pattern(recv: &mut hearsay_transport::LinkReceiver) -> u64 {
    let mut buf = vec![0u8; 256 * 1024];
    let mut off = 0u64;
    while let Some(n) = recv.recv(&mut buf).await.unwrap() {
        for (j, &b) in buf[..n].iter().enumerate() {
            assert_eq!(
                b,
                pattern(off + j as u64),
                "byte {} corrupted",
                off + j as u64
            );
        }
        off += n as u64;
    }
    off
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_dial_one_link_and_bulk_transfer() {
    init_tracing();
    let (a, b) = (team("cert-a"), team("cert-b"));
    let (addr_a, addr_b) = (free_addr(), free_addr());
    let (ta, mut la) = start(
        team_config(&a, addr_a).peer(b.trust(Some(addr_b))),
        "cert-a",
    );
    let (tb, mut lb) = start(
        team_config(&b, addr_b).peer(a.trust(Some(addr_a))),
        "cert-b",
    );

    let at_a = next_link(&mut la, 10).await;
    let at_b = next_link(&mut lb, 10).await;
    // Exactly one link each side, and the same connection: the one whose client has
    // the smaller name (cert-a dialed it).
    assert_no_link(&mut la, 1500).await;
    assert_no_link(&mut lb, 300).await;
    assert_eq!(at_a.peer, "cert-b");
    assert_eq!(at_b.peer, "cert-a");
    assert!(
        at_a.dialed && !at_b.dialed,
        "kept link: a dialed={} b dialed={}",
        at_a.dialed,
        at_b.dialed
    );
    assert_eq!(at_a.remote, addr_b);
    for t in [&ta, &tb] {
        let s = t.stats();
        assert_eq!(s.links_up, 1, "{s:?}");
        assert_eq!(s.links_established, 1, "{s:?}");
        assert_eq!(s.refused_total(), 0, "{s:?}");
    }
    assert_eq!(ta.linked_partners(), vec!["cert-b".to_string()]);

    // 50 MB from A to B while 5 MB go from B to A.
    const BIG: u64 = 50_000_000;
    const SMALL: u64 = 5_000_000;
    let Link {
        send: mut a_send,
        recv: mut a_recv,
        counters: a_counters,
        ..
    } = at_a;
    let Link {
        send: mut b_send,
        recv: mut b_recv,
        counters: b_counters,
        ..
    } = at_b;
    let started = Instant::now();
    let a_writer = tokio::spawn(async move {
        send_pattern(&mut a_send, BIG).await;
        a_send.finish().await.unwrap();
    });
    let b_writer = tokio::spawn(async move {
        send_pattern(&mut b_send, SMALL).await;
        b_send.finish().await.unwrap();
    });
    let b_reader = tokio::spawn(async move { (recv_pattern(&mut b_recv).await, b_recv) });
    let (got_at_b, _b_recv) = tokio::time::timeout(Duration::from_secs(120), b_reader)
        .await
        .expect("50 MB in time")
        .unwrap();
    let elapsed = started.elapsed();
    let got_at_a = tokio::time::timeout(Duration::from_secs(60), recv_pattern(&mut a_recv))
        .await
        .unwrap();
    a_writer.await.unwrap();
    b_writer.await.unwrap();
    assert_eq!(got_at_b, BIG);
    assert_eq!(got_at_a, SMALL);
    let mbps = BIG as f64 / 1e6 / elapsed.as_secs_f64();
    println!(
        "throughput: {BIG} bytes A->B (with {SMALL} B->A) in {:.2?}: {mbps:.1} MB/s",
        elapsed
    );

    assert_eq!(a_counters.bytes_sent(), BIG);
    assert_eq!(a_counters.bytes_received(), SMALL);
    assert_eq!(b_counters.bytes_received(), BIG);
    assert_eq!(b_counters.bytes_sent(), SMALL);
    let (udp_a, udp_b) = (a_counters.udp(), b_counters.udp());
    assert!(udp_a.tx >= BIG && udp_b.rx >= BIG, "{udp_a:?} {udp_b:?}");
    println!(
        "UDP bytes: A sent {} ({:.2}% over its {BIG} stream bytes), B sent {}",
        udp_a.tx,
        (udp_a.tx as f64 / BIG as f64 - 1.0) * 100.0,
        udp_b.tx
    );
    ta.shutdown().await;
    tb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_propagates_and_dialer_reconnects() {
    init_tracing();
    let (a, b) = (team("cert-a"), team("cert-b"));
    // B only accepts; A dials.
    let (tb, mut lb) = start(team_config(&b, free_addr()).peer(a.trust(None)), "cert-b");
    let (ta, mut la) = start(
        team_config(&a, free_addr()).peer(b.trust(Some(tb.local_addr()))),
        "cert-a",
    );
    let mut at_a = next_link(&mut la, 10).await;
    let at_b = next_link(&mut lb, 10).await;
    assert!(at_a.dialed && !at_b.dialed);

    // B finishes its stream: A reads what was sent, then None.
    let Link {
        send: mut b_send,
        recv: b_recv,
        ..
    } = at_b;
    b_send.send(b"last words").await.unwrap();
    b_send.finish().await.unwrap();
    let mut buf = [0u8; 64];
    let n = at_a.recv.recv(&mut buf).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"last words");
    assert_eq!(at_a.recv.recv(&mut buf).await.unwrap(), None);

    // B drops its link: the connection closes, A's halves fail, A dials again.
    drop(b_recv);
    let e = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match at_a.send.send(b"x").await {
                Ok(()) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => break e,
            }
        }
    })
    .await
    .expect("A notices the closed link");
    assert!(
        matches!(e, LinkError::Closed(_) | LinkError::Stopped(_)),
        "{e:?}"
    );

    let again_a = next_link(&mut la, 5).await;
    let again_b = next_link(&mut lb, 5).await;
    assert!(again_a.dialed && again_a.peer == "cert-b");
    assert_eq!(again_b.peer, "cert-a");
    assert_ne!(again_a.id, at_a.id);
    wait_until(5, "one link each side", || {
        ta.stats().links_up == 1 && tb.stats().links_up == 1
    })
    .await;
    assert!(ta.stats().reconnect_attempts >= 1, "{:?}", ta.stats());
    drop(at_a);

    // The new link works.
    let (mut s, mut r) = (again_a.send, again_b.recv);
    s.send(b"again").await.unwrap();
    let n = r.recv(&mut buf).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"again");
    ta.shutdown().await;
    tb.shutdown().await;
}

/// Both sides start at the same instant, over and over: each round ends with exactly
/// one link on each side, and it is the same connection (bytes cross it both ways).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_dials_settle_on_one_link() {
    init_tracing();
    let (a, b) = (team("cert-a"), team("cert-b"));
    let mut duplicates = 0;
    let mut canonical = 0;
    const ROUNDS: usize = 8;
    for _ in 0..ROUNDS {
        let (addr_a, addr_b) = (free_addr(), free_addr());
        let ca = team_config(&a, addr_a).peer(b.trust(Some(addr_b)));
        let cb = team_config(&b, addr_b).peer(a.trust(Some(addr_a)));
        let ((ta, mut la), (tb, mut lb)) = (start(ca, "cert-a"), start(cb, "cert-b"));
        let mut at_a = next_link(&mut la, 10).await;
        let mut at_b = next_link(&mut lb, 10).await;
        assert_no_link(&mut la, 500).await;
        assert_no_link(&mut lb, 50).await;
        assert_ne!(
            at_a.dialed, at_b.dialed,
            "both sides kept different connections"
        );
        canonical += usize::from(at_a.dialed);
        let mut buf = [0u8; 4];
        at_a.send.send(b"a->b").await.unwrap();
        let n = at_b.recv.recv(&mut buf).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"a->b");
        at_b.send.send(b"b->a").await.unwrap();
        let n = at_a.recv.recv(&mut buf).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"b->a");
        let (sa, sb) = (ta.stats(), tb.stats());
        assert_eq!((sa.links_up, sb.links_up), (1, 1));
        assert_eq!((sa.links_established, sb.links_established), (1, 1));
        duplicates += sa.duplicates_refused + sb.duplicates_refused;
        ta.shutdown().await;
        tb.shutdown().await;
    }
    println!(
        "{ROUNDS} rounds: {duplicates} duplicate connections refused, \
         {canonical} rounds kept the connection dialed by the smaller name"
    );
}
