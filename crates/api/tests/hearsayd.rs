//! End to end: a real `hearsayd` process with an `[api]` section and a capture-file
//! sensor answers the real `dnsdb2` and `pypdns` clients; its answers are those of the
//! query engine over the same capture imported in-process; `hearsay status` shows the
//! API's counters; SIGTERM stops it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{KEY, Rec, python, rec, require_python_clients, truth};
use hearsay_node::config::Config;
use hearsay_query::{IpMatch, Lookup, NamePattern, Query, TypeFilter};
use hearsay_record::RrType;
use hearsay_tests::Daemon;
use serde_json::{Value, json};

fn records(result: &Value) -> Vec<Rec> {
    result["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(rec)
        .collect()
}

fn rrset(owner: &str, rrtype: TypeFilter) -> Query {
    Query::new(Lookup::Rrset {
        owner: NamePattern::parse(owner, false).unwrap(),
        rrtype,
        bailiwick: None,
    })
}

#[test]
fn hearsayd_serves_dnsdb2_and_pypdns() {
    require_python_clients();
    let tmp = tempfile::tempdir().unwrap();
    let pcap = common::paper_pcap(tmp.path());
    let config: Config = toml::from_str(&format!(
        r#"
[node]
origin = "api-a"
data_dir = {data:?}
flush_interval = 0.2

[[sensor]]
name = "paper"
file = {pcap:?}
placement = "above"

[api]
listen = "127.0.0.1:0"

[[api.api_keys]]
key = "{KEY}"
"#,
        data = tmp.path().join("node").join("data"),
    ))
    .unwrap();
    config.validate().unwrap();
    let daemon = Daemon::start(config);
    let status = daemon.wait_for(Duration::from_secs(60), |s| {
        s["sensors"][0]["running"] == false && s["api"]["listen"].is_string()
    });
    let server = format!("http://{}", status["api"]["listen"].as_str().unwrap());

    // The same capture imported in-process: what the answers must be.
    let reference = tempfile::tempdir().unwrap();
    let store = common::paper_store(reference.path());
    let kimble = truth(&store, &rrset("kimble.org", TypeFilter::One(RrType::A)));
    assert_eq!(kimble.len(), 7);
    let sitefinder = truth(
        &store,
        &Query::new(Lookup::RdataIp(IpMatch::parse("64.94.110.0/24").unwrap())),
    );
    let m_dns = truth(
        &store,
        &Query::new(Lookup::RdataName {
            name: NamePattern::parse("ns1.m-dns.us", false).unwrap(),
            rrtype: TypeFilter::One(RrType::NS),
        }),
    );
    let enyo = truth(&store, &rrset("*.enyo.de", TypeFilter::All));

    let out = python(
        "dnsdb2_driver.py",
        &json!({"key": KEY, "server": server, "ops": [
            {"method": "lookup_rrset", "args": ["kimble.org", "A"]},
            {"method": "lookup_rdata_ip", "args": ["64.94.110.0/24"]},
            {"method": "lookup_rdata_name", "args": ["ns1.m-dns.us", "NS"]},
            {"method": "lookup_rrset", "args": ["*.enyo.de"]},
            {"method": "lookup_rrset", "args": ["kimble.org", "A"],
             "kwargs": {"time_first_after": kimble[3].3}},
            {"method": "lookup_rrset", "args": ["kimble.org", "A"], "kwargs": {"limit": 2}},
            {"method": "summarize_rrset", "args": ["kimble.org", "A"]},
        ]}),
    );
    assert_eq!(records(&out[0]), kimble, "{}", out[0]);
    assert_eq!(records(&out[1]), sitefinder);
    assert_eq!(sitefinder.len(), 11);
    assert_eq!(records(&out[2]), m_dns);
    assert_eq!(m_dns.len(), 9);
    assert_eq!(records(&out[3]), enyo);
    assert_eq!(records(&out[4]), kimble[3..]);
    assert_eq!(records(&out[5]), kimble[..2]);
    assert_eq!(out[5]["error"], "QueryLimited");
    assert_eq!(out[6]["records"][0]["num_results"], 7);

    let out = python(
        "pypdns_driver.py",
        &json!({"url": format!("{server}/pdns/query"), "basic_auth": ["anyone", KEY],
                "ops": [{"method": "iter_query", "q": "64.94.110.0/24"}]}),
    );
    let mut got = records(&out[0]);
    let mut want = sitefinder.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    let s = daemon.status();
    assert_eq!(s["api"]["tls"], false);
    assert!(s["api"]["stats"]["queries"].as_u64().unwrap() >= 8, "{s}");
    assert_eq!(s["api"]["stats"]["failed"], 0);
    let text = daemon.status_text();
    let line = text.lines().find(|l| l.starts_with("api ")).unwrap_or("");
    assert!(
        line.contains(&format!("{server}: ")) && line.contains(" requests, "),
        "{text}"
    );
    daemon.terminate();
}
