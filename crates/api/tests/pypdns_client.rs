//! The real `pypdns` Python client (CIRCL passive DNS) against the server: `query`,
//! `rfc_query` and `iter_query` with its cursor pagination.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{
    KEY, PAGES_ADDR, PAGES_NS, Rec, TestServer, USER, USER_KEY, python, rec,
    require_python_clients, truth,
};
use hearsay_query::{IpMatch, Lookup, NamePattern, Query, TypeFilter};
use serde_json::{Value, json};

fn records(result: &Value) -> Vec<Rec> {
    result["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(rec)
        .collect()
}

fn set(recs: &[Rec]) -> BTreeSet<Rec> {
    recs.iter().cloned().collect()
}

fn op(method: &str, q: &str) -> Value {
    json!({"method": method, "q": q})
}

#[test]
fn pypdns_queries_and_pagination() {
    require_python_clients();
    let dir = tempfile::tempdir().unwrap();
    let store = common::paper_store(dir.path());
    let server = TestServer::start(store.clone(), common::config());
    let url = format!("{}/pdns/query", server.url());

    let name = |n: &str| NamePattern::parse(n, false).unwrap();
    let kimble = truth(
        &store,
        &Query::new(Lookup::Rrset {
            owner: name("kimble.org"),
            rrtype: TypeFilter::All,
            bailiwick: None,
        }),
    );
    let by_ip = truth(
        &store,
        &Query::new(Lookup::RdataIp(IpMatch::parse(PAGES_ADDR).unwrap())),
    );
    assert_eq!(by_ip.len(), 120);
    let ns_own = truth(
        &store,
        &Query::new(Lookup::Rrset {
            owner: name(PAGES_NS),
            rrtype: TypeFilter::All,
            bailiwick: None,
        }),
    );
    let ns_pointing = truth(
        &store,
        &Query::new(Lookup::RdataName {
            name: name(PAGES_NS),
            rrtype: TypeFilter::All,
        }),
    );
    assert_eq!((ns_own.len(), ns_pointing.len()), (70, 60));

    let mut ops = vec![
        op("query", "kimble.org"),
        op("rfc_query", "212.9.189.164"),
        op("iter_query", PAGES_ADDR),
        op("iter_query", PAGES_NS),
        json!({"method": "iter_query", "q": PAGES_NS, "filter_rrtype": "NS"}),
        json!({"method": "rfc_query", "q": "kimble.org", "filter_rrtype": "BOGUS"}),
        op("rfc_query", "odd.pages.example"),
        op("iter_query", "ns1.m-dns.us"),
        op("rfc_query", "64.94.110.0/24"),
        op("rfc_query", "nothing.example"),
    ];
    ops.push(op("rfc_query", "300.1.2.3"));
    let out = python(
        "pypdns_driver.py",
        &json!({"url": url, "basic_auth": [USER, USER_KEY], "ops": ops}),
    );
    for i in 0..10 {
        assert_eq!(out[i]["error"], Value::Null, "op {i}: {}", out[i]);
    }

    // query(): a name's records (pypdns sorts them by last seen).
    let got = records(&out[0]);
    assert_eq!(set(&got), set(&kimble));
    assert!(got.windows(2).all(|w| w[0].4 <= w[1].4));
    for r in out[0]["records"].as_array().unwrap() {
        assert!(r["rdata"].is_string(), "COF rdata: {r}");
        assert!(r["sensor_id"].is_string());
    }

    // rfc_query() of an address: the names on it, typed by the client.
    let shared = records(&out[1]);
    assert_eq!(shared.len(), 2);
    assert!(shared.iter().all(|r| r.1 == "A" && r.2 == "212.9.189.164"));
    assert_eq!(out[1]["typed"], json!(["A", "A"]));

    // iter_query(): 120 records in pages of 50, each seen once; the cursor is absent
    // on the last page only.
    let got = records(&out[2]);
    assert_eq!(got.len(), 120);
    assert_eq!(set(&got), set(&by_ip));
    let pages = out[2]["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert_eq!(pages[0]["cursor_sent"], Value::Null);
    assert!(pages[0]["cursor_received"].is_string());
    assert_eq!(pages[1]["cursor_sent"], pages[0]["cursor_received"]);
    assert_eq!(pages[2]["cursor_sent"], pages[1]["cursor_received"]);
    assert_eq!(pages[2]["cursor_received"], Value::Null);
    let lines: Vec<u64> = pages.iter().map(|p| p["lines"].as_u64().unwrap()).collect();
    assert_eq!(lines, [50, 50, 20]);

    // A name: its own records, then those pointing at it, across pages.
    let got = records(&out[3]);
    assert_eq!(got.len(), 130);
    let mut want = ns_own.clone();
    want.extend(ns_pointing.iter().cloned());
    assert_eq!(set(&got), set(&want));
    assert_eq!(got[..70], ns_own[..], "its own records first, in order");
    let pages = out[3]["pages"].as_array().unwrap();
    let lines: Vec<u64> = pages.iter().map(|p| p["lines"].as_u64().unwrap()).collect();
    assert_eq!(lines, [50, 50, 30]);
    assert_eq!(pages[2]["cursor_received"], Value::Null);

    // dribble-filter-rrtype.
    let got = records(&out[4]);
    assert_eq!(set(&got), set(&ns_pointing));
    assert_eq!(out[4]["pages"].as_array().unwrap().len(), 2);
    // An unknown type matches nothing (as pypdns documents).
    assert_eq!(out[5]["records"], json!([]));

    // An unknown type is a number in COF, and pypdns types it.
    let odd = &out[6]["records"][0];
    assert_eq!(odd["rrtype"], 65280);
    assert_eq!(odd["rdata"], "\\# 3 010203");
    assert_eq!(odd["bailiwick"], "pages.example.");
    assert_eq!(out[6]["typed"], json!(["TYPE65280"]));

    // Which records name ns1.m-dns.us: the NS delegations and its own A record.
    let got = records(&out[7]);
    assert_eq!(got.iter().filter(|r| r.1 == "NS").count(), 9);
    assert_eq!(
        got.iter()
            .filter(|r| r.0 == "ns1.m-dns.us." && r.1 == "A")
            .count(),
        1
    );
    assert_eq!(out[7]["pages"].as_array().unwrap().len(), 1);

    // A network.
    assert_eq!(records(&out[8]).len(), 11);
    assert_eq!(out[9]["records"], json!([]));
    assert_eq!(out[10]["error"], "PDNSError", "400 for a malformed address");
}

#[test]
fn pypdns_authentication() {
    require_python_clients();
    let dir = tempfile::tempdir().unwrap();
    let store = common::paper_store(dir.path());
    let server = TestServer::start(store, common::config());
    let url = format!("{}/pdns/query", server.url());
    let q = [op("rfc_query", "212.9.189.164")];
    let run = |auth: Value| {
        let mut input = json!({"url": url, "ops": q});
        for (k, v) in auth.as_object().unwrap() {
            input[k] = v.clone();
        }
        python("pypdns_driver.py", &input)
    };
    let ok = |out: &Value| out[0]["records"].as_array().unwrap().len() == 2;
    assert!(ok(&run(json!({"basic_auth": [USER, USER_KEY]}))));
    assert!(
        ok(&run(json!({"basic_auth": ["anyone", KEY]}))),
        "unnamed key"
    );
    assert!(ok(&run(json!({"auth_header": ["X-API-Key", KEY]}))));
    let wrong_user = run(json!({"basic_auth": ["mallory", USER_KEY]}));
    assert_eq!(wrong_user[0]["error"], "UnauthorizedError");
    let wrong_key = run(json!({"basic_auth": [USER, "wrong-key-000000000000"]}));
    assert_eq!(wrong_key[0]["error"], "UnauthorizedError");
    let none = run(json!({}));
    assert_eq!(none[0]["error"], "UnauthorizedError");
}
