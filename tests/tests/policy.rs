//! Sharing policy over real QUIC: a zone withheld from a partner never reaches it, not
//! directly and not through a third node that may see it and relays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hearsay_gen::exchange::Exchange;
use hearsay_gen::frame::Link;
use hearsay_gen::{Timestamp, dns};
use hearsay_node::federation::{LocalFederation, TeamSpec};
use hearsay_query::{Flow, Lookup, NamePattern, Query, TypeFilter, run};
use hickory_proto::rr::RecordType;

fn capture(path: &std::path::Path, names: &[(&str, &str)]) {
    let mut packets = Vec::new();
    for (i, (name, addr)) in names.iter().enumerate() {
        let id = i as u16 + 1;
        let query = dns::query(id, *name, RecordType::A).unwrap();
        let response = dns::Response::new(id, *name, RecordType::A)
            .unwrap()
            .answer(dns::a(*name, *addr, 300).unwrap())
            .to_bytes()
            .unwrap();
        let ex = Exchange::udp(
            Timestamp::new(1_700_000_000 + i as u64, 0),
            "192.0.2.10:40000".parse().unwrap(),
            "198.51.100.53:53".parse().unwrap(),
            query,
            response,
        );
        packets.extend(ex.packets(&Link::ethernet()).unwrap());
    }
    hearsay_tests::write_pcap(path, &packets);
}

fn names_under(store: &hearsay_store::Store, zone: &str) -> Vec<String> {
    let mut out = Vec::new();
    let q = Query::new(Lookup::Rrset {
        owner: NamePattern::parse(zone, true).unwrap(),
        rrtype: TypeFilter::All,
        bailiwick: None,
    });
    run(&store.view(), &q, &mut |row| {
        out.push(row.key.rrname.to_string());
        Flow::Continue
    })
    .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withheld_zone_never_reaches_the_partner_even_through_a_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let a_traffic = tmp.path().join("a.pcap");
    capture(
        &a_traffic,
        &[
            ("intranet.corp.example", "10.1.2.3"),
            ("vpn.corp.example", "10.1.2.4"),
            ("www.example", "192.0.2.80"),
        ],
    );
    let c_traffic = tmp.path().join("c.pcap");
    capture(&c_traffic, &[("mail.example", "192.0.2.25")]);
    // a — c — b: everything a shares with b must go through c, which may see a's
    // corp.example records itself but must not pass them on to b.
    let mut a = TeamSpec::new("cert-a", vec![a_traffic]);
    a.withhold_from = vec![("corp.example".into(), vec!["cert-b".into()])];
    a.not_peering_with = vec!["cert-b".into()];
    let teams = vec![
        a,
        TeamSpec::new("cert-b", vec![]),
        TeamSpec::new("cert-c", vec![c_traffic]),
    ];
    let fed = LocalFederation::start(tmp.path(), &teams, 0.1)
        .await
        .unwrap();
    fed.converge(Duration::from_secs(60)).await.unwrap();
    // Give relays every chance to leak: a few more push intervals.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (a, b, c) = (
        fed.nodes[0].store().clone(),
        fed.nodes[1].store().clone(),
        fed.nodes[2].store().clone(),
    );
    let (a_corp, b_corp, c_corp) = tokio::task::spawn_blocking(move || {
        (
            names_under(&a, "corp.example"),
            names_under(&b, "corp.example"),
            names_under(&c, "corp.example"),
        )
    })
    .await
    .unwrap();
    assert_eq!(a_corp.len(), 2);
    assert_eq!(c_corp.len(), 2, "c may see a's corp.example records");
    assert!(b_corp.is_empty(), "b must never see them: {b_corp:?}");
    let b = fed.nodes[1].store().clone();
    let b_public = tokio::task::spawn_blocking(move || names_under(&b, "example"))
        .await
        .unwrap();
    assert_eq!(b_public.len(), 2, "everything else reached b: {b_public:?}");

    // c relayed to b and withheld a's records there; b counted nothing forged.
    let status = fed.nodes[2].status().await;
    let to_b = status
        .replication
        .unwrap()
        .peers
        .into_iter()
        .find(|p| p.status.name == "cert-b")
        .unwrap();
    assert!(
        to_b.status.stats.withheld_out >= 2,
        "c withheld a's corp.example records from b: {:?}",
        to_b.status.stats
    );
    fed.shutdown().await;
}
