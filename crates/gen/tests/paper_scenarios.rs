//! The paper's examples: well-formed, deterministic, saying what their descriptions say.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use hearsay_gen::exchange::Exchange;
use hearsay_gen::paper::{self, Scenario, unix_time};
use hearsay_gen::pcap::LinkType;
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

fn all() -> Vec<Scenario> {
    paper::scenarios().unwrap()
}

fn scenario(name: &str) -> Scenario {
    all().into_iter().find(|s| s.name == name).unwrap()
}

fn parsed(ex: &Exchange) -> (Message, Message) {
    (
        Message::from_vec(&ex.query).unwrap(),
        Message::from_vec(&ex.response).unwrap(),
    )
}

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// The question-tied bailiwick rules (as hearsay-parse applies them without an oracle):
/// returns the records of a response that a careful parser must drop.
fn out_of_bailiwick(m: &Message) -> Vec<Record> {
    let q = m.queries[0].name().clone();
    let mut chain = vec![q.clone()];
    loop {
        let before = chain.len();
        for r in &m.answers {
            if let RData::CNAME(t) = &r.data
                && chain.contains(&r.name)
                && !chain.contains(&t.0)
            {
                chain.push(t.0.clone());
            }
        }
        if chain.len() == before {
            break;
        }
    }
    let zones: Vec<Name> = m
        .authorities
        .iter()
        .filter(|r| matches!(r.record_type(), RecordType::NS | RecordType::SOA))
        .filter(|r| chain.iter().any(|c| r.name.zone_of(c)))
        .map(|r| r.name.clone())
        .collect();
    let mut bad = Vec::new();
    bad.extend(
        m.answers
            .iter()
            .filter(|r| !chain.contains(&r.name))
            .cloned(),
    );
    bad.extend(
        m.authorities
            .iter()
            .filter(|r| !chain.iter().any(|c| r.name.zone_of(c)))
            .cloned(),
    );
    bad.extend(
        m.additionals
            .iter()
            .filter(|r| !q.zone_of(&r.name) && !zones.iter().any(|z| z.zone_of(&r.name)))
            .cloned(),
    );
    bad
}

#[test]
fn scenarios_are_deterministic_and_described() {
    let a = all();
    assert_eq!(a, all());
    let names: Vec<&str> = a.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "kimble",
            "ebay",
            "sitefinder",
            "m-dns.us",
            "bogus-com",
            "shared-ip"
        ]
    );
    for s in &a {
        assert!(!s.title.is_empty() && s.description.len() > 100);
        assert!(!s.queries.is_empty());
        assert!(s.queries.iter().all(|q| q.starts_with("query ")));
        assert!(
            s.exchanges.len() >= 10,
            "{} has {}",
            s.name,
            s.exchanges.len()
        );
    }
}

#[test]
fn every_exchange_is_well_formed() {
    let lo = unix_time(2003, 9, 1, 0, 0);
    let hi = unix_time(2005, 3, 1, 0, 0);
    for s in all() {
        for w in s.exchanges.windows(2) {
            assert!(w[0].time <= w[1].time, "{} in time order", s.name);
        }
        for ex in &s.exchanges {
            assert!((lo..hi).contains(&ex.time.secs), "{}: {}", s.name, ex.time);
            assert_eq!(ex.client.ip(), paper::SENSOR_RESOLVER);
            assert_eq!(ex.server.port(), 53);
            assert!(ex.client.port() >= 1024);
            let (q, r) = parsed(ex);
            assert_eq!(q.metadata.message_type, MessageType::Query);
            assert!(
                !q.metadata.recursion_desired,
                "resolver → authority: iterative"
            );
            assert_eq!(r.metadata.message_type, MessageType::Response);
            assert_eq!(q.metadata.id, r.metadata.id);
            assert_eq!(q.queries, r.queries);
            assert!(matches!(
                r.metadata.response_code,
                ResponseCode::NoError | ResponseCode::NXDomain
            ));
            let bad = out_of_bailiwick(&r);
            let from_root = ex.server.ip() == IpAddr::V4(Ipv4Addr::new(198, 41, 0, 4));
            if s.name == "bogus-com" && r.queries[0].name() == &name("www.example.net.") {
                // The planted record.
                assert_eq!(bad.len(), 1);
                assert_eq!(bad[0].name, name("com."));
            } else if from_root {
                // The root's glue for the gTLD servers lives under net, outside the question.
                assert_eq!(bad.len(), 2);
                assert!(
                    bad.iter()
                        .all(|r| r.name.to_ascii().ends_with(".gtld-servers.net."))
                );
            } else {
                assert!(bad.is_empty(), "{}: {:?} in {r}", s.name, bad);
            }
        }
    }
}

