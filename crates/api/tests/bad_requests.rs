//! Malformed and unauthorised requests over raw HTTP: each gets its documented status
//! and a JSON error body — never a 500, never a hang (every request here has 20 s).
//! Also the SAF framing of good answers as bytes on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{KEY, TestServer, get, get_keyed, raw};

#[test]
fn bad_requests_get_their_status_and_a_json_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::paper_store(dir.path());
    let server = TestServer::start(store, common::config());
    let a = server.addr;
    let cases: &[(&str, u16, &str)] = &[
        // Unknown record type, malformed names, addresses, hex.
        ("/dnsdb/v2/lookup/rrset/name/kimble.org/BOGUS", 400, "BOGUS"),
        (
            "/dnsdb/v2/lookup/rdata/name/ns1.m-dns.us/NOTATYPE",
            400,
            "NOTATYPE",
        ),
        ("/dnsdb/v2/lookup/rdata/ip/300.1.2.3", 400, "300.1.2.3"),
        ("/dnsdb/v2/lookup/rdata/ip/10.0.0.0,33", 400, "10.0.0.0,33"),
        (
            "/dnsdb/v2/lookup/rdata/ip/10.0.0.9-10.0.0.1",
            400,
            "10.0.0.9",
        ),
        ("/dnsdb/v2/lookup/rdata/ip/::1-10.0.0.1", 400, "::1"),
        ("/dnsdb/v2/lookup/rdata/raw/xyz", 400, "xyz"),
        ("/dnsdb/v2/lookup/rrset/raw/03777777", 400, "03777777"),
        ("/dnsdb/v2/lookup/rrset/name/a..b", 400, "a..b"),
        (
            &format!("/dnsdb/v2/lookup/rrset/name/{}.com", "a".repeat(64)),
            400,
            "label",
        ),
        ("/dnsdb/v2/lookup/rrset/name/www.*.com", 400, "wildcard"),
        ("/dnsdb/v2/lookup/rdata/name/ns1.m-dns.*", 400, "right-hand"),
        // Limits and offsets.
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?limit=99999999999999999999999",
            400,
            "limit",
        ),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?limit=-5",
            400,
            "limit",
        ),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?offset=1000001",
            416,
            "offset",
        ),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?max_count=5",
            400,
            "max_count",
        ),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?humantime=maybe",
            400,
            "humantime",
        ),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?time_first_after=soon",
            400,
            "time_first_after",
        ),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?time_frist_after=1",
            400,
            "time_frist_after",
        ),
        // Garbage paths.
        ("/", 404, "endpoint"),
        ("/garbage/../../etc/passwd", 404, "endpoint"),
        ("/dnsdb/v2/", 404, "endpoint"),
        ("/dnsdb/v2/frobnicate/rrset/name/x", 404, "unknown"),
        ("/dnsdb/v2/regex/rrnames/x", 404, "flexible"),
        ("/dnsdb/v2/lookup/rrset/bogus/x", 400, "unknown lookup"),
        ("/dnsdb/v2/lookup/rrset/name", 400, "incomplete"),
        ("/dnsdb/v2/lookup/rrset//A", 400, "empty"),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org/A/kimble.org/extra",
            400,
            "extra",
        ),
        ("/dnsdb/v2/lookup/rdata/ip/192.0.2.1/A", 400, "\"A\""),
        // Percent-encoded garbage.
        ("/dnsdb/v2/lookup/rrset/name/%zz", 400, "percent"),
        ("/dnsdb/v2/lookup/rrset/name/abc%4", 400, "percent"),
        ("/dnsdb/v2/lookup/rrset/name/%ff%fe", 400, "UTF-8"),
        (
            "/dnsdb/v2/lookup/rrset/name/kimble.org?limit=%zz",
            400,
            "percent",
        ),
        ("/pdns/query/%c3%28", 400, "UTF-8"),
        ("/pdns/query/300.1.2.3", 400, "300.1.2.3"),
        ("/pdns/query/a..b", 400, "a..b"),
    ];
    for (target, status, needle) in cases {
        let r = get(a, target, &[("X-API-Key", KEY)]);
        assert_eq!(r.status, *status, "{target}: {}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{target}"
        );
        let body = r.json();
        let msg = body["error"].as_str().unwrap();
        assert!(
            msg.to_lowercase().contains(&needle.to_lowercase()),
            "{target}: {msg:?} should mention {needle:?}"
        );
        assert_eq!(body["status"], *status);
    }

    // Keys: missing or wrong is 403 for DNSDB (ping is open), 401 with a Basic
    // challenge for CIRCL.
    for target in [
        "/dnsdb/v2/lookup/rrset/name/kimble.org",
        "/dnsdb/v2/summarize/rdata/ip/10.0.0.0,8",
        "/dnsdb/v2/rate_limit",
        "/dnsdb/v2/lookup/rrset/name/BOGUS/BOGUS",
    ] {
        for headers in [&[][..], &[("X-API-Key", "wrong-key-0123456789")][..]] {
            let r = get(a, target, headers);
            assert_eq!(r.status, 403, "{target} {headers:?}");
            assert!(r.json()["error"].as_str().unwrap().contains("X-API-Key"));
        }
    }
    assert_eq!(get(a, "/dnsdb/v2/ping", &[]).json()["ping"], "ok");
    let r = get(a, "/pdns/query/kimble.org", &[]);
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    let r = get(
        a,
        "/pdns/query/kimble.org",
        &[("Authorization", "Basic bm90OnJpZ2h0")],
    );
    assert_eq!(r.status, 401);

    // Methods.
    let r = raw(
        a,
        format!("POST /dnsdb/v2/lookup/rrset/name/kimble.org HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status, 405);
    assert!(r.json()["error"].is_string());

    // CIRCL header errors.
    for (h, v, status) in [
        ("dribble-paginate-count", "0", 400),
        ("dribble-paginate-count", "many", 400),
        ("dribble-paginate-cursor", "x", 400),
        ("dribble-paginate-cursor", "99999999999999999", 400),
        ("dribble-paginate-cursor", "1000001", 416),
    ] {
        let mut headers = vec![("X-API-Key", KEY), (h, v)];
        if h != "dribble-paginate-count" {
            headers.push(("dribble-paginate-count", "5"));
        }
        let r = get(a, "/pdns/query/kimble.org", &headers);
        assert_eq!(r.status, status, "{h}: {v}: {}", r.body);
        assert!(r.json()["error"].is_string());
    }

    // A request line the HTTP parser refuses, and a client that sends half a request:
    // an answer or a close, never a hang or a 500.
    let r = raw(a, b"GARBAGE\r\n\r\n");
    assert!((400..500).contains(&r.status), "{}", r.status);
    let mut half = std::net::TcpStream::connect(a).unwrap();
    std::io::Write::write_all(&mut half, b"GET /dnsdb/v2/ping HTTP/1.1\r\nHo").unwrap();
    drop(half);

    let stats = server.stats.get();
    assert_eq!(stats.failed, 0);
    assert!(stats.rejected >= cases.len() as u64, "{stats:?}");
}

#[test]
fn answers_are_well_formed_saf() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::paper_store(dir.path());
    let server = TestServer::start(store, common::config());
    let a = server.addr;

    // The root name, not "this directory": a valid (empty) answer.
    for target in [
        "/dnsdb/v2/lookup/rrset/name/.",
        "/dnsdb/v2/lookup/rrset/name/%2E",
        "/dnsdb/v2/lookup/rrset/name/nothing.example",
    ] {
        let r = get_keyed(a, target);
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
        let lines = r.lines();
        assert_eq!(lines.len(), 2, "{target}: {}", r.body);
        assert_eq!(lines[0], serde_json::json!({"cond": "begin"}));
        assert_eq!(lines[1], serde_json::json!({"cond": "succeeded"}));
    }

    // rrset/raw: the owner in wire form; every line is JSON, one terminator at the end.
    let r = get_keyed(
        a,
        "/dnsdb/v2/lookup/rrset/raw/066b696d626c65036f726700/A?humantime=t",
    );
    assert_eq!(r.status, 200);
    assert!(r.body.ends_with('\n'));
    let lines = r.lines();
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[0]["cond"], "begin");
    assert_eq!(lines[8]["cond"], "succeeded");
    for l in &lines[1..8] {
        let obj = &l["obj"];
        assert_eq!(obj["rrname"], "kimble.org.");
        assert!(obj["time_first"].as_str().unwrap().ends_with('Z'));
        assert!(obj["count"].is_u64());
        assert!(l.get("cond").is_none());
    }

    // limit: the objects, then `limited` with a message.
    let r = get_keyed(a, "/dnsdb/v2/lookup/rrset/name/kimble.org/A?limit=2");
    let lines = r.lines();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3]["cond"], "limited");
    assert!(lines[3]["msg"].is_string());
    // limit=0 is the maximum, a limit above the maximum is lowered to it.
    let r = get_keyed(a, "/dnsdb/v2/lookup/rrset/name/kimble.org/A?limit=0");
    assert_eq!(r.lines().last().unwrap()["cond"], "succeeded");
    let r = get_keyed(a, "/dnsdb/v2/lookup/rrset/name/kimble.org/A?limit=5000000");
    assert_eq!(r.lines().len(), 9);

    // Relative time fences (negative = seconds before now): 2004 is long ago.
    let r = get_keyed(
        a,
        "/dnsdb/v2/lookup/rrset/name/kimble.org?time_last_after=-31536000",
    );
    assert_eq!(r.lines().len(), 2);
    // Summaries with max_count.
    let r = get_keyed(
        a,
        "/dnsdb/v2/summarize/rrset/name/kimble.org/A?max_count=30",
    );
    let lines = r.lines();
    assert_eq!(
        lines[1]["obj"]["num_results"], 2,
        "in key order 28 + 31 passes 30"
    );
    assert_eq!(lines[2]["cond"], "limited");
    // Booleans in every spelling.
    for b in ["true", "True", "t", "1", "false", "False", "f", "0"] {
        let r = get_keyed(
            a,
            &format!(
                "/dnsdb/v2/lookup/rrset/name/www.enyo.de?aggr={b}&humantime={b}&swclient=test&version=1&id=a:b"
            ),
        );
        assert_eq!(r.status, 200, "{b}");
    }
}
