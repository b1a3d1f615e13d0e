//! Writing the workload to capture files.

use std::io::{BufWriter, Write};

use super::config::SynthConfig;
use super::generator::{Synth, SynthStats};
use crate::error::{Error, Result};
use crate::pcap::PcapWriter;
use crate::pcapng::PcapngWriter;

const BUFFER: usize = 1 << 20;

/// Generates the workload into a classic pcap file (buffered internally).
pub fn write_pcap<W: Write>(cfg: &SynthConfig, out: W) -> Result<SynthStats> {
    let mut synth = Synth::new(cfg.clone())?;
    let mut w = PcapWriter::new(BufWriter::with_capacity(BUFFER, out), cfg.link.linktype())?;
    let mut frame = Vec::with_capacity(2048);
    while let Some(ts) = synth.next_into(&mut frame)? {
        let secs = u32::try_from(ts.secs)
            .map_err(|_| Error::Invalid("timestamp does not fit classic pcap".into()))?;
        w.write_frame(secs, ts.micros, &frame)?;
    }
    w.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(synth.stats().clone())
}

/// Generates the workload into a pcapng file (buffered internally).
pub fn write_pcapng<W: Write>(cfg: &SynthConfig, out: W) -> Result<SynthStats> {
    let mut synth = Synth::new(cfg.clone())?;
    let mut w = PcapngWriter::new(BufWriter::with_capacity(BUFFER, out), cfg.link.linktype())?;
    let mut frame = Vec::with_capacity(2048);
    while let Some(ts) = synth.next_into(&mut frame)? {
        w.write_frame(ts, &frame)?;
    }
    w.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(synth.stats().clone())
}
