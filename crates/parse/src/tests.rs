use super::*;
use hearsay_record::{Name, RecordKey};
use proptest::prelude::*;

/// A tiny message builder for tests: names are written uncompressed unless given as raw
/// bytes.
struct Msg {
    bytes: Vec<u8>,
    counts: [u16; 4],
}

fn wire(name: &str) -> Vec<u8> {
    Name::from_presentation(name).unwrap().as_wire().to_vec()
}

impl Msg {
    fn response(flags: u16, qname: &str, qtype: u16) -> Self {
        let mut bytes = vec![0x12, 0x34];
        bytes.extend_from_slice(&(0x8000 | flags).to_be_bytes());
        bytes.extend_from_slice(&[0; 8]);
        // Keep the question's case as given, to test 0x20 folding.
        let mut q = Vec::new();
        for label in qname.trim_end_matches('.').split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        bytes.extend_from_slice(&q);
        bytes.extend_from_slice(&qtype.to_be_bytes());
        bytes.extend_from_slice(&1u16.to_be_bytes());
        Msg {
            bytes,
            counts: [1, 0, 0, 0],
        }
    }

    fn rr_raw(
        mut self,
        section: usize,
        owner: &[u8],
        rrtype: u16,
        class: u16,
        rdata: &[u8],
    ) -> Self {
        self.bytes.extend_from_slice(owner);
        self.bytes.extend_from_slice(&rrtype.to_be_bytes());
        self.bytes.extend_from_slice(&class.to_be_bytes());
        self.bytes.extend_from_slice(&300u32.to_be_bytes());
        self.bytes
            .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        self.bytes.extend_from_slice(rdata);
        self.counts[section] += 1;
        self
    }

    fn rr(self, section: usize, owner: &str, rrtype: RrType, rdata: &[u8]) -> Self {
        self.rr_raw(section, &wire(owner), rrtype.0, 1, rdata)
    }

    fn build(mut self) -> Vec<u8> {
        for (i, c) in self.counts.iter().enumerate() {
            self.bytes[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
        }
        self.bytes
    }
}

const AN: usize = 1;
const NS: usize = 2;
const AR: usize = 3;

fn run(msg: &[u8]) -> (Outcome, Vec<RecordKey>, ParseStats) {
    let mut parser = Parser::new();
    let mut keys = Vec::new();
    let outcome = parser.parse(msg, 1000, &mut |k: &[u8], t: u64| {
        assert_eq!(t, 1000);
        keys.push(RecordKey::decode(k).unwrap());
    });
    (outcome, keys, parser.take_stats())
}

fn show(keys: &[RecordKey]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            format!(
                "{} {} {}",
                k.rrname,
                k.rrtype,
                hearsay_record::rdata::present(k.rrtype, &k.rdata)
            )
        })
        .collect()
}

#[test]
fn folds_case_and_reads_compressed_owner() {
    let msg = Msg::response(0x0180, "WwW.ExAmple.COM", 1)
        .rr_raw(AN, b"\xC0\x0C", 1, 1, &[192, 0, 2, 7])
        .build();
    let (outcome, keys, stats) = run(&msg);
    assert_eq!(
        outcome,
        Outcome::Response {
            rcode: 0,
            records: 1
        }
    );
    assert_eq!(show(&keys), ["www.example.com. A 192.0.2.7"]);
    assert_eq!(stats.records, 1);
    assert_eq!(stats.noerror, 1);
}

#[test]
fn follows_cname_chain_and_drops_unrelated_answers() {
    let msg = Msg::response(0x0180, "www.a.example", 1)
        .rr(AN, "x.cdn.example.net", RrType::A, &[198, 51, 100, 1]) // before its CNAME
        .rr(
            AN,
            "www.a.example",
            RrType::CNAME,
            &wire("X.cdn.example.NET"),
        )
        .rr(AN, "evil.example.org", RrType::A, &[203, 0, 113, 66])
        .build();
    let (_, keys, stats) = run(&msg);
    assert_eq!(
        show(&keys),
        [
            "x.cdn.example.net. A 198.51.100.1",
            "www.a.example. CNAME x.cdn.example.net."
        ]
    );
    assert_eq!(stats.rejected_off_chain, 1);
}

#[test]
fn kaminsky_glue_is_not_taken() {
    // Query for a random name below bank.example; the response tries to install a name
    // server outside the zone and its address.
    let msg = Msg::response(0x0500, "rnd123.bank.example", 1)
        .rr(NS, "bank.example", RrType::NS, &wire("ns.evil.example.net"))
        .rr(
            NS,
            "evil.example.net",
            RrType::NS,
            &wire("ns.evil.example.net"),
        )
        .rr(AR, "ns.evil.example.net", RrType::A, &[203, 0, 113, 6])
        .rr(AR, "www.paypal.example", RrType::A, &[203, 0, 113, 7])
        .build();
    let (_, keys, stats) = run(&msg);
    assert_eq!(show(&keys), ["bank.example. NS ns.evil.example.net."]);
    assert_eq!(stats.rejected_authority, 1);
    assert_eq!(stats.rejected_additional, 2);
}

