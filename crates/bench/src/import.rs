//! The import benchmark.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hearsay_capture::FileSource;
use hearsay_gen::synth::{SynthConfig, write_pcap};

use crate::stats::median;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packets in the synthetic capture (half queries, half responses).
    #[arg(long, default_value_t = 2_000_000)]
    packets: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Use this capture instead of generating one.
    #[arg(long)]
    pcap: Option<PathBuf>,
}

/// One `hearsay import` of a capture.
pub(crate) struct Run {
    pub packets_per_sec: f64,
    pub records_per_sec: f64,
    pub peak_rss: f64,
    pub tables_per_record: f64,
    pub total_per_record: f64,
    /// Distinct records in the store after the import.
    pub records: f64,
    /// Wall time of the import, seconds.
    pub elapsed: f64,
    /// DNS messages the decoder emitted from the server side.
    pub responses: f64,
    /// Records the parser took from them (before folding repeats).
    pub observed: f64,
}

pub fn run(args: Args) -> Result<()> {
    let hearsay = sibling("hearsay")?;
    let tmp = tempfile::tempdir()?;
    let pcap = match &args.pcap {
        Some(p) => p.clone(),
        None => {
            let path = tmp.path().join("synth.pcap");
            let config = SynthConfig {
                packets: args.packets,
                seed: args.seed,
                ..SynthConfig::default()
            };
            let started = Instant::now();
            let stats = write_pcap(
                &config,
                std::io::BufWriter::new(std::fs::File::create(&path)?),
            )?;
            eprintln!(
                "generated {} in {:.1}s: {stats:?}",
                path.display(),
                started.elapsed().as_secs_f64()
            );
            path
        }
    };
    let packets = count_packets(&pcap)?;
    println!(
        "capture: {} ({packets} packets, {} bytes)",
        pcap.display(),
        pcap.metadata()?.len()
    );

    let mut baseline = Vec::new();
    let mut runs = Vec::new();
    for i in 0..args.runs {
        // Baseline and measurement alternate so that both see the same machine noise.
        let out = Command::new(std::env::current_exe()?)
            .arg("decode-only")
            .arg(&pcap)
            .output()?;
        if !out.status.success() {
            bail!(
                "decode-only failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let rate: f64 = String::from_utf8(out.stdout)?.trim().parse()?;
        baseline.push(rate);
        let r = one_import(&hearsay, &pcap, tmp.path().join(format!("store-{i}")))?;
        println!(
            "run {i}: import {:.0} packets/s ({:.0} records/s), baseline {:.0} packets/s, peak RSS {:.0} MiB, {:.1} bytes/record in tables, {:.1} with the journal",
            r.packets_per_sec,
            r.records_per_sec,
            rate,
            r.peak_rss / 1048576.0,
            r.tables_per_record,
            r.total_per_record
        );
        runs.push(r);
    }
    let m = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let base = median(baseline);
    println!();
    println!(
        "median of {} runs, {packets} packets, {:.0} distinct records:",
        runs.len(),
        m(|r| r.records)
    );
    println!(
        "  import             {:>10.0} packets/s   {:>10.0} records/s",
        m(|r| r.packets_per_sec),
        m(|r| r.records_per_sec)
    );
    println!("  baseline           {base:>10.0} packets/s   (decode + parse, no store)");
    println!(
        "  import / baseline  {:>10.2}",
        m(|r| r.packets_per_sec) / base
    );
    println!(
        "  peak RSS           {:>10.0} MiB",
        m(|r| r.peak_rss) / 1048576.0
    );
    println!(
        "  disk per record    {:>10.1} bytes in tables (records + index + log), {:.1} with the journal",
        m(|r| r.tables_per_record),
        m(|r| r.total_per_record)
    );
    Ok(())
}

/// Runs `hearsay import` on `pcap` into a fresh store at `data`, compacts it and reads its
/// size.
pub(crate) fn one_import(hearsay: &Path, pcap: &Path, data: PathBuf) -> Result<Run> {
    let out = Command::new(hearsay)
        .arg("--data-dir")
        .arg(&data)
        .args(["import", "--json"])
        .arg(pcap)
        .output()?;
    if !out.status.success() {
        bail!(
            "hearsay import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let elapsed = report["elapsed"].as_f64().context("elapsed")?;
    let frames = report["stats"]["decode"]["frames"]
        .as_f64()
        .context("frames")?;
    let observed = report["stats"]["parse"]["records"]
        .as_f64()
        .context("records")?;
    let responses = report["stats"]["decode"]["dns_from_server"]
        .as_f64()
        .context("dns_from_server")?;
    let peak_rss = report["peak_rss_bytes"].as_f64().unwrap_or(f64::NAN);
    let stats = |args: &[&str]| -> Result<serde_json::Value> {
        let out = Command::new(hearsay)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "hearsay {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(serde_json::from_slice(&out.stdout).unwrap_or_default())
    };
    let total_before = stats(&["stats", "--json"])?;
    let compact = Command::new(hearsay)
        .arg("--data-dir")
        .arg(&data)
        .arg("compact")
        .output()?;
    if !compact.status.success() {
        bail!("hearsay compact failed");
    }
    let after = stats(&["stats", "--json"])?;
    let records = after["records"].as_f64().context("records")?.max(1.0);
    let usage = after["disk_usage"].as_array().context("disk_usage")?;
    let tables: f64 = usage
        .iter()
        .filter(|p| p[0] != "journal")
        .filter_map(|p| p[1].as_f64())
        .sum();
    let total = total_before["disk_bytes"]
        .as_f64()
        .context("disk_bytes")?
        .max(after["disk_bytes"].as_f64().unwrap_or(0.0));
    Ok(Run {
        packets_per_sec: frames / elapsed,
        records_per_sec: observed / elapsed,
        peak_rss,
        tables_per_record: tables / records,
        total_per_record: total / records,
        records,
        elapsed,
        responses,
        observed,
    })
}

/// Frames in a capture file.
pub(crate) fn count_packets(pcap: &Path) -> Result<u64> {
    let mut source = FileSource::open(pcap)?;
    let mut n = 0;
    while let Some(frame) = source.next_frame() {
        frame?;
        n += 1;
    }
    Ok(n)
}

/// A binary built next to this one.
pub fn sibling(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} not found: run `cargo build --release -p hearsay -p hearsay-bench` first",
            path.display()
        );
    }
    Ok(path)
}
