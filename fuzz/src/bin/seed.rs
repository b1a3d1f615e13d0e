//! Writes the seed corpora from capture files (pcap or pcapng, read with
//! hearsay-capture's libpcap reader):
//!
//! * `corpus/decoder/` (also copied to `corpus/pipeline/`): each file's frames in the
//!   decoder targets' input format, in chunks of up to `FRAMES_PER_SEED` consecutive
//!   frames (so fragment trains and TCP streams mostly stay together), both with the
//!   default and the tight configuration;
//! * `corpus/parse/`: every distinct DNS payload the decoder finds in the files.
//!
//! Usage: `cargo run --release --bin seed -- [--out DIR] CAPTURE_OR_DIR...`
//! (run from `fuzz/`; the default output is `corpus`).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use hearsay_capture::{Decoder, DecoderConfig, DnsPayload, FileSource};
use hearsay_fuzz::{LINKTYPES, push_frame, time_step};

const FRAMES_PER_SEED: usize = 32;
const MAX_SEED_BYTES: usize = 32 << 10;
const MAX_SEEDS_PER_FILE: usize = 16;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut out = PathBuf::from("corpus");
    let mut inputs = Vec::new();
    while let Some(a) = args.next() {
        if a == "--out" {
            out = PathBuf::from(args.next().expect("--out needs a directory"));
        } else {
            inputs.push(PathBuf::from(a));
        }
    }
    if inputs.is_empty() {
        eprintln!("usage: seed [--out DIR] CAPTURE_OR_DIR...");
        std::process::exit(2);
    }
    let mut files = Vec::new();
    for i in inputs {
        if i.is_dir() {
            let mut list: Vec<PathBuf> = std::fs::read_dir(&i)
                .expect("read directory")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "cap")
                })
                .collect();
            list.sort();
            files.extend(list);
        } else {
            files.push(i);
        }
    }
    let dirs = ["decoder", "pipeline", "parse"].map(|d| out.join(d));
    for d in &dirs {
        std::fs::create_dir_all(d).expect("create corpus directory");
    }
    let (mut frame_seeds, mut dns_seeds) = (0, 0);
    let mut seen = HashSet::new();
    for file in &files {
        match seed_file(file, &dirs, &mut seen) {
            Ok((f, d)) => {
                frame_seeds += f;
                dns_seeds += d;
                println!("{}: {f} frame seeds, {d} new DNS payloads", file.display());
            }
            Err(e) => eprintln!("{}: skipped: {e}", file.display()),
        }
    }
    println!(
        "{} files: {frame_seeds} decoder/pipeline seeds, {dns_seeds} parse seeds in {}",
        files.len(),
        out.display()
    );
}

fn write(dir: &Path, bytes: &[u8]) {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    std::fs::write(dir.join(format!("{:016x}", h.finish())), bytes).expect("write seed");
}

fn seed_file(
    path: &Path,
    dirs: &[PathBuf; 3],
    seen: &mut HashSet<Vec<u8>>,
) -> Result<(usize, usize), String> {
    let mut source = FileSource::open(path).map_err(|e| e.to_string())?;
    let lt = source.linktype();
    let index = LINKTYPES
        .iter()
        .position(|&l| l == lt)
        .ok_or_else(|| format!("link type {lt} not in the fuzz input format"))?;
    // Frames, chunked.
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<(Vec<u8>, usize)> = None;
    let mut last = None;
    while let Some(frame) = source.next_frame() {
        let Ok(frame) = frame else { break };
        let micros = frame.ts.as_micros();
        let step = last.map_or(0, |l| time_step(l, micros));
        last = Some(micros);
        let (buf, n) = current.get_or_insert_with(|| (vec![index as u8, 0], 0));
        push_frame(buf, step, frame.data, frame.orig_len);
        *n += 1;
        if *n >= FRAMES_PER_SEED || buf.len() >= MAX_SEED_BYTES {
            seeds.extend(current.take().map(|(b, _)| b));
        }
    }
    seeds.extend(current.take().map(|(b, _)| b));
    if seeds.len() > MAX_SEEDS_PER_FILE {
        // Keep an even spread over the file.
        let stride = seeds.len().div_ceil(MAX_SEEDS_PER_FILE);
        seeds = seeds.into_iter().step_by(stride).collect();
    }
    let mut frame_seeds = 0;
    for seed in &seeds {
        for config in [0u8, 1] {
            let mut s = seed.clone();
            s[1] = config;
            write(&dirs[0], &s);
            write(&dirs[1], &s);
            frame_seeds += 1;
        }
    }
    // DNS payloads of the whole file (mDNS too).
    let mut decoder = Decoder::new(DecoderConfig {
        dns_ports: vec![53, 5353],
        ..DecoderConfig::default()
    });
    let mut dns = 0;
    hearsay_capture::decode_file(path, &mut decoder, &mut |p: &DnsPayload<'_>| {
        if seen.insert(p.data.to_vec()) {
            write(&dirs[2], p.data);
            dns += 1;
        }
    })
    .map_err(|e| e.to_string())?;
    Ok((frame_seeds, dns))
}
