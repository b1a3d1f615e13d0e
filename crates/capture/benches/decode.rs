//! Decoding throughput over real captures held in memory.
//!
//! `cargo bench -p hearsay-capture` measures; under `cargo test --benches` it runs one quick
//! round as a smoke test.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hearsay_capture::{Decoder, DecoderConfig, FileSource, Timestamp};

struct Frames {
    linktype: i32,
    frames: Vec<(Timestamp, Vec<u8>, u32)>,
}

fn load(name: &str) -> Frames {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/pcaps"
    ))
    .join(name);
    let mut s = FileSource::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let linktype = s.linktype();
    let mut frames = Vec::new();
    while let Some(Ok(f)) = s.next_frame() {
        frames.push((f.ts, f.data.to_vec(), f.orig_len));
    }
    Frames { linktype, frames }
}

fn main() {
    let measure = std::env::args().any(|a| a == "--bench");
    let budget = if measure {
        Duration::from_secs(2)
    } else {
        Duration::ZERO
    };
    println!(
        "{:<48} {:>12} {:>14} {:>10}",
        "capture", "frames/s", "payloads/s", "MB/s"
    );
    for name in [
        "dnscap__dns.pcap",
        "ndpi__dns_exfiltration.pcap",
        "dnscap__dnso1tcp.pcap",
        "dnscap__frags.pcap",
        "zeek__dns-edns-ecs.pcap",
        "ndpi__dns-tunnel-iodine.pcap",
    ] {
        let input = load(name);
        let bytes: usize = input.frames.iter().map(|f| f.1.len()).sum();
        let mut rounds = 0u64;
        let mut payloads = 0u64;
        let start = Instant::now();
        loop {
            // A fresh decoder per round: each round is the same traffic seen anew.
            let mut d = Decoder::new(DecoderConfig::default());
            for (ts, data, orig) in &input.frames {
                d.decode(input.linktype, *ts, data, *orig, &mut |p| {
                    payloads += 1;
                    black_box(p.data);
                });
            }
            rounds += 1;
            if start.elapsed() >= budget {
                break;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let frames = rounds as f64 * input.frames.len() as f64;
        println!(
            "{:<48} {:>12.0} {:>14.0} {:>10.1}",
            name,
            frames / secs,
            payloads as f64 / secs,
            rounds as f64 * bytes as f64 / secs / 1e6
        );
    }
}