#[test]
fn in_zone_glue_and_dnssec_authority_are_taken() {
    let msg = Msg::response(0x0100, "www.example.com", 1)
        .rr(NS, "example.com", RrType::NS, &wire("ns1.example.com"))
        .rr(NS, "example.com", RrType::DS, &[0, 1, 8, 2, 0xAA])
        .rr(NS, "abc.example.com", RrType::NSEC3, &[1, 0, 0, 0, 0])
        .rr(AR, "ns1.example.com", RrType::A, &[192, 0, 2, 53])
        .rr_raw(AR, b"\x00", 41, 1232, &[])
        .build();
    let (_, keys, stats) = run(&msg);
    assert_eq!(keys.len(), 4, "{:?}", show(&keys));
    assert_eq!(stats.skipped_opt, 1);
    assert_eq!(stats.rejected_additional, 0);
}

#[test]
fn rdata_names_are_decompressed_and_lowercased() {
    // MX whose exchange is "MAIL" + pointer to the question's "example.com".
    let msg = Msg::response(0x0180, "example.com", 15)
        .rr_raw(AN, b"\xC0\x0C", 15, 1, b"\x00\x0a\x04MAIL\xC0\x0C")
        .build();
    let (_, keys, _) = run(&msg);
    assert_eq!(show(&keys), ["example.com. MX 10 mail.example.com."]);
    assert_eq!(keys[0].rdata, b"\x00\x0a\x04mail\x07example\x03com\x00");
}

#[test]
fn error_rcodes_give_no_records() {
    let msg = Msg::response(0x0183, "nope.example.com", 1)
        .rr(
            NS,
            "example.com",
            RrType::SOA,
            &[wire("ns.example.com"), wire("h.example.com"), vec![0; 20]].concat(),
        )
        .build();
    let (outcome, keys, stats) = run(&msg);
    assert_eq!(
        outcome,
        Outcome::Response {
            rcode: 3,
            records: 0
        }
    );
    assert!(keys.is_empty());
    assert_eq!(stats.nxdomain, 1);
}

#[test]
fn queries_and_other_classes() {
    let mut query = Msg::response(0, "example.com", 1).build();
    query[2] &= 0x7F;
    assert_eq!(run(&query).0, Outcome::Query);
    let chaos = Msg::response(0x0100, "version.bind", 16)
        .rr_raw(AN, b"\xC0\x0C", 16, 3, b"\x03abc")
        .build();
    let (_, keys, stats) = run(&chaos);
    assert!(keys.is_empty());
    assert_eq!(stats.skipped_class, 1);
}

#[test]
fn malformed_messages_are_rejected_with_a_reason() {
    let good = Msg::response(0x0180, "example.com", 1)
        .rr(AN, "example.com", RrType::A, &[1, 2, 3, 4])
        .build();
    // Cut inside the rdata.
    assert_eq!(
        run(&good[..good.len() - 2]).0,
        Outcome::Rejected(Reject::RecordTruncated)
    );
    let mut more = good.clone();
    more[7] = 2; // two answers, one present
    more.extend_from_slice(&[0; 11]);
    more[good.len()..].copy_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    assert_eq!(run(&more).0, Outcome::Rejected(Reject::RecordTruncated));
    let bad_a = Msg::response(0x0180, "example.com", 1)
        .rr(AN, "example.com", RrType::A, &[1, 2, 3])
        .build();
    assert_eq!(run(&bad_a).0, Outcome::Rejected(Reject::BadRdata));
    let mut huge = good.clone();
    huge[6] = 0xFF; // 65k answers promised
    assert_eq!(run(&huge).0, Outcome::Rejected(Reject::CountsExceedMessage));
    assert_eq!(run(&good[..5]).0, Outcome::Rejected(Reject::ShortHeader));
    let (_, _, stats) = run(&huge);
    assert_eq!(stats.malformed.get(Reject::CountsExceedMessage), 1);
}

#[test]
fn truncated_tc_response_keeps_complete_records() {
    let full = Msg::response(0x0380, "example.com", 1)
        .rr(AN, "example.com", RrType::A, &[1, 2, 3, 4])
        .rr(AN, "example.com", RrType::A, &[5, 6, 7, 8])
        .build();
    let cut = &full[..full.len() - 3];
    let (outcome, keys, stats) = run(cut);
    assert_eq!(
        outcome,
        Outcome::Response {
            rcode: 0,
            records: 1
        }
    );
    assert_eq!(show(&keys), ["example.com. A 1.2.3.4"]);
    assert_eq!(stats.truncated_tc, 1);
}

