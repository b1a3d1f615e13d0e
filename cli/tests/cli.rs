//! The `hearsay` command end to end: capture files written here with hearsay-gen (and
//! the shared real captures) go through `hearsay import` into a store that `hearsay
//! query`, `summarize`, `export` and `stats` read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hearsay_gen::frame::Link;
use hearsay_gen::pcap::PcapWriter;
use hearsay_gen::{Packet, paper};

fn hearsay(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("HEARSAY_DATA_DIR")
        .output()
        .expect("run hearsay")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = hearsay(data, args);
    assert!(
        out.status.success(),
        "hearsay {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_pcap(path: &Path, packets: &[Packet]) {
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

/// All paper scenarios as one capture file, and the scenarios themselves.
fn paper_capture(dir: &Path) -> PathBuf {
    let mut packets = Vec::new();
    for s in paper::scenarios().unwrap() {
        packets.extend(paper::frames(&s).unwrap());
    }
    packets.sort_by_key(|p| p.ts);
    let path = dir.join("paper.pcap");
    write_pcap(&path, &packets);
    path
}

#[test]
fn the_papers_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pcap = paper_capture(tmp.path());
    ok(&data, &["import", pcap.to_str().unwrap()]);

    // kimble.org's A record hopping: one row per address, in the order they appeared,
    // each first seen on the day of its hop.
    let rows = json_lines(&ok(
        &data,
        &[
            "query",
            "rrset",
            "kimble.org",
            "--type",
            "A",
            "--format",
            "json",
        ],
    ));
    let addrs: Vec<&str> = rows
        .iter()
        .map(|r| r["rdata"][0].as_str().unwrap())
        .collect();
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
    let firsts: Vec<u64> = rows
        .iter()
        .map(|r| r["time_first"].as_u64().unwrap())
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{firsts:?}");
    let days = [
        (2004, 11, 2),
        (2004, 11, 12),
        (2004, 11, 21),
        (2004, 11, 29),
        (2004, 12, 9),
        (2004, 12, 20),
        (2004, 12, 31),
    ];
    for (first, (y, m, d)) in firsts.iter().zip(days) {
        let day = paper::unix_time(y, m, d, 0, 0);
        assert!(
            (day..day + 86_400).contains(first),
            "first seen {first} not on {y}-{m}-{d}"
        );
    }
    for r in &rows {
        assert!(r["time_last"].as_u64().unwrap() >= r["time_first"].as_u64().unwrap());
        assert!(r["count"].as_u64().unwrap() > 1);
        assert_eq!(r["rrname"], "kimble.org.");
        assert_eq!(r["rrtype"], "A");
    }

    // The ebay.de NS change: the hijackers' name servers appear, briefly, and the
    // legitimate ones stay.
    let ns = json_lines(&ok(
        &data,
        &[
            "query", "rrset", "ebay.de", "--type", "NS", "--format", "json",
        ],
    ));
    let servers: Vec<&str> = ns.iter().map(|r| r["rdata"][0].as_str().unwrap()).collect();
    assert!(servers.iter().any(|s| s.contains("hijack")), "{servers:?}");
    assert!(
        servers.iter().any(|s| s.ends_with("ebaydns.com.")),
        "{servers:?}"
    );
    let hijack: Vec<&serde_json::Value> = ns
        .iter()
        .filter(|r| r["rdata"][0].as_str().unwrap().contains("hijack"))
        .collect();
    for r in &hijack {
        let span = r["time_last"].as_u64().unwrap() - r["time_first"].as_u64().unwrap();
        assert!(
            span < 2 * 86_400,
            "the hijack lasted about 36 hours, not {span}s"
        );
    }
    let legit_first = ns
        .iter()
        .filter(|r| r["rdata"][0].as_str().unwrap().ends_with("ebaydns.com."))
        .map(|r| r["time_first"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(
        hijack
            .iter()
            .all(|r| r["time_first"].as_u64().unwrap() > legit_first),
        "the legitimate servers come first"
    );

    // Which domains use the m-dns.us name servers?
    let delegated = json_lines(&ok(
        &data,
        &["query", "rdata", "name", "ns1.m-dns.us", "--format", "json"],
    ));
    assert!(delegated.len() >= 8, "{delegated:?}");
    assert!(
        delegated
            .iter()
            .all(|r| r["rrtype"] == "NS" && r["rdata"][0] == "ns1.m-dns.us.")
    );

    // Which names pointed at 212.9.189.164?
    let names: Vec<String> = json_lines(&ok(
        &data,
        &["query", "rdata", "ip", "212.9.189.164", "--format", "json"],
    ))
    .iter()
    .map(|r| r["rrname"].as_str().unwrap().to_owned())
    .collect();
    assert!(
        names.iter().any(|n| n.starts_with("www."))
            && names.iter().any(|n| n.starts_with("static.")),
        "{names:?}"
    );

    // Site Finder: nonexistent .com/.net names resolving to the wildcard's address.
    let sitefinder = json_lines(&ok(
        &data,
        &["query", "rdata", "ip", "64.94.110.0/24", "--format", "json"],
    ));
    assert!(sitefinder.len() >= 10);

    // The table is the paper's.
    let table = ok(
        &data,
        &[
            "query",
            "rrset",
            "kimble.org",
            "--type",
            "A",
            "--format",
            "table",
        ],
    );
    let mut lines = table.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("first seen           last seen            count  name")
    );
    assert!(lines.next().unwrap().starts_with("2004-11-02 "));

    let summary: serde_json::Value = serde_json::from_str(&ok(
        &data,
        &[
            "summarize",
            "rrset",
            "kimble.org",
            "--type",
            "A",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(summary["num_results"], 7);
    assert_eq!(summary["time_first"], rows[0]["time_first"]);
}

#[test]
fn reimport_doubles_counts_and_order_does_not_matter() {
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = paper::scenarios().unwrap();
    // Two files with different traffic.
    let (a, b) = (tmp.path().join("a.pcap"), tmp.path().join("b.pcap"));
    write_pcap(&a, &paper::frames(&scenarios[0]).unwrap());
    let mut rest = Vec::new();
    for s in &scenarios[1..] {
        rest.extend(paper::frames(s).unwrap());
    }
    rest.sort_by_key(|p| p.ts);
    write_pcap(&b, &rest);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    let once = tmp.path().join("once");
    ok(&once, &["import", a, b]);
    let twice = tmp.path().join("twice");
    ok(&twice, &["import", a, b]);
    ok(&twice, &["import", a, b]);
    let reversed = tmp.path().join("reversed");
    ok(&reversed, &["import", b]);
    ok(&reversed, &["import", a]);

    let export = |d: &Path| {
        let mut rows = json_lines(&ok(d, &["export", "--format", "json"]));
        for r in &mut rows {
            r.as_object_mut().unwrap().remove("sensor_id"); // each store has its own origin
        }
        rows
    };
    let (e1, e2, e3) = (export(&once), export(&twice), export(&reversed));
    assert!(!e1.is_empty());
    assert_eq!(e1, e3, "importing in another order gives the same records");
    assert_eq!(e1.len(), e2.len());
    for (x, y) in e1.iter().zip(&e2) {
        assert_eq!(x["rrname"], y["rrname"]);
        assert_eq!(x["time_first"], y["time_first"]);
        assert_eq!(x["time_last"], y["time_last"]);
        assert_eq!(
            2 * x["count"].as_u64().unwrap(),
            y["count"].as_u64().unwrap()
        );
    }
}

#[test]
fn every_shared_capture_imports() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/pcaps");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 25,
        "expected the shared captures in {}",
        dir.display()
    );
    for f in &files {
        let data = tmp.path().join(f.file_name().unwrap());
        let out = hearsay(&data, &["import", "--json", f.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            report["stats"]["decode"]["frames"].as_u64().unwrap() > 0,
            "{}",
            f.display()
        );
        // The store opens and answers afterwards.
        ok(&data, &["stats"]);
    }
}

#[test]
fn errors_name_the_culprit_and_empty_results_are_not_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let missing = hearsay(&data, &["import", "/nonexistent/file.pcap"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.pcap"));

    let garbage = tmp.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture file at all").unwrap();
    let bad = hearsay(&data, &["import", garbage.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("garbage.pcap"));

    let pcap = paper_capture(tmp.path());
    ok(&data, &["import", pcap.to_str().unwrap()]);
    for (args, culprit) in [
        (
            &["query", "rrset", "example.com", "--type", "BOGUS"][..],
            "--type",
        ),
        (&["query", "rdata", "ip", "300.1.2.3"][..], "300.1.2.3"),
        (&["query", "rdata", "raw", "xyz"][..], "xyz"),
        (
            &[
                "query",
                "rrset",
                "example.com",
                "--time-first-after",
                "yesterday",
            ][..],
            "--time-first-after",
        ),
        (&["query", "rrset", "a..b"][..], "a..b"),
    ] {
        let out = hearsay(&data, args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(culprit), "{args:?}: {err}");
    }
    let none = ok(
        &data,
        &["query", "rrset", "nothing.example", "--format", "json"],
    );
    assert!(none.is_empty());
    let no_store = hearsay(&tmp.path().join("nope"), &["query", "rrset", "a.example"]);
    assert!(!no_store.status.success());
}

#[test]
fn fences_limits_and_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pcap = paper_capture(tmp.path());
    ok(&data, &["import", pcap.to_str().unwrap()]);
    let all = json_lines(&ok(
        &data,
        &[
            "query",
            "rrset",
            "kimble.org",
            "--type",
            "A",
            "--format",
            "json",
        ],
    ));
    let after = all[3]["time_first"].as_u64().unwrap().to_string();
    let fenced = json_lines(&ok(
        &data,
        &[
            "query",
            "rrset",
            "kimble.org",
            "--type",
            "A",
            "--time-first-after",
            &after,
            "--format",
            "json",
        ],
    ));
    assert_eq!(fenced.len(), 4);
    let rfc3339 = json_lines(&ok(
        &data,
        &[
            "query",
            "rrset",
            "kimble.org",
            "--type",
            "A",
            "--time-last-before",
            "2004-11-25T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    assert_eq!(rfc3339.len(), 2);
    let limited = hearsay(
        &data,
        &[
            "query",
            "rrset",
            "kimble.org",
            "--type",
            "A",
            "--limit",
            "2",
            "--offset",
            "1",
            "--format",
            "json",
        ],
    );
    let rows = json_lines(&String::from_utf8(limited.stdout).unwrap());
    assert_eq!(rows, all[1..3].to_vec());
    assert!(String::from_utf8_lossy(&limited.stderr).contains("--limit"));
    let csv = ok(
        &data,
        &["query", "rdata", "ip", "212.9.189.164", "--format", "csv"],
    );
    assert!(
        csv.starts_with("time_first,time_last,count,rrname,rrtype,bailiwick,rdata,sensor_id\n")
    );
    assert_eq!(csv.lines().count(), 3);
    let wildcard = json_lines(&ok(
        &data,
        &["query", "rrset", "*.enyo.de", "--format", "json"],
    ));
    assert_eq!(wildcard.len(), 2);
    let stats: serde_json::Value = serde_json::from_str(&ok(&data, &["stats", "--json"])).unwrap();
    assert!(stats["records"].as_u64().unwrap() > 30);
}

#[test]
fn an_import_killed_midway_leaves_a_store_that_opens_and_answers() {
    use hearsay_gen::synth::{SynthConfig, write_pcap as write_synth};
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.pcap");
    let config = SynthConfig {
        packets: 1_000_000,
        seed: 7,
        ..SynthConfig::default()
    };
    write_synth(
        &config,
        std::io::BufWriter::new(std::fs::File::create(&big).unwrap()),
    )
    .unwrap();
    let data = tmp.path().join("data");

    let mut child = Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .arg("--data-dir")
        .arg(&data)
        .args([
            "-vv",
            "import",
            "--flush-interval",
            "0.05",
            big.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) as soon as the writer reports its first committed window.
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut lines = std::io::BufRead::lines(stderr);
    assert!(
        lines.any(|l| l.unwrap().contains("window written")),
        "no window was written"
    );
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        still_running,
        "the import finished before it could be killed; make the file bigger"
    );

    let stats: serde_json::Value = serde_json::from_str(&ok(&data, &["stats", "--json"])).unwrap();
    let partial = stats["records"].as_u64().unwrap();
    assert!(partial > 0, "windows were written before the kill");
    // Every record the counters promise is really there.
    let exported = ok(&data, &["export", "--format", "json"]).lines().count() as u64;
    assert_eq!(exported, partial);
    // And the store takes the whole file afterwards.
    ok(&data, &["import", big.to_str().unwrap()]);
    let after: serde_json::Value = serde_json::from_str(&ok(&data, &["stats", "--json"])).unwrap();
    assert!(after["records"].as_u64().unwrap() >= partial);
}
