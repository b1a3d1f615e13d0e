//! The baseline of the import benchmarks: read, decode and parse a capture without a store.
//!
//! It runs as a subcommand of its own (`hearsay-bench decode-only FILE`) so that every
//! measurement starts in a fresh process, like the `hearsay import` it is compared with.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use hearsay_capture::{Decoder, DecoderConfig, DnsPayload, FileSource};
use hearsay_parse::Parser;
use serde_json::json;

/// What one pass over a file found, and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct DecodePass {
    /// Frames read.
    pub frames: u64,
    /// DNS messages the decoder emitted from the server side (after any reassembly).
    pub responses: u64,
    /// Records the parser took from all messages.
    pub records: u64,
    /// Wall time from opening the file to the end of the decoder's `finish`, seconds.
    pub secs: f64,
}

impl DecodePass {
    /// A pass as printed by [`run`] with `json`.
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        Some(Self {
            frames: v["frames"].as_u64()?,
            responses: v["responses"].as_u64()?,
            records: v["records"].as_u64()?,
            secs: v["secs"].as_f64()?,
        })
    }
}

/// Decodes and parses `file` with the default decoder configuration (that of
/// `hearsay import`), reassembling fragments and TCP streams as it goes.
pub fn decode_pass(file: &Path) -> Result<DecodePass> {
    let started = Instant::now();
    let mut source = FileSource::open(file)?;
    let linktype = source.linktype();
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut parser = Parser::new();
    let mut records = 0u64;
    let mut frames = 0u64;
    while let Some(frame) = source.next_frame() {
        let frame = frame?;
        frames += 1;
        decoder.decode(
            linktype,
            frame.ts,
            frame.data,
            frame.orig_len,
            &mut |p: &DnsPayload<'_>| {
                parser.parse(p.data, p.ts.secs, &mut |_: &[u8], _: u64| records += 1);
            },
        );
    }
    // Whatever is still buffered at the end of the file is dropped (and counted) here, as
    // at the end of an import.
    decoder.finish();
    Ok(DecodePass {
        frames,
        responses: decoder.stats().dns_from_server,
        records,
        secs: started.elapsed().as_secs_f64(),
    })
}

/// `hearsay-bench decode-only`: prints packets/s (or, with `json`, the whole pass).
pub fn run(file: &Path, json: bool) -> Result<()> {
    let pass = decode_pass(file)?;
    if json {
        let v = json!({
            "frames": pass.frames,
            "responses": pass.responses,
            "records": pass.records,
            "secs": pass.secs,
        });
        println!("{v}");
    } else {
        println!("{:.0}", pass.frames as f64 / pass.secs);
        eprintln!("{} frames, {} records", pass.frames, pass.records);
    }
    Ok(())
}