/// (owner, rdata as text, time) of all records of one type in all responses.
fn records(s: &Scenario, t: RecordType) -> Vec<(String, String, u64, IpAddr)> {
    let mut out = Vec::new();
    for ex in &s.exchanges {
        let (_, r) = parsed(ex);
        for rec in r.answers.iter().chain(&r.authorities).chain(&r.additionals) {
            if rec.record_type() == t {
                out.push((
                    rec.name.to_ascii(),
                    rec.data.to_string(),
                    ex.time.secs,
                    ex.server.ip(),
                ));
            }
        }
    }
    out
}

#[test]
fn kimble_hops_over_seven_addresses() {
    let s = scenario("kimble");
    let a: Vec<_> = records(&s, RecordType::A)
        .into_iter()
        .filter(|(n, ..)| n == "kimble.org.")
        .collect();
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (_, addr, t, _) in &a {
        first_seen.entry(addr.clone()).or_insert(*t);
        *seen.entry(addr.clone()).or_default() += 1;
    }
    assert_eq!(first_seen.len(), 7);
    assert!(seen.values().all(|n| *n >= 10), "{seen:?}");
    let mut order: Vec<_> = first_seen.into_iter().collect();
    order.sort_by_key(|(_, t)| *t);
    assert_eq!(order[0].0, "192.0.2.77");
    assert_eq!(order[6].0, "198.51.100.88");
    assert!(order[0].1 >= unix_time(2004, 11, 2, 0, 0));
}

#[test]
fn ebay_is_delegated_abroad_for_a_day_and_a_half() {
    let s = scenario("ebay");
    let ns = records(&s, RecordType::NS);
    let hijack = unix_time(2004, 8, 28, 0, 0)..unix_time(2004, 8, 30, 0, 0);
    let mut foreign = 0;
    for (owner, target, t, _) in &ns {
        assert_eq!(owner, "ebay.de.");
        if target.contains("hijack-hosting") {
            foreign += 1;
            assert!(hijack.contains(t));
        } else {
            assert!(target.ends_with(".ebaydns.com."));
        }
    }
    assert!(foreign >= 20);
    // Referrals come from a.nic.de, before, during and after.
    let from_denic: BTreeSet<bool> = ns
        .iter()
        .filter(|(.., server)| *server == IpAddr::V4(Ipv4Addr::new(194, 0, 0, 53)))
        .map(|(_, target, ..)| target.contains("hijack"))
        .collect();
    assert_eq!(from_denic.len(), 2);
    let last = ns
        .iter()
        .map(|(_, target, t, _)| (*t, target))
        .max()
        .unwrap();
    assert!(
        last.1.ends_with(".ebaydns.com."),
        "the delegation is restored"
    );
}

#[test]
fn sitefinder_answers_nonexistent_names() {
    let s = scenario("sitefinder");
    let on = unix_time(2003, 9, 15, 0, 0)..unix_time(2003, 10, 5, 0, 0);
    let wildcard: BTreeSet<String> = records(&s, RecordType::A)
        .into_iter()
        .filter(|(_, addr, t, _)| {
            addr == paper::SITEFINDER_ADDR && {
                assert!(on.contains(t));
                true
            }
        })
        .map(|(n, ..)| n)
        .collect();
    // Ten mistyped names and the IDN target.
    assert_eq!(wildcard.len(), 11, "{wildcard:?}");
    assert!(wildcard.contains(&format!("{}.", paper::SITEFINDER_IDN)));
    assert!(wildcard.iter().any(|n| n.ends_with(".net.")));
    let cnames = records(&s, RecordType::CNAME);
    let idn: BTreeSet<&str> = cnames.iter().map(|(owner, ..)| owner.as_str()).collect();
    assert_eq!(idn.len(), 3);
    assert!(
        cnames
            .iter()
            .all(|(_, target, ..)| target == "sitefinder-idn.verisign.com.")
    );
    let nx = s
        .exchanges
        .iter()
        .filter(|ex| parsed(ex).1.metadata.response_code == ResponseCode::NXDomain)
        .count();
    assert!(nx >= 13);
}

