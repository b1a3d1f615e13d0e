use super::*;
use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
use hearsay_store::Store;

fn n(s: &str) -> Name {
    Name::from_presentation(s).unwrap()
}

fn key(name: &str, t: RrType, bw: Option<&str>, rdata: Vec<u8>) -> Vec<u8> {
    let bw = bw.map_or(Bailiwick::Unknown, |z| Bailiwick::Zone(n(z)));
    RecordKey::new(n(name), t, bw, rdata).unwrap().encode()
}

fn mx(pref: u16, target: &str) -> Vec<u8> {
    [&pref.to_be_bytes()[..], n(target).as_wire()].concat()
}

fn soa(mname: &str, rname: &str) -> Vec<u8> {
    [n(mname).as_wire(), n(rname).as_wire(), &[0; 20]].concat()
}

fn fixture() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Default::default()).unwrap();
    let s = |f, l, c| Sighting {
        time_first: f,
        time_last: l,
        count: c,
    };
    store
        .apply_local(vec![
            (
                key("kimble.org", RrType::A, None, vec![10, 0, 0, 3]),
                s(300, 399, 3),
            ),
            (
                key("kimble.org", RrType::A, None, vec![10, 0, 0, 1]),
                s(100, 199, 1),
            ),
            (
                key("kimble.org", RrType::A, None, vec![10, 0, 0, 2]),
                s(200, 299, 2),
            ),
            (
                key(
                    "www.kimble.org",
                    RrType::A,
                    Some("kimble.org"),
                    vec![212, 9, 189, 164],
                ),
                s(50, 60, 5),
            ),
            (
                key("static.kimble.org", RrType::A, None, vec![212, 9, 189, 164]),
                s(70, 80, 1),
            ),
            (
                key(
                    "kimble.org",
                    RrType::NS,
                    None,
                    n("ns1.m-dns.us").as_wire().to_vec(),
                ),
                s(10, 20, 1),
            ),
            (
                key(
                    "spam.example",
                    RrType::NS,
                    None,
                    n("ns1.m-dns.us").as_wire().to_vec(),
                ),
                s(10, 20, 1),
            ),
            (
                key("spam.example", RrType::MX, None, mx(10, "mx.m-dns.us")),
                s(10, 20, 1),
            ),
            (
                key(
                    "m-dns.us",
                    RrType::SOA,
                    None,
                    soa("ns1.m-dns.us", "hostmaster.m-dns.us"),
                ),
                s(10, 20, 1),
            ),
            (
                key(
                    "v6.example",
                    RrType::AAAA,
                    None,
                    vec![0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                ),
                s(5, 6, 1),
            ),
            (
                key("txt.example", RrType::TXT, None, b"\x05hello".to_vec()),
                s(5, 6, 1),
            ),
        ])
        .unwrap();
    (dir, store)
}

fn rows(store: &Store, q: &Query) -> (Vec<String>, RunOutcome) {
    let mut out = Vec::new();
    let outcome = run(&store.view(), q, &mut |r| {
        out.push(format!(
            "{} {} {} {}",
            r.key.rrname,
            r.key.rrtype,
            hearsay_record::rdata::present(r.key.rrtype, &r.key.rdata),
            r.time_first
        ));
        Flow::Continue
    })
    .unwrap();
    (out, outcome)
}

fn rrset(owner: &str, sub: bool, t: TypeFilter) -> Query {
    Query::new(Lookup::Rrset {
        owner: NamePattern::parse(owner, sub).unwrap(),
        rrtype: t,
        bailiwick: None,
    })
}

#[test]
fn rrset_exact_orders_an_rrset_by_first_seen() {
    let (_d, store) = fixture();
    let (r, o) = rows(
        &store,
        &rrset("KIMBLE.org", false, TypeFilter::One(RrType::A)),
    );
    assert_eq!(
        r,
        [
            "kimble.org. A 10.0.0.1 100",
            "kimble.org. A 10.0.0.2 200",
            "kimble.org. A 10.0.0.3 300"
        ]
    );
    assert_eq!(
        o,
        RunOutcome {
            rows: 3,
            limited: false,
            stopped: false
        }
    );
    let (r, _) = rows(&store, &rrset("kimble.org", false, TypeFilter::All));
    assert_eq!(r.len(), 4);
}

#[test]
fn rrset_wildcards() {
    let (_d, store) = fixture();
    let (r, _) = rows(&store, &rrset("*.kimble.org", false, TypeFilter::All));
    // Key order compares labels by length first (the length prefix), then bytes.
    assert_eq!(
        r,
        [
            "www.kimble.org. A 212.9.189.164 50",
            "static.kimble.org. A 212.9.189.164 70"
        ]
    );
    let (r, _) = rows(&store, &rrset("kimble.org", true, TypeFilter::All));
    assert_eq!(r.len(), 6);
    let mut q = rrset("kimble.org", true, TypeFilter::All);
    if let Lookup::Rrset { bailiwick, .. } = &mut q.lookup {
        *bailiwick = Some(n("kimble.org"));
    }
    let (r, _) = rows(&store, &q);
    assert_eq!(r, ["www.kimble.org. A 212.9.189.164 50"]);
}

