//! Partners pinned by certificate fingerprint instead of CA.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use hearsay_transport::certs::{self, KeyAlg, NodeOptions};
use hearsay_transport::{PeerTrust, Pin, parse_fingerprint};

fn fp_pin(cert_pem: &str) -> Pin {
    Pin::Fingerprint(parse_fingerprint(&certs::fingerprint(cert_pem.as_bytes()).unwrap()).unwrap())
}

/// B has a self-signed (Ed25519) certificate that A pins by fingerprint; B pins A's
/// CA-issued certificate by fingerprint too. Both dial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprint_pinned_partners_link() {
    init_tracing();
    let a = team("cert-a");
    let b = certs::self_signed_node(&NodeOptions {
        key: KeyAlg::Ed25519,
        ..NodeOptions::new("cert-b")
    })
    .unwrap();
    let (addr_a, addr_b) = (free_addr(), free_addr());
    let (ta, mut la) = start(
        team_config(&a, addr_a).peer(PeerTrust {
            name: "cert-b".into(),
            address: Some(addr_b),
            pin: fp_pin(&b.cert_pem),
        }),
        "cert-a",
    );
    let (tb, mut lb) = start(
        config(addr_b, &b, None).peer(PeerTrust {
            name: "cert-a".into(),
            address: Some(addr_a),
            pin: fp_pin(&a.node.cert_pem),
        }),
        "cert-b",
    );
    let mut at_a = next_link(&mut la, 10).await;
    let mut at_b = next_link(&mut lb, 10).await;
    assert_eq!(
        (at_a.peer.as_str(), at_b.peer.as_str()),
        ("cert-b", "cert-a")
    );
    at_a.send.send(b"from a").await.unwrap();
    at_b.send.send(b"from b").await.unwrap();
    let mut buf = [0u8; 16];
    let n = at_b.recv.recv(&mut buf).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"from a");
    let n = at_a.recv.recv(&mut buf).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"from b");
    assert_eq!(ta.stats().refused_total() + tb.stats().refused_total(), 0);
    ta.shutdown().await;
    tb.shutdown().await;
}
