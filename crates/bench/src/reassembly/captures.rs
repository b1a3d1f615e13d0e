//! The three captures of the reassembly benchmark.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};
use hearsay_gen::synth::{SynthConfig, SynthStats, Transport, write_pcap};

use crate::import::count_packets;

/// A generated capture and what the generator says is in it.
pub(crate) struct Capture {
    pub transport: Transport,
    pub path: PathBuf,
    pub stats: SynthStats,
}

/// Writes the workload over `transport` to `dir/synth-<transport>.pcap`.
pub fn generate(dir: &Path, transport: Transport, packets: u64, seed: u64) -> Result<Capture> {
    let path = dir.join(format!("synth-{transport}.pcap"));
    let config = SynthConfig {
        packets,
        seed,
        transport,
        ..SynthConfig::default()
    };
    let started = Instant::now();
    let stats = write_pcap(&config, BufWriter::new(File::create(&path)?))?;
    let bytes = path.metadata()?.len();
    eprintln!(
        "generated {} in {:.1}s: {} packets, {} responses, {} fragments, {} TCP segments, {:.0} MB",
        path.display(),
        started.elapsed().as_secs_f64(),
        stats.packets,
        stats.responses,
        stats.fragments,
        stats.tcp_segments,
        bytes as f64 / 1e6,
    );
    let in_file = count_packets(&path)?;
    if in_file != stats.packets {
        bail!(
            "{}: {in_file} packets in the file, the generator wrote {}",
            path.display(),
            stats.packets
        );
    }
    Ok(Capture {
        transport,
        path,
        stats,
    })
}
