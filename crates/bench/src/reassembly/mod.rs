//! The reassembly benchmark: what it costs to decode a capture in which every response
//! must be put back together — from IP fragments, or from a TCP stream — compared with the
//! same exchanges over plain UDP.
//!
//! `hearsay-gen`'s workload is generated three times with the same seed, once per
//! [`Transport`]: the same queries and responses, only the packets differ. Each capture
//! goes through the decode-only baseline and through the real `hearsay import`, `runs`
//! times, transports alternating so that all see the same machine noise. Because the DNS
//! messages are the same, the responses decoded and the records parsed and stored must be
//! the same for all three: that doubles as an end-to-end check of the reassembly code.

mod captures;
mod report;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use hearsay_gen::synth::Transport;

use crate::decode::DecodePass;
use crate::import::{Run, one_import, sibling};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Frames of the UDP capture (half queries, half responses); the other transports
    /// carry the same exchanges in more frames.
    #[arg(long, default_value_t = 2_000_000)]
    packets: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs per transport and path (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Everything measured on one transport.
pub(crate) struct Measured {
    pub capture: captures::Capture,
    pub decode: Vec<DecodePass>,
    pub import: Vec<Run>,
}

pub fn run(args: Args) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let hearsay = sibling("hearsay")?;
    let tmp = tempfile::tempdir()?;
    let mut measured = Vec::new();
    for transport in Transport::ALL {
        let capture = captures::generate(tmp.path(), transport, args.packets, args.seed)?;
        measured.push(Measured {
            capture,
            decode: Vec::new(),
            import: Vec::new(),
        });
    }
    for i in 0..args.runs {
        for m in &mut measured {
            let name = m.capture.transport;
            let pass = decode_only(&m.capture.path)?;
            let store = tmp.path().join(format!("store-{name}-{i}"));
            let import = one_import(&hearsay, &m.capture.path, store.clone())?;
            // The stores are only needed for their counts; a 2M-packet one is ~100 MB.
            std::fs::remove_dir_all(&store)
                .with_context(|| format!("removing {}", store.display()))?;
            println!(
                "run {i} {name:<10}: decode-only {:>9.0} responses/s ({} responses, {} records), \
                 import {:>9.0} responses/s ({:.0} responses, {:.0} records stored), peak RSS {:.0} MiB",
                pass.responses as f64 / pass.secs,
                pass.responses,
                pass.records,
                import.responses / import.elapsed,
                import.responses,
                import.records,
                import.peak_rss / 1048576.0,
            );
            m.decode.push(pass);
            m.import.push(import);
        }
    }
    println!();
    report::print_table(&measured, args.runs);
    println!();
    report::check(&measured)
}

/// One decode-only pass in a fresh process.
fn decode_only(pcap: &Path) -> Result<DecodePass> {
    let out = Command::new(std::env::current_exe()?)
        .args(["decode-only", "--json"])
        .arg(pcap)
        .output()?;
    if !out.status.success() {
        bail!(
            "decode-only failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    DecodePass::from_json(&v).context("decode-only printed no pass")
}
