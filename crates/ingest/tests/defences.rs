//! The sensor's defences, fed with packets: spoofed responses, random-subdomain floods,
//! NXDOMAIN tracking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use hearsay_gen::exchange::Exchange;
use hearsay_gen::frame::Link;
use hearsay_gen::pcap::PcapWriter;
use hearsay_gen::{Packet, Timestamp, dns};
use hearsay_ingest::{PipelineConfig, import_files};
use hearsay_store::Store;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

fn exchange(i: u64, name: &str, addr: &str) -> Exchange {
    let id = (i % 60_000) as u16 + 1;
    let query = dns::query(id, name, RecordType::A).unwrap();
    let response = dns::Response::new(id, name, RecordType::A)
        .unwrap()
        .answer(dns::a(name, addr, 300).unwrap())
        .to_bytes()
        .unwrap();
    Exchange::udp(
        Timestamp::new(1_700_000_000 + i, 0),
        format!("192.0.2.10:{}", 20_000 + i % 40_000)
            .parse()
            .unwrap(),
        "198.51.100.53:53".parse().unwrap(),
        query,
        response,
    )
}

fn write(path: &std::path::Path, packets: &[Packet]) {
    let mut w = PcapWriter::new(
        std::fs::File::create(path).unwrap(),
        Link::ethernet().linktype(),
    )
    .unwrap();
    for p in packets {
        w.write_packet(p).unwrap();
    }
    w.finish().unwrap();
}

fn import(
    path: &std::path::Path,
    config: PipelineConfig,
) -> (hearsay_ingest::ImportReport, Arc<Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), Default::default()).unwrap());
    let report = import_files(store.clone(), &[path.to_path_buf()], config, &mut |_| {}).unwrap();
    (report, store, dir)
}

#[test]
fn a_response_to_no_query_is_dropped_when_queries_are_required() {
    let tmp = tempfile::tempdir().unwrap();
    let mut packets = exchange(1, "www.example.com", "192.0.2.1")
        .packets(&Link::ethernet())
        .unwrap()
        .to_vec();
    // A spoofed answer for the same name: no query went out on its flow.
    let spoof = exchange(2, "www.example.com", "203.0.113.66")
        .packets(&Link::ethernet())
        .unwrap();
    packets.push(spoof[1].clone());
    let path = tmp.path().join("spoof.pcap");
    write(&path, &packets);

    let (report, store, _d) = import(
        &path,
        PipelineConfig {
            require_query: true,
            ..PipelineConfig::default()
        },
    );
    assert_eq!(report.stats.unmatched_responses, 1);
    assert_eq!(
        store.stats().unwrap().records,
        1,
        "only the answer to the query seen"
    );
    // A file import accepts lone responses by default.
    let (report, store, _d) = import(&path, PipelineConfig::default());
    assert_eq!(report.stats.unmatched_responses, 0);
    assert_eq!(store.stats().unwrap().records, 2);
}

#[test]
fn a_random_subdomain_flood_cannot_grow_the_store_without_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut packets = Vec::new();
    for i in 0..20_000u64 {
        packets.extend(
            exchange(i, &format!("r{i}x.victim.example"), "192.0.2.7")
                .packets(&Link::ethernet())
                .unwrap(),
        );
    }
    packets.extend(
        exchange(99_999, "www.other.example", "192.0.2.8")
            .packets(&Link::ethernet())
            .unwrap(),
    );
    let path = tmp.path().join("flood.pcap");
    write(&path, &packets);
    let (report, store, _d) = import(
        &path,
        PipelineConfig {
            max_new_names_per_zone: 500,
            ..PipelineConfig::default()
        },
    );
    assert_eq!(report.stats.capped_names, 20_000 - 500);
    assert_eq!(store.stats().unwrap().records, 501);
}

#[test]
fn nxdomain_names_are_kept_apart_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut packets = Vec::new();
    for i in 0..3u64 {
        let id = i as u16 + 1;
        let q = dns::query(id, "nope.example.com", RecordType::A).unwrap();
        let r = dns::Response::new(id, "nope.example.com", RecordType::A)
            .unwrap()
            .rcode(ResponseCode::NXDomain)
            .to_bytes()
            .unwrap();
        let ex = Exchange::udp(
            Timestamp::new(1_700_000_000 + i * 60, 0),
            "192.0.2.10:40000".parse().unwrap(),
            "198.51.100.53:53".parse().unwrap(),
            q,
            r,
        );
        packets.extend(ex.packets(&Link::ethernet()).unwrap());
    }
    let path = tmp.path().join("nx.pcap");
    write(&path, &packets);
    let (report, store, _d) = import(
        &path,
        PipelineConfig {
            nxdomain: true,
            ..PipelineConfig::default()
        },
    );
    assert_eq!(report.stats.nxdomain_responses, 3);
    assert_eq!(
        store.stats().unwrap().records,
        0,
        "NXDOMAIN makes no record"
    );
    let view = store.view();
    let names: Vec<_> = view.nxdomain_prefix(b"").map(|r| r.unwrap()).collect();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0].1.count, 3);
    assert_eq!(names[0].1.time_last - names[0].1.time_first, 120);
}