#[test]
fn limit_offset_and_fences() {
    let (_d, store) = fixture();
    let mut q = rrset("kimble.org", false, TypeFilter::One(RrType::A));
    q.limit = Some(2);
    let (r, o) = rows(&store, &q);
    assert_eq!(r.len(), 2);
    assert!(o.limited);
    q.offset = 1;
    let (r, o) = rows(&store, &q);
    assert_eq!(
        r,
        ["kimble.org. A 10.0.0.2 200", "kimble.org. A 10.0.0.3 300"]
    );
    assert!(!o.limited);
    q.limit = None;
    q.offset = 0;
    q.fences = Fences {
        first_after: Some(150),
        last_before: Some(300),
        ..Default::default()
    };
    let (r, _) = rows(&store, &q);
    assert_eq!(r, ["kimble.org. A 10.0.0.2 200"]);
}

#[test]
fn rdata_ip_exact_cidr_range_v6() {
    let (_d, store) = fixture();
    let ip = |s: &str| Query::new(Lookup::RdataIp(IpMatch::parse(s).unwrap()));
    let (r, _) = rows(&store, &ip("212.9.189.164"));
    assert_eq!(r.len(), 2);
    assert!(
        r.iter().any(|l| l.starts_with("www.kimble.org."))
            && r.iter().any(|l| l.starts_with("static.kimble.org."))
    );
    assert_eq!(rows(&store, &ip("10.0.0.0/30")).0.len(), 3);
    assert_eq!(rows(&store, &ip("10.0.0.0/31")).0.len(), 1);
    assert_eq!(rows(&store, &ip("10.0.0.2-10.0.0.3")).0.len(), 2);
    assert_eq!(rows(&store, &ip("0.0.0.0/0")).0.len(), 5);
    assert_eq!(
        rows(&store, &ip("2001:db8::/32")).0,
        ["v6.example. AAAA 2001:db8::1 5"]
    );
    assert!(rows(&store, &ip("192.0.2.1")).0.is_empty());
}

#[test]
fn rdata_name_finds_delegations_and_dedupes() {
    let (_d, store) = fixture();
    let q = |s: &str, t| {
        Query::new(Lookup::RdataName {
            name: NamePattern::parse(s, false).unwrap(),
            rrtype: t,
        })
    };
    let (r, _) = rows(&store, &q("ns1.m-dns.us", TypeFilter::One(RrType::NS)));
    assert_eq!(
        r,
        [
            "kimble.org. NS ns1.m-dns.us. 10",
            "spam.example. NS ns1.m-dns.us. 10"
        ]
    );
    let (r, _) = rows(&store, &q("ns1.m-dns.us", TypeFilter::All));
    assert_eq!(r.len(), 3, "NS twice and the SOA mname: {r:?}");
    // The SOA names two targets below m-dns.us; it is reported once.
    let (r, _) = rows(&store, &q("*.m-dns.us", TypeFilter::All));
    assert_eq!(r.len(), 4, "{r:?}");
    let (r, _) = rows(&store, &q("*.m-dns.us", TypeFilter::One(RrType::MX)));
    assert_eq!(r.len(), 1);
}

#[test]
fn rdata_raw_lookups() {
    let (_d, store) = fixture();
    let q = |hex: &str| {
        Query::new(Lookup::RdataRaw {
            rdata: parse_hex(hex).unwrap(),
            rrtype: TypeFilter::All,
        })
    };
    assert_eq!(rows(&store, &q("d409bda4")).0.len(), 2);
    assert_eq!(
        rows(&store, &q("0568656c6c6f")).0,
        ["txt.example. TXT \"hello\" 5"]
    );
    let ns_hex: String = n("ns1.m-dns.us")
        .as_wire()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(rows(&store, &q(&ns_hex)).0.len(), 2);
    let mx_hex: String = mx(10, "mx.m-dns.us")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(rows(&store, &q(&mx_hex)).0.len(), 1);
    assert!(rows(&store, &q("00")).0.is_empty());
}

#[test]
fn summaries() {
    let (_d, store) = fixture();
    let s = summarize(
        &store.view(),
        &rrset("kimble.org", false, TypeFilter::One(RrType::A)),
    )
    .unwrap();
    assert_eq!(
        s,
        Summary {
            num_results: 3,
            count: 6,
            time_first: Some(100),
            time_last: Some(399),
            limited: false
        }
    );
    let mut q = rrset("kimble.org", false, TypeFilter::One(RrType::A));
    q.limit = Some(1);
    assert!(summarize(&store.view(), &q).unwrap().limited);
}

