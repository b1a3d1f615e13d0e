//! The benchmark workload: determinism and its mix.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod common;

use std::collections::{HashMap, HashSet};

use hearsay_gen::frame::Link;
use hearsay_gen::pcap::LinkType;
use hearsay_gen::synth::{RecordMix, Synth, SynthConfig, write_pcap, write_pcapng};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

fn small(packets: u64, seed: u64) -> SynthConfig {
    SynthConfig {
        packets,
        seed,
        names: 5_000,
        duration_secs: 600,
        ..SynthConfig::default()
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = {
        let mut out = Vec::new();
        write_pcap(&small(20_000, 7), &mut out).unwrap();
        out
    };
    let mut b = Vec::new();
    let stats = write_pcap(&small(20_000, 7), &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(stats.packets, 20_000);
    let mut c = Vec::new();
    write_pcap(&small(20_000, 8), &mut c).unwrap();
    assert_ne!(a, c);
}

#[test]
fn iterator_matches_the_file_and_counts_exactly() {
    let cfg = small(7, 3);
    let packets: Vec<_> = Synth::new(cfg.clone())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(packets.len(), 7);
    let mut file = Vec::new();
    let stats = write_pcap(&cfg, &mut file).unwrap();
    assert_eq!((stats.queries, stats.responses), (4, 3));
    let frames = common::read_udp_pcap(&file);
    for (p, f) in packets.iter().zip(&frames) {
        assert_eq!((p.ts.secs as u32, p.ts.micros), f.ts);
    }
    let mut synth = Synth::new(cfg).unwrap();
    let mut buf = Vec::new();
    while synth.next_into(&mut buf).unwrap().is_some() {}
    assert_eq!(synth.stats(), &stats);
}

#[test]
fn bad_configurations_are_rejected() {
    let bad = [
        SynthConfig {
            names: 0,
            ..SynthConfig::default()
        },
        SynthConfig {
            ipv6_share: 1.5,
            ..SynthConfig::default()
        },
        SynthConfig {
            nxdomain_share: -0.1,
            ..SynthConfig::default()
        },
        SynthConfig {
            zipf_s: f64::NAN,
            ..SynthConfig::default()
        },
        SynthConfig {
            clients: 0,
            ..SynthConfig::default()
        },
        SynthConfig {
            resolvers: 17,
            ..SynthConfig::default()
        },
        SynthConfig {
            duration_secs: 0,
            ..SynthConfig::default()
        },
        SynthConfig {
            start_time: u64::from(u32::MAX),
            ..SynthConfig::default()
        },
        SynthConfig {
            mix: RecordMix {
                a: 0,
                aaaa: 0,
                cname: 0,
                mx: 0,
                ns: 0,
                txt: 0,
                ptr: 0,
                srv: 0,
                https: 0,
                caa: 0,
                nodata: 0,
            },
            ..SynthConfig::default()
        },
    ];
    for cfg in bad {
        assert!(Synth::new(cfg.clone()).is_err(), "{cfg:?}");
    }
}

#[test]
fn the_mix_matches_the_configuration() {
    let cfg = SynthConfig {
        link: Link::ethernet().with_vlan(100),
        ..small(40_000, 11)
    };
    let mut file = Vec::new();
    let stats = write_pcap(&cfg, &mut file).unwrap();
    let frames = common::read_udp_pcap(&file);
    assert_eq!(frames.len(), 40_000);
    assert!(frames.iter().all(|f| f.ip.vlans == [100]));

    // Time order, within the configured window.
    let start = cfg.start_time as u32;
    let end = (cfg.start_time + cfg.duration_secs) as u32 + 1;
    for w in frames.windows(2) {
        assert!(w[0].ts <= w[1].ts);
    }
    assert!(frames.iter().all(|f| (start..=end).contains(&f.ts.0)));

    let mut outstanding: HashMap<(std::net::IpAddr, u16, u16), String> = HashMap::new();
    let (mut queries, mut responses, mut nx, mut v6, mut mixed_case) =
        (0u32, 0u32, 0u32, 0u32, 0u32);
    let mut qtypes = HashSet::new();
    let mut answer_types = HashSet::new();
    let mut authority_types = HashSet::new();
    let mut qnames: HashMap<String, u32> = HashMap::new();
    let mut a_sets: HashMap<String, HashSet<Vec<String>>> = HashMap::new();
    let mut mx_with_glue = 0;
    for f in &frames {
        let m = Message::from_vec(&f.udp.payload).expect("every payload parses");
        let q = &m.queries[0];
        let qname = q.name().to_ascii();
        if qname.bytes().any(|b| b.is_ascii_uppercase()) {
            mixed_case += 1;
        }
        if f.ip.src.is_ipv6() {
            v6 += 1;
        }
        match m.metadata.message_type {
            MessageType::Query => {
                queries += 1;
                assert_eq!(f.udp.dst_port, 53);
                assert!(m.metadata.recursion_desired);
                qtypes.insert(q.query_type());
                *qnames.entry(qname.to_ascii_lowercase()).or_default() += 1;
                let key = (f.ip.src, f.udp.src_port, m.metadata.id);
                outstanding.insert(key, qname);
            }
            MessageType::Response => {
                responses += 1;
                assert_eq!(f.udp.src_port, 53);
                assert!(m.metadata.recursion_available && !m.metadata.authoritative);
                let key = (f.ip.dst, f.udp.dst_port, m.metadata.id);
                let asked = outstanding
                    .remove(&key)
                    .expect("answers a query seen before");
                assert_eq!(
                    asked, qname,
                    "the response echoes the question, case included"
                );
                match m.metadata.response_code {
                    ResponseCode::NXDomain => {
                        nx += 1;
                        assert!(m.answers.is_empty());
                        assert_eq!(m.authorities[0].record_type(), RecordType::SOA);
                    }
                    ResponseCode::NoError => {}
                    other => panic!("unexpected rcode {other:?}"),
                }
                answer_types.extend(m.answers.iter().map(|r| r.record_type()));
                authority_types.extend(m.authorities.iter().map(|r| r.record_type()));
                if q.query_type() == RecordType::A
                    && m.answers.iter().all(|r| r.record_type() == RecordType::A)
                    && !m.answers.is_empty()
                {
                    let mut set: Vec<String> =
                        m.answers.iter().map(|r| r.data.to_string()).collect();
                    set.sort();
                    a_sets
                        .entry(qname.to_ascii_lowercase())
                        .or_default()
                        .insert(set);
                }
                if q.query_type() == RecordType::MX && !m.additionals.is_empty() {
                    mx_with_glue += 1;
                    for g in &m.additionals {
                        assert!(q.name().zone_of(&g.name), "MX glue within the zone");
                        let RData::A(_) = g.data else {
                            panic!("glue is A")
                        };
                    }
                }
            }
        }
    }
    assert_eq!((queries, responses), (20_000, 20_000));
    assert_eq!(
        (u64::from(queries), u64::from(responses)),
        (stats.queries, stats.responses)
    );
    assert_eq!(u64::from(nx), stats.nxdomain);
    assert_eq!(u64::from(v6), stats.ipv6_packets);
    assert!(outstanding.is_empty());

    let nx_share = f64::from(nx) / f64::from(responses);
    assert!(
        (0.04..0.06).contains(&nx_share),
        "NXDOMAIN share {nx_share}"
    );
    let v6_share = f64::from(v6) / 40_000.0;
    assert!((0.23..0.27).contains(&v6_share), "IPv6 share {v6_share}");
    let case_share = f64::from(mixed_case) / 40_000.0;
    assert!(
        (0.03..0.07).contains(&case_share),
        "0x20 share {case_share}"
    );

    for t in [
        RecordType::A,
        RecordType::AAAA,
        RecordType::MX,
        RecordType::NS,
        RecordType::TXT,
        RecordType::PTR,
        RecordType::SRV,
        RecordType::HTTPS,
        RecordType::CAA,
    ] {
        assert!(qtypes.contains(&t), "queries for {t}");
        assert!(answer_types.contains(&t), "answers of {t}");
    }
    assert!(answer_types.contains(&RecordType::CNAME));
    assert!(authority_types.contains(&RecordType::SOA));
    assert!(mx_with_glue > 0);
    assert!(stats.nodata > 0);

    // Zipf: few names carry much of the traffic, and names repeat.
    let mut counts: Vec<u32> = qnames.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top10: u32 = counts.iter().take(10).sum();
    assert!(top10 > queries / 10, "top 10 names: {top10} of {queries}");
    assert!(qnames.len() < queries as usize / 2);
    // Some names show several address sets over time.
    assert!(a_sets.values().any(|s| s.len() >= 2));
}

#[test]
fn pcapng_output_has_a_block_per_packet() {
    let mut out = Vec::new();
    let stats = write_pcapng(&small(500, 5), &mut out).unwrap();
    assert_eq!(stats.packets, 500);
    let mut i = 0;
    let mut epbs = 0;
    while i < out.len() {
        let t = u32::from_le_bytes(out[i..i + 4].try_into().unwrap());
        let len = u32::from_le_bytes(out[i + 4..i + 8].try_into().unwrap()) as usize;
        if t == 6 {
            epbs += 1;
        }
        i += len;
    }
    assert_eq!(epbs, 500);
}

#[test]
fn raw_ip_links_give_raw_pcaps() {
    let cfg = SynthConfig {
        link: Link::Raw,
        ..small(100, 2)
    };
    let mut out = Vec::new();
    write_pcap(&cfg, &mut out).unwrap();
    let r = hearsay_gen::pcap::PcapReader::new(&out[..]).unwrap();
    assert_eq!(r.header().linktype, LinkType::RAW);
    assert_eq!(common::read_udp_pcap(&out).len(), 100);
}
