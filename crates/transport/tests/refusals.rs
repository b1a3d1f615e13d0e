//! Every way a peer is refused: each test checks the refusing side's counter for the
//! reason and that no link was delivered to anyone.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use hearsay_transport::certs::{self, NodeOptions};
use hearsay_transport::{ALPN, PeerTrust, Pin, Refusal};

/// A accepts only, with partners cert-b and cert-c pinned by their CAs.
struct Acceptor {
    a: Team,
    b: Team,
    c: Team,
}

fn teams() -> Acceptor {
    Acceptor {
        a: team("cert-a"),
        b: team("cert-b"),
        c: team("cert-c"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_without_certificate() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    raw_dial(None, ALPN, ta.local_addr()).await;
    assert_refused(&ta, &mut la, Refusal::NoClientCert).await;
    ta.shutdown().await;
}

/// A peer named cert-b whose certificate comes from a CA A does not know dials A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_from_unknown_ca() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    let rogue_ca = certs::create_ca("rogue", 30).unwrap();
    let rogue = certs::issue_node(&rogue_ca.cert_pem, &rogue_ca.key_pem, "cert-b", 30).unwrap();
    let (tx, mut lx) = start(
        config(free_addr(), &rogue, Some(&rogue_ca)).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-b",
    );
    assert_refused(&ta, &mut la, Refusal::UnknownCa).await;
    assert_no_link(&mut lx, 100).await;
    tx.shutdown().await;
    ta.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_certificate() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    let expired = certs::issue_expired(&t.b.ca.cert_pem, &t.b.ca.key_pem, "cert-b").unwrap();
    let (tb, mut lb) = start(
        config(free_addr(), &expired, Some(&t.b.ca)).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-b",
    );
    assert_refused(&ta, &mut la, Refusal::Expired).await;
    assert_no_link(&mut lb, 100).await;
    tb.shutdown().await;
    ta.shutdown().await;
}

/// A client whose certificate has only the serverAuth EKU.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_with_server_auth_only() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    let server_only =
        certs::issue_server_auth_only(&t.b.ca.cert_pem, &t.b.ca.key_pem, "cert-b").unwrap();
    let (tb, mut lb) = start(
        config(free_addr(), &server_only, Some(&t.b.ca)).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-b",
    );
    assert_refused(&ta, &mut la, Refusal::WrongEku).await;
    assert_no_link(&mut lb, 100).await;
    tb.shutdown().await;
    ta.shutdown().await;
}

/// The other direction: a server whose certificate has only the clientAuth EKU is
/// refused by the node dialing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_certificate_with_client_auth_only() {
    init_tracing();
    let t = teams();
    let client_only = certs::issue_node_with(
        &t.b.ca.cert_pem,
        &t.b.ca.key_pem,
        &NodeOptions {
            eku: certs::Eku::ClientOnly,
            ..NodeOptions::new("cert-b")
        },
    )
    .unwrap();
    let (tb, mut lb) = start(
        config(free_addr(), &client_only, Some(&t.b.ca)).peer(t.a.trust(None)),
        "cert-b",
    );
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(Some(tb.local_addr()))),
        "cert-a",
    );
    assert_refused(&ta, &mut la, Refusal::WrongEku).await;
    assert_no_link(&mut lb, 100).await;
    tb.shutdown().await;
    ta.shutdown().await;
}

/// A dials partner cert-b, but the server at that address presents partner cert-c's
/// (valid) certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialed_partner_presents_another_partners_certificate() {
    init_tracing();
    let t = teams();
    let (tc, mut lc) = start(
        team_config(&t.c, free_addr()).peer(t.a.trust(None)),
        "cert-c",
    );
    let (ta, mut la) = start(
        team_config(&t.a, free_addr())
            .peer(t.b.trust(Some(tc.local_addr())))
            .peer(t.c.trust(None)),
        "cert-a",
    );
    assert_refused(&ta, &mut la, Refusal::IdentityMismatch).await;
    assert_no_link(&mut lc, 100).await;
    assert_eq!(tc.stats().links_established, 0);
    tc.shutdown().await;
    ta.shutdown().await;
}