proptest! {
    #[test]
    fn never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut parser = Parser::new();
        let _ = parser.parse(&bytes, 0, &mut |_: &[u8], _: u64| {});
    }

    #[test]
    fn never_panics_on_mutated_responses(flips in proptest::collection::vec((0usize..200, any::<u8>()), 1..8)) {
        let mut msg = Msg::response(0x0180, "www.example.com", 1)
            .rr_raw(AN, b"\xC0\x0C", 5, 1, b"\x03cdn\xC0\x10")
            .rr(AN, "cdn.example.com", RrType::A, &[1, 2, 3, 4])
            .rr(NS, "example.com", RrType::NS, &wire("ns.example.com"))
            .rr(AR, "ns.example.com", RrType::AAAA, &[0; 16])
            .build();
        for (pos, byte) in flips {
            let len = msg.len();
            msg[pos % len] = byte;
        }
        let mut parser = Parser::new();
        let mut n = 0;
        let _ = parser.parse(&msg, 0, &mut |k: &[u8], _: u64| {
            RecordKey::decode(k).expect("every observation is a valid key");
            n += 1;
        });
        prop_assert!(n <= 4);
    }
}

#[test]
fn above_the_resolver_records_carry_the_servers_zone_and_nothing_outside_it() {
    use std::net::IpAddr;
    let mut cuts = ZoneCuts::with_root_hints();
    let mut parser = Parser::new();
    let mut run_from = |server: &str, msg: &[u8], cuts: &mut ZoneCuts| {
        let mut keys = Vec::new();
        let mut ctx = Context {
            server: Some(server.parse::<IpAddr>().unwrap()),
            zones: Some(cuts),
        };
        parser.parse_in(msg, 1000, &mut ctx, &mut |k: &[u8], _t: u64| {
            keys.push(RecordKey::decode(k).unwrap())
        });
        keys
    };
    // The root refers com to a.gtld-servers.net.
    let referral = Msg::response(0x0000, "www.example.com", 1)
        .rr(NS, "com", RrType::NS, &wire("a.gtld-servers.net"))
        .rr(AR, "a.gtld-servers.net", RrType::A, &[192, 5, 6, 30])
        .build();
    let keys = run_from("198.41.0.4", &referral, &mut cuts);
    assert_eq!(
        keys.len(),
        2,
        "root glue under net is in the root's bailiwick"
    );
    assert!(
        keys.iter()
            .all(|k| k.bailiwick == hearsay_record::Bailiwick::Zone(Name::root()))
    );
    // com refers example.com, and tries to slip in a record of another zone.
    let referral = Msg::response(0x0000, "www.example.com", 1)
        .rr(NS, "example.com", RrType::NS, &wire("ns1.example.com"))
        .rr(AR, "ns1.example.com", RrType::A, &[192, 0, 2, 53])
        .rr(AR, "www.bank.example", RrType::A, &[6, 6, 6, 6])
        .build();
    let keys = run_from("192.5.6.30", &referral, &mut cuts);
    assert_eq!(
        show(&keys),
        [
            "example.com. NS ns1.example.com.",
            "ns1.example.com. A 192.0.2.53"
        ]
    );
    // example.com's server answers, with a poisoned additional record inside com.
    let answer = Msg::response(0x0400, "www.example.com", 1)
        .rr(AN, "www.example.com", RrType::A, &[192, 0, 2, 80])
        .rr(NS, "example.com", RrType::NS, &wire("ns1.example.com"))
        .rr(AR, "www.paypal.com", RrType::A, &[203, 0, 113, 7])
        .build();
    let keys = run_from("192.0.2.53", &answer, &mut cuts);
    assert_eq!(
        show(&keys),
        [
            "www.example.com. A 192.0.2.80",
            "example.com. NS ns1.example.com."
        ]
    );
    assert!(keys.iter().all(|k| k.bailiwick
        == hearsay_record::Bailiwick::Zone(Name::from_presentation("example.com").unwrap())));
    // A server nobody delegated to: question rules, bailiwick unknown.
    let keys = run_from("203.0.113.99", &answer, &mut cuts);
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter()
            .all(|k| k.bailiwick == hearsay_record::Bailiwick::Unknown)
    );
    let stats = parser.take_stats();
    // www.bank.example and www.paypal.com: additional records outside the server's zone.
    assert_eq!(stats.rejected_additional, 2 + 1);
    assert_eq!(stats.zone_unknown, 1);
    assert!(stats.zones.delegations >= 2);
}

#[test]
fn peek_reads_the_question() {
    let msg = Msg::response(0x0180, "WWW.Example.com", 28).build();
    let p = peek(&msg).unwrap();
    assert_eq!((p.id, p.response, p.qtype), (0x1234, true, 28));
    assert_eq!(p.qname, wire("www.example.com"));
    assert!(peek(&msg[..14]).is_none());
}
