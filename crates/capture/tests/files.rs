//! Capture files: truncated, missing, not a capture, pcapng.

#![allow(clippy::unwrap_used)] // integration tests: a failed unwrap is a failed test

mod common;

use std::io::Write;

use common::{Owned, pcap, run};
use hearsay_capture::{CaptureError, Decoder, FileSource, decode_file, linktype};

#[test]
fn truncated_file_ends_with_a_counted_error() {
    let bytes = std::fs::read(pcap("dnscap__dns.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Cut in the middle of a frame's data.
    for cut in [bytes.len() / 2 + 5, 24 + 16 + 3, bytes.len() - 1] {
        let path = dir.path().join(format!("cut-{cut}.pcap"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let mut d = Decoder::default();
        let mut n = 0;
        let summary = decode_file(&path, &mut d, &mut |_| n += 1).unwrap();
        assert!(!summary.ended_cleanly());
        assert!(summary.frames < 133);
        assert_eq!(d.stats().source_errors, 1);
        assert_eq!(d.stats().frames, summary.frames);
        let err = summary.error.unwrap();
        let msg = err.to_string();
        assert!(msg.contains(&format!("cut-{cut}.pcap")), "{msg}");
        assert!(matches!(err, CaptureError::Read { .. }));
        // FileSource: the error once, then the end.
        let mut s = FileSource::open(&path).unwrap();
        let mut errors = 0;
        while let Some(f) = s.next_frame() {
            if f.is_err() {
                errors += 1;
            }
        }
        assert_eq!(errors, 1);
        assert!(s.next_frame().is_none());
    }
}

#[test]
fn unopenable_files_are_errors_naming_the_file() {
    let mut d = Decoder::default();
    let err = decode_file(
        std::path::Path::new("/nonexistent/x.pcap"),
        &mut d,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, CaptureError::Open { .. }));
    assert!(err.to_string().contains("/nonexistent/x.pcap"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.pcap");
    std::fs::write(&path, b"this is not a capture file at all").unwrap();
    let err = FileSource::open(&path).unwrap_err();
    assert!(err.to_string().contains("garbage.pcap"), "{err}");

    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    assert!(FileSource::open(&empty).is_err());
}

/// Writes the frames of a pcap file as pcapng (SHB, IDB, one EPB per frame).
fn to_pcapng(src: &std::path::Path, dst: &std::path::Path) -> u64 {
    fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&total.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&vec![0; pad]);
        out.extend_from_slice(&total.to_le_bytes());
    }
    let mut s = FileSource::open(src).unwrap();
    let mut out = Vec::new();
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    let mut idb = (s.linktype() as u16).to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&65535u32.to_le_bytes());
    block(&mut out, 1, &idb);
    let mut n = 0;
    while let Some(f) = s.next_frame() {
        let f = f.unwrap();
        let us = f.ts.secs * 1_000_000 + u64::from(f.ts.micros);
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((us >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(us as u32).to_le_bytes());
        epb.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&f.orig_len.to_le_bytes());
        epb.extend_from_slice(f.data);
        block(&mut out, 6, &epb);
        n += 1;
    }
    std::fs::File::create(dst).unwrap().write_all(&out).unwrap();
    n
}

#[test]
fn pcapng_reads_like_pcap() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "dnscap__dns.pcap",
        "dnscap__dnso1tcp.pcap",
        "tcpdump__nflog.pcap",
    ] {
        let ng = dir.path().join(name.replace(".pcap", ".pcapng"));
        let frames = to_pcapng(&pcap(name), &ng);
        let mut d = Decoder::default();
        let mut got = Vec::new();
        let summary = decode_file(&ng, &mut d, &mut |p| got.push(Owned::of(p))).unwrap();
        assert!(summary.ended_cleanly());
        assert_eq!(summary.frames, frames);
        let want = run(name).payloads;
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                (g.ts, g.server, g.from_server, &g.data),
                (w.ts, w.server, w.from_server, &w.data)
            );
        }
    }
    let mut s = FileSource::open(dir.path().join("tcpdump__nflog.pcapng")).unwrap();
    assert_eq!(s.linktype(), linktype::NFLOG);
    assert!(s.next_frame().is_some());
}
