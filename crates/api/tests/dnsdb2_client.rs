//! The real `dnsdb2` Python client (Farsight's DNSDB API v2 SDK) against the server, over
//! a store with the paper's traffic: the records it returns are the query engine's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{KEY, Rec, TestServer, python, rec, require_python_clients, truth};
use hearsay_query::{Fences, IpMatch, Lookup, NamePattern, Query, TypeFilter};
use hearsay_record::{Name, RrType};
use serde_json::{Value, json};

fn rrset(owner: &str, t: TypeFilter, bailiwick: Option<&str>) -> Query {
    Query {
        lookup: Lookup::Rrset {
            owner: NamePattern::parse(owner, false).unwrap(),
            rrtype: t,
            bailiwick: bailiwick.map(|b| Name::from_presentation(b).unwrap()),
        },
        fences: Fences::default(),
        limit: None,
        offset: 0,
    }
}

fn records(result: &Value) -> Vec<Rec> {
    result["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(rec)
        .collect()
}

fn op(method: &str, args: Value, kwargs: Value) -> Value {
    json!({"method": method, "args": args, "kwargs": kwargs})
}

#[test]
fn dnsdb2_lookups_return_the_stored_records() {
    require_python_clients();
    let dir = tempfile::tempdir().unwrap();
    let store = common::paper_store(dir.path());
    let server = TestServer::start(store.clone(), common::config());

    let kimble = truth(
        &store,
        &rrset("kimble.org", TypeFilter::One(RrType::A), None),
    );
    assert_eq!(kimble.len(), 7);
    let fence = kimble[3].3;
    let ops = vec![
        op("lookup_rrset", json!(["kimble.org", "A"]), json!({})),
        op("lookup_rrset", json!(["com", "NS"]), json!({})),
        op("lookup_rrset", json!(["*.enyo.de"]), json!({})),
        op("lookup_rrset", json!(["www.example.*"]), json!({})),
        op(
            "lookup_rdata_name",
            json!(["ns1.m-dns.us", "NS"]),
            json!({}),
        ),
        op("lookup_rdata_ip", json!(["64.94.110.0/24"]), json!({})),
        op("lookup_rdata_ip", json!(["212.9.189.164"]), json!({})),
        op("lookup_rdata_raw", json!(["405e6e0b", "A"]), json!({})),
        op(
            "lookup_rrset",
            json!(["kimble.org", "A"]),
            json!({"time_first_after": fence}),
        ),
        op(
            "lookup_rrset",
            json!(["kimble.org", "A"]),
            json!({"time_last_before": fence, "humantime": true, "aggr": false}),
        ),
        op(
            "lookup_rrset",
            json!(["kimble.org", "A"]),
            json!({"limit": 3}),
        ),
        op(
            "lookup_rrset",
            json!(["kimble.org", "A"]),
            json!({"limit": 3, "offset": 3, "ignore_limited": true}),
        ),
        op("summarize_rrset", json!(["kimble.org", "A"]), json!({})),
        op(
            "summarize_rdata_ip",
            json!(["64.94.110.0/24"]),
            json!({"limit": 2}),
        ),
        op("rate_limit", json!([]), json!({})),
        op("ping", json!([]), json!({})),
        op(
            "lookup_rrset",
            json!(["odd.pages.example", "TYPE65280", "pages.example"]),
            json!({}),
        ),
        op("lookup_rrset", json!(["nothing.example"]), json!({})),
        op("lookup_rrset", json!(["kimble.org", "BOGUS"]), json!({})),
        op(
            "lookup_rrset",
            json!(["kimble.org"]),
            json!({"offset": 5_000_000}),
        ),
        op(
            "lookup_rrset",
            json!(["odd.pages.example", null, "example"]),
            json!({}),
        ),
    ];
    let out = python(
        "dnsdb2_driver.py",
        &json!({"key": KEY, "server": server.url(), "ops": ops}),
    );
    let out = out.as_array().unwrap();
    for i in (0..=9).chain([11, 12, 14, 15, 16, 17]) {
        assert_eq!(out[i]["error"], Value::Null, "op {i}: {}", out[i]);
    }

    // kimble.org/A: the seven addresses in the order they appeared, figures as stored.
    assert_eq!(records(&out[0]), kimble);
    let addrs: Vec<String> = kimble.iter().map(|r| r.2.clone()).collect();
    assert_eq!(
        addrs,
        [
            "192.0.2.77",
            "198.51.100.23",
            "203.0.113.140",
            "198.51.100.201",
            "192.0.2.164",
            "203.0.113.9",
            "198.51.100.88"
        ]
    );
    for r in out[0]["records"].as_array().unwrap() {
        assert!(
            r.get("bailiwick").is_none(),
            "unknown bailiwick left out: {r}"
        );
        assert!(r["rdata"].is_array());
    }

    // com/NS: the root's records carry their bailiwick, the others have none.
    let com = out[1]["records"].as_array().unwrap();
    assert_eq!(
        records(&out[1]),
        truth(&store, &rrset("com", TypeFilter::One(RrType::NS), None))
    );
    let from_root: Vec<&Value> = com.iter().filter(|r| r["bailiwick"] == ".").collect();
    assert_eq!(from_root.len(), 2, "{com:?}");
    for r in from_root {
        assert!(
            r["rdata"][0]
                .as_str()
                .unwrap()
                .ends_with(".gtld-servers.net.")
        );
    }
    assert!(com.iter().any(|r| r["rdata"][0] == "ns1.example.net."));

    // Left-hand and right-hand wildcards.
    let enyo: Vec<String> = records(&out[2]).into_iter().map(|r| r.0).collect();
    assert_eq!(enyo, ["www.enyo.de.", "static.enyo.de."]);
    let www: Vec<(String, String)> = records(&out[3]).into_iter().map(|r| (r.0, r.2)).collect();
    assert_eq!(
        www,
        [
            ("www.example.com.".into(), "198.51.100.67".into()),
            ("www.example.net.".into(), "198.51.100.67".into())
        ]
    );

    // Which domains use ns1.m-dns.us?
    let delegated = records(&out[4]);
    assert_eq!(
        delegated,
        truth(
            &store,
            &Query::new(Lookup::RdataName {
                name: NamePattern::parse("ns1.m-dns.us", false).unwrap(),
                rrtype: TypeFilter::One(RrType::NS),
            })
        )
    );
    assert_eq!(delegated.len(), 9);
    assert!(
        delegated
            .iter()
            .any(|r| r.0 == "casino-bonus-0412.biz." && r.1 == "NS")
    );
    for r in out[4]["records"].as_array().unwrap() {
        assert!(
            r.get("bailiwick").is_none(),
            "no bailiwick on rdata lookups"
        );
    }

    // Site Finder: the /24 (dnsdb2 sends it as 64.94.110.0,24), the exact address.
    let sitefinder = records(&out[5]);
    assert_eq!(
        sitefinder,
        truth(
            &store,
            &Query::new(Lookup::RdataIp(IpMatch::parse("64.94.110.0/24").unwrap()))
        )
    );
    assert_eq!(sitefinder.len(), 11);
    assert!(sitefinder.iter().all(|r| r.2 == "64.94.110.11"));
    let shared: Vec<String> = records(&out[6]).into_iter().map(|r| r.0).collect();
    assert_eq!(shared.len(), 2);
    assert!(shared.contains(&"www.enyo.de.".to_owned()));
    assert!(shared.contains(&"static.enyo.de.".to_owned()));
    assert_eq!(records(&out[7]), sitefinder, "raw c0 rdata of 64.94.110.11");

    // Time fences.
    assert_eq!(records(&out[8]), kimble[3..]);
    let mut fenced = rrset("kimble.org", TypeFilter::One(RrType::A), None);
    fenced.fences.last_before = Some(fence);
    let fenced = truth(&store, &fenced);
    assert_eq!(
        fenced,
        kimble[..3],
        "last seen at or before the 4th's first"
    );
    let before = out[9]["records"].as_array().unwrap();
    assert_eq!(before.len(), 3);
    assert_eq!(before[0]["rdata"][0], "192.0.2.77");
    assert_eq!(before[2]["count"], fenced[2].5);
    let human = before[0]["time_first"].as_str().unwrap();
    assert!(
        human.starts_with("2004-11-") && human.ends_with('Z'),
        "{human}"
    );

    // limit=3: three records, then dnsdb2 raises QueryLimited; offset pages on.
    assert_eq!(records(&out[10]), kimble[..3]);
    assert_eq!(out[10]["error"], "QueryLimited");
    assert_eq!(records(&out[11]), kimble[3..6]);
    assert_eq!(out[11]["error"], Value::Null, "ignore_limited");

    // Summaries.
    let s = &out[12]["records"][0];
    assert_eq!(s["num_results"], 7);
    assert_eq!(s["count"], kimble.iter().map(|r| r.5).sum::<u64>());
    assert_eq!(s["time_first"], kimble[0].3);
    assert_eq!(s["time_last"], kimble.iter().map(|r| r.4).max().unwrap());
    assert_eq!(out[13]["error"], "QueryLimited", "{}", out[13]);
    assert_eq!(out[13]["records"][0]["num_results"], 2);

    // rate_limit and ping.
    let rate = &out[14]["value"]["rate"];
    assert_eq!(rate["results_max"], 100_000);
    assert_eq!(rate["offset_max"], 1_000_000);
    assert_eq!(rate["limit"], "unlimited");
    assert_eq!(rate["remaining"], "n/a");
    assert_eq!(out[15]["value"], true);

    // An unknown type: TYPEnnn and RFC 3597 rdata.
    let odd = &out[16]["records"][0];
    assert_eq!(odd["rrtype"], "TYPE65280");
    assert_eq!(odd["rdata"], json!(["\\# 3 010203"]));
    assert_eq!(odd["bailiwick"], "pages.example.");
    assert_eq!(out[20]["records"], json!([]), "bailiwick example: none");
    assert_eq!(out[20]["error"], Value::Null);
    // Nothing found is not an error.
    assert_eq!(out[17]["records"], json!([]));
    assert_eq!(out[17]["error"], Value::Null);
    // Bad requests become the client's exceptions.
    assert_eq!(out[18]["error"], "QueryError");
    assert_eq!(out[19]["error"], "OffsetError");

    let stats = server.stats.get();
    assert!(stats.queries >= 15, "{stats:?}");
    assert_eq!(stats.failed, 0);
}

#[test]
fn dnsdb2_wrong_key_and_quota() {
    require_python_clients();
    let dir = tempfile::tempdir().unwrap();
    let store = common::paper_store(dir.path());
    let mut config = common::config();
    config.api_keys[0].queries_per_minute = Some(2);
    config.api_keys[0].max_results = 5;
    let server = TestServer::start(store, config);
    let ops = vec![
        op("rate_limit", json!([]), json!({})),
        op(
            "lookup_rrset",
            json!(["*.pages.example"]),
            json!({"limit": 1000}),
        ),
        op("lookup_rrset", json!(["www.enyo.de"]), json!({})),
        op("lookup_rrset", json!(["www.enyo.de"]), json!({})),
    ];
    let out = python(
        "dnsdb2_driver.py",
        &json!({"key": KEY, "server": server.url(), "ops": ops}),
    );
    let rate = &out[0]["value"]["rate"];
    assert_eq!(rate["burst_size"], 2);
    assert_eq!(rate["burst_window"], 60);
    assert_eq!(rate["results_max"], 5);
    // A limit above the key's maximum is lowered to it.
    assert_eq!(out[1]["records"].as_array().unwrap().len(), 5);
    assert_eq!(out[1]["error"], "QueryLimited");
    assert_eq!(out[2]["error"], Value::Null);
    assert_eq!(
        out[3]["error"], "QuotaExceeded",
        "the third query in a minute"
    );

    let out = python(
        "dnsdb2_driver.py",
        &json!({"key": "not-a-key-at-all-0000", "server": server.url(),
                "ops": [op("lookup_rrset", json!(["kimble.org"]), json!({})),
                        op("rate_limit", json!([]), json!({})),
                        op("ping", json!([]), json!({}))]}),
    );
    assert_eq!(out[0]["error"], "AccessDenied");
    assert_eq!(out[1]["error"], "AccessDenied");
    assert_eq!(out[2]["value"], true, "ping needs no key");
}
