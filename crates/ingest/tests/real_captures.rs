//! The real captures of `shared/testdata/pcaps` through the whole write path: every
//! answer record tshark shows in a well-formed NOERROR response over UDP/53 (written out
//! once with tshark and dnspython, see `fixtures/README.md`) is in the store afterwards,
//! with first/last seen and count covering its sightings; records hearsay must refuse
//! (marked in the fixture) are not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hearsay_ingest::{PipelineConfig, import_files};
use hearsay_record::{Bailiwick, Name, RecordKey, RrType};
use hearsay_store::Store;

struct Expected {
    first: u64,
    last: u64,
    sightings: u64,
    must_be_absent: bool,
    line: String,
}

fn pcaps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/pcaps")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn load(fixture: &Path) -> HashMap<Vec<u8>, Expected> {
    let mut out: HashMap<Vec<u8>, Expected> = HashMap::new();
    for line in std::fs::read_to_string(fixture).unwrap().lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 6, "{}: bad line {line:?}", fixture.display());
        let time: u64 = cols[1].parse().unwrap();
        let rrname = Name::from_presentation(cols[2]).unwrap();
        let rrtype: RrType = cols[3].parse().unwrap();
        let key = RecordKey {
            rrname,
            rrtype,
            bailiwick: Bailiwick::Unknown,
            rdata: hex(cols[4]),
        }
        .encode();
        let absent = cols.get(6).is_some_and(|m| !m.is_empty());
        let e = out.entry(key).or_insert(Expected {
            first: time,
            last: time,
            sightings: 0,
            must_be_absent: absent,
            line: line.to_owned(),
        });
        e.first = e.first.min(time);
        e.last = e.last.max(time);
        e.sightings += 1;
    }
    out
}

#[test]
fn every_answer_tshark_shows_is_stored() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers");
    let mut checked = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    for fixture in files {
        let capture = pcaps().join(fixture.file_stem().unwrap());
        let expected = load(&fixture);
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), Default::default()).unwrap());
        let report = import_files(
            store.clone(),
            std::slice::from_ref(&capture),
            PipelineConfig::default(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(report.stats.writer.errors, 0);
        let view = store.view();
        for (key, e) in &expected {
            let got = view.get(key).unwrap();
            if e.must_be_absent {
                assert!(
                    got.is_none(),
                    "{}: must not be stored: {}",
                    capture.display(),
                    e.line
                );
                continue;
            }
            let value = got.unwrap_or_else(|| panic!("{}: missing {}", capture.display(), e.line));
            let s = value.summary().unwrap();
            assert!(
                s.time_first <= e.first && s.time_last >= e.last,
                "{}: times of {}",
                capture.display(),
                e.line
            );
            assert!(
                s.count >= e.sightings,
                "{}: count {} < {} for {}",
                capture.display(),
                s.count,
                e.sightings,
                e.line
            );
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} records checked");
}

/// The number of DNS responses the sensor decodes from each capture equals tshark's
/// count (MANIFEST.tsv, `dns_responses_tshark`) for the captures that need fragment and
/// TCP reassembly, VLAN, SLL2 and NFLOG decoding.
#[test]
fn responses_decoded_match_tshark() {
    for (file, tshark) in [
        ("dnscap__dns.pcap", 41),
        ("dnscap__vlan11.pcap", 41),
        ("dnscap__frags.pcap", 41),
        ("dnscap__dnso1tcp.pcap", 41),
        ("dnscap__sll2.pcap", 1),
        ("tcpdump__nflog.pcap", 4),
        ("zeek__ipv6-fragmented-dns.pcap", 2),
        ("tcpdump__dns_tcp.pcap", 1),
        ("suricata__dns-tcp-multirequest-buffer.pcap", 20),
        ("ndpi__dns_fragmented.pcap", 21),
        ("zeek__dns-edns-ecs.pcap", 65),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), Default::default()).unwrap());
        let report = import_files(
            store,
            &[pcaps().join(file)],
            PipelineConfig::default(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(report.stats.decode.dns_from_server, tshark, "{file}");
        assert_eq!(
            report.stats.parse.responses + report.stats.parse.malformed.total(),
            tshark,
            "{file}: every response parsed or rejected with a reason"
        );
    }
}

/// Privacy: nothing in the data directory holds a client address of the imported
/// captures (the addresses that sent queries to port 53).
#[test]
fn no_client_address_reaches_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), Default::default()).unwrap());
    let files: Vec<PathBuf> = [
        "dnscap__dns.pcap",
        "arkime__dns-wiresharkrepo.pcap",
        "zeek__dns-edns-ecs.pcap",
        "tcpdump__edns-opts.pcap",
    ]
    .iter()
    .map(|f| pcaps().join(f))
    .collect();
    import_files(
        store.clone(),
        &files,
        PipelineConfig::default(),
        &mut |_| {},
    )
    .unwrap();
    store.persist().unwrap();
    drop(store);
    // Clients of these captures (from tshark: the sources of queries to port 53 that are
    // no answer's rdata).
    let clients: [&[u8]; 6] = [
        &[172, 17, 0, 10],
        &[192, 168, 170, 56],
        &[192, 168, 170, 8],
        &[192, 168, 90, 10],
        &[
            0x20, 0x01, 0x04, 0x70, 0x1f, 0x0b, 0x16, 0xb0, 0x02, 0x0c, 0x29, 0xff, 0xfe, 0x7c,
            0xa4, 0xcb,
        ],
        &[192, 0, 0, 1],
    ];
    let mut found = Vec::new();
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        for c in clients {
            if bytes.windows(c.len()).any(|w| w == c) {
                found.push((entry.clone(), c));
            }
        }
    }
    assert!(found.is_empty(), "client addresses on disk: {found:?}");
    // The search can see addresses on disk: the address of google.com's A record (an
    // answer, so stored) is found the same way.
    let control: &[u8] = &[216, 58, 218, 206];
    assert!(
        walk(dir.path())
            .iter()
            .any(|p| std::fs::read(p).unwrap().windows(4).any(|w| w == control)),
        "positive control not found: the search proves nothing"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