/// A client certificate issued by partner B's CA but naming origin cert-c: B's CA may
/// not vouch for C.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_from_one_partners_ca_naming_another() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr())
            .peer(t.b.trust(None))
            .peer(t.c.trust(None)),
        "cert-a",
    );
    let forged = certs::issue_node(&t.b.ca.cert_pem, &t.b.ca.key_pem, "cert-c", 30).unwrap();
    let (tx, mut lx) = start(
        config(free_addr(), &forged, Some(&t.b.ca)).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-c",
    );
    assert_refused(&ta, &mut la, Refusal::UnknownCa).await;
    assert_eq!(ta.stats().refused(Refusal::NotPartner), 0);
    assert_no_link(&mut lx, 100).await;
    tx.shutdown().await;
    ta.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprint_pin_mismatch() {
    init_tracing();
    let t = teams();
    let pinned = certs::fingerprint(t.b.node.cert_pem.as_bytes()).unwrap();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(PeerTrust {
            name: "cert-b".into(),
            address: None,
            pin: Pin::Fingerprint(hearsay_transport::parse_fingerprint(&pinned).unwrap()),
        }),
        "cert-a",
    );
    // Same team, same CA, same name, but not the pinned certificate.
    let other = t.b.reissue();
    let (tb, mut lb) = start(
        config(free_addr(), &other, Some(&t.b.ca)).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-b",
    );
    assert_refused(&ta, &mut la, Refusal::FingerprintMismatch).await;
    assert_no_link(&mut lb, 100).await;
    tb.shutdown().await;
    ta.shutdown().await;
}

/// Fingerprint pins still check validity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprint_pinned_but_expired() {
    init_tracing();
    let t = teams();
    let expired = certs::self_signed_node(&NodeOptions {
        expired: true,
        ..NodeOptions::new("cert-b")
    })
    .unwrap();
    let fp = certs::fingerprint(expired.cert_pem.as_bytes()).unwrap();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(PeerTrust {
            name: "cert-b".into(),
            address: None,
            pin: Pin::Fingerprint(hearsay_transport::parse_fingerprint(&fp).unwrap()),
        }),
        "cert-a",
    );
    let (tb, mut lb) = start(
        config(free_addr(), &expired, None).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-b",
    );
    assert_refused(&ta, &mut la, Refusal::Expired).await;
    assert_no_link(&mut lb, 100).await;
    tb.shutdown().await;
    ta.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_alpn() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    // A genuine partner certificate, but another protocol.
    raw_dial(Some(&t.b.node), b"h3", ta.local_addr()).await;
    assert_refused(&ta, &mut la, Refusal::WrongAlpn).await;
    ta.shutdown().await;
}

/// A valid certificate from a CA nobody pinned, naming an origin that is no partner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_not_a_partner() {
    init_tracing();
    let t = teams();
    let d = team("cert-d");
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    let (td, mut ld) = start(
        team_config(&d, free_addr()).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-d",
    );
    assert_refused(&ta, &mut la, Refusal::NotPartner).await;
    assert_no_link(&mut ld, 100).await;
    td.shutdown().await;
    ta.shutdown().await;
}

/// A certificate without the origin URI (a plain rcgen certificate for a DNS name).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_without_identity() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    let plain = rcgen::generate_simple_self_signed(vec!["cert-b.example".into()]).unwrap();
    let plain = certs::Issued {
        cert_pem: plain.cert.pem(),
        key_pem: plain.signing_key.serialize_pem(),
    };
    raw_dial(Some(&plain), ALPN, ta.local_addr()).await;
    assert_refused(&ta, &mut la, Refusal::NoIdentity).await;
    ta.shutdown().await;
}

/// Misbehaving peers do not stop the endpoint: after all of the above kinds of
/// refusal, a genuine partner still links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_carries_on_after_refusals() {
    init_tracing();
    let t = teams();
    let (ta, mut la) = start(
        team_config(&t.a, free_addr()).peer(t.b.trust(None)),
        "cert-a",
    );
    raw_dial(None, ALPN, ta.local_addr()).await;
    raw_dial(Some(&t.b.node), b"h3", ta.local_addr()).await;
    // Garbage datagrams.
    let junk = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for n in [0usize, 1, 20, 1200, 1500] {
        junk.send_to(&vec![0xc3; n], ta.local_addr()).unwrap();
    }
    let (tb, mut lb) = start(
        team_config(&t.b, free_addr()).peer(t.a.trust(Some(ta.local_addr()))),
        "cert-b",
    );
    let link = next_link(&mut la, 10).await;
    assert_eq!(link.peer, "cert-b");
    next_link(&mut lb, 10).await;
    let s = ta.stats();
    assert!(
        s.refused(Refusal::NoClientCert) >= 1 && s.refused(Refusal::WrongAlpn) >= 1,
        "{s:?}"
    );
    tb.shutdown().await;
    ta.shutdown().await;
}