#[test]
fn m_dns_us_serves_a_family_of_domains() {
    let s = scenario("m-dns.us");
    let served: BTreeSet<String> = records(&s, RecordType::NS)
        .into_iter()
        .filter(|(_, target, ..)| target == "ns1.m-dns.us.")
        .map(|(owner, ..)| owner)
        .collect();
    assert!(served.len() >= 9, "{served:?}");
    assert!(served.contains("m-dns.us."));
}

#[test]
fn bogus_com_ns_sits_next_to_the_real_delegation() {
    let s = scenario("bogus-com");
    let com: Vec<_> = records(&s, RecordType::NS)
        .into_iter()
        .filter(|(owner, ..)| owner == "com.")
        .collect();
    let targets: HashSet<&str> = com.iter().map(|(_, t, ..)| t.as_str()).collect();
    assert_eq!(
        targets,
        HashSet::from([
            "a.gtld-servers.net.",
            "b.gtld-servers.net.",
            "ns1.example.net."
        ])
    );
    for (_, target, _, server) in &com {
        let from_root = *server == IpAddr::V4(Ipv4Addr::new(198, 41, 0, 4));
        assert_eq!(from_root, target.ends_with("gtld-servers.net."));
    }
}

#[test]
fn two_names_share_the_address() {
    let s = scenario("shared-ip");
    let owners: BTreeSet<String> = records(&s, RecordType::A)
        .into_iter()
        .filter(|(_, addr, ..)| addr == paper::SHARED_ADDR)
        .map(|(n, ..)| n)
        .collect();
    let expect: BTreeSet<String> = paper::SHARED_NAMES
        .iter()
        .map(|n| format!("{n}."))
        .collect();
    assert_eq!(owners, expect);
}

#[test]
fn frames_carry_the_exchanges() {
    for s in all() {
        let frames = paper::frames(&s).unwrap();
        assert_eq!(frames.len(), 2 * s.exchanges.len());
        for w in frames.windows(2) {
            assert!(w[0].ts <= w[1].ts);
        }
        let mut payloads: HashSet<Vec<u8>> = HashSet::new();
        for f in &frames {
            let ip = common::ip(LinkType::ETHERNET, &f.frame);
            assert!(!ip.fragmented);
            let udp = common::udp(ip.src, ip.dst, &ip.payload);
            payloads.insert(udp.payload);
        }
        for ex in &s.exchanges {
            assert!(payloads.contains(&ex.query) && payloads.contains(&ex.response));
        }
    }
}

#[test]
fn assignment_splits_every_story_among_teams() {
    let scenarios = all();
    let total: usize = scenarios.iter().map(|s| 2 * s.exchanges.len()).sum();
    assert!(paper::assign(0).is_err());
    let one = paper::assign(1).unwrap();
    assert_eq!(one[0].len(), total);
    let teams = paper::assign_scenarios(&scenarios, 3).unwrap();
    assert_eq!(teams, paper::assign(3).unwrap());
    assert_eq!(teams.iter().map(Vec::len).sum::<usize>(), total);
    for (k, frames) in teams.iter().enumerate() {
        assert!(!frames.is_empty());
        for w in frames.windows(2) {
            assert!(w[0].ts <= w[1].ts);
        }
        // Every frame involves the team's own resolver; a query's response goes along.
        let mut ids = HashMap::new();
        for f in frames {
            let ip = common::ip(LinkType::ETHERNET, &f.frame);
            let udp = common::udp(ip.src, ip.dst, &ip.payload);
            let m = Message::from_vec(&udp.payload).unwrap();
            let (resolver, port) = if udp.dst_port == 53 {
                (ip.src, udp.src_port)
            } else {
                (ip.dst, udp.dst_port)
            };
            assert_eq!(resolver, paper::team_resolver(k));
            *ids.entry((port, m.metadata.id)).or_insert(0) += 1;
        }
        assert!(
            ids.values().all(|n| n % 2 == 0),
            "queries and responses paired"
        );
    }
    // Each team saw part of every scenario: e.g. kimble.org answers at all three.
    for frames in &teams {
        let saw_kimble = frames.iter().any(|f| {
            let ip = common::ip(LinkType::ETHERNET, &f.frame);
            let udp = common::udp(ip.src, ip.dst, &ip.payload);
            let m = Message::from_vec(&udp.payload).unwrap();
            m.queries[0].name() == &name("kimble.org.")
        });
        assert!(saw_kimble);
    }
}