#[test]
fn formats() {
    let (_d, store) = fixture();
    let q = rrset("www.kimble.org", false, TypeFilter::All);
    let mut out = Vec::new();
    for format in [Format::Json, Format::Csv, Format::Table] {
        let mut w = RowWriter::new(Vec::new(), format);
        run(&store.view(), &q, &mut |r| {
            w.row(&r).unwrap();
            Flow::Continue
        })
        .unwrap();
        w.finish().unwrap();
        out.push(String::from_utf8(w.into_inner()).unwrap());
    }
    let origin = store.local_origin_name();
    let json: serde_json::Value = serde_json::from_str(out[0].trim()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"rrname": "www.kimble.org.", "rrtype": "A", "rdata": ["212.9.189.164"],
            "time_first": 50, "time_last": 60, "count": 5, "bailiwick": "kimble.org.", "sensor_id": origin})
    );
    assert_eq!(
        out[1],
        format!(
            "time_first,time_last,count,rrname,rrtype,bailiwick,rdata,sensor_id\n50,60,5,www.kimble.org.,A,kimble.org.,212.9.189.164,{origin}\n"
        )
    );
    let table: Vec<&str> = out[2].lines().collect();
    assert_eq!(
        table[0],
        "first seen           last seen            count  name             type  data"
    );
    assert_eq!(
        table[1],
        "1970-01-01 00:00:50  1970-01-01 00:01:00      5  www.kimble.org.  A     212.9.189.164"
    );
}

#[test]
fn right_hand_wildcards_use_the_names_keyspace() {
    let (_d, store) = fixture();
    let (r, _) = rows(&store, &rrset("www.kimble.*", false, TypeFilter::All));
    assert_eq!(r, ["www.kimble.org. A 212.9.189.164 50"]);
    let (r, _) = rows(&store, &rrset("kimble.*", false, TypeFilter::All));
    assert_eq!(
        r.len(),
        4,
        "kimble.org's four records, not www.kimble.org: {r:?}"
    );
    let (r, _) = rows(
        &store,
        &rrset("kimble.*", false, TypeFilter::One(RrType::NS)),
    );
    assert_eq!(r, ["kimble.org. NS ns1.m-dns.us. 10"]);
    assert!(
        rows(&store, &rrset("kimble.org.*", false, TypeFilter::All))
            .0
            .is_empty()
    );
    let mut q = rrset("www.kimble.*", false, TypeFilter::All);
    if let Lookup::Rrset { bailiwick, .. } = &mut q.lookup {
        *bailiwick = Some(n("org"));
    }
    assert!(rows(&store, &q).0.is_empty());
    let rdata = Query::new(Lookup::RdataName {
        name: NamePattern::parse("ns1.m-dns.*", false).unwrap(),
        rrtype: TypeFilter::All,
    });
    assert!(matches!(
        run(&store.view(), &rdata, &mut |_| Flow::Continue),
        Err(crate::QueryError::Unsupported(_))
    ));
}

#[test]
fn cancellation_stops_a_scan_that_matches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Default::default()).unwrap();
    let batch: Vec<_> = (0..2000u32)
        .map(|i| {
            let s = Sighting {
                time_first: 10,
                time_last: 20,
                count: 1,
            };
            (
                key(
                    &format!("h{i}.example"),
                    RrType::A,
                    None,
                    i.to_be_bytes().to_vec(),
                ),
                s,
            )
        })
        .collect();
    store.apply_local(batch).unwrap();
    // A type no record has: the scan reads every key and emits nothing.
    let q = rrset("*.example", false, TypeFilter::One(RrType::TXT));
    let asked = std::cell::Cell::new(0u32);
    let cancelled = || {
        asked.set(asked.get() + 1);
        asked.get() >= 2
    };
    let outcome = run_with(&store.view(), &q, &mut |_| Flow::Continue, &cancelled).unwrap();
    assert!(outcome.stopped);
    assert_eq!(outcome.rows, 0);
    assert_eq!(asked.get(), 2, "asked every few hundred keys, not per key");
    let all = rrset("*.example", false, TypeFilter::All);
    let s = summarize_with(&store.view(), &all, None, &cancelled).unwrap();
    assert!(s.stopped && s.summary.num_results < 2000);
    let s = summarize_with(&store.view(), &all, Some(100), &|| false).unwrap();
    assert!(s.max_count_reached && !s.stopped);
    assert_eq!(s.summary.count, 100);
    let s = summarize_with(&store.view(), &all, Some(5000), &|| false).unwrap();
    assert!(!s.max_count_reached);
    assert_eq!(s.summary.num_results, 2000);
}
