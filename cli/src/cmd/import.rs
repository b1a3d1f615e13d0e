//! `hearsay import FILE...`

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result};
use hearsay_ingest::{ImportReport, PipelineConfig, import_files};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::ImportArgs;

pub fn run(data_dir: &Path, args: ImportArgs) -> Result<()> {
    for f in &args.files {
        if !f.is_file() {
            anyhow::bail!("{}: no such capture file", f.display());
        }
    }
    let total: u64 = args
        .files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    let store = super::open_store(data_dir)?;
    let bar = progress_bar(total);
    let mut done_before = 0u64;
    let mut current: Option<std::path::PathBuf> = None;
    let mut current_bytes = 0u64;
    if !(args.flush_interval.is_finite() && args.flush_interval >= 0.0) {
        anyhow::bail!(
            "--flush-interval {}: must be a number of seconds >= 0",
            args.flush_interval
        );
    }
    let config = PipelineConfig {
        flush_interval: std::time::Duration::from_secs_f64(args.flush_interval),
        placement: match args.placement {
            crate::args::PlacementArg::Below => hearsay_ingest::Placement::Below,
            crate::args::PlacementArg::Above => hearsay_ingest::Placement::Above,
        },
        require_query: args.require_query,
        nxdomain: args.nxdomain,
        decoder: hearsay_capture::DecoderConfig {
            dns_ports: args.dns_ports.clone(),
            ..Default::default()
        },
        ..PipelineConfig::default()
    };
    let report = import_files(store.clone(), &args.files, config, &mut |p| {
        if current.as_deref() != Some(p.path) {
            done_before += current_bytes;
            current = Some(p.path.to_owned());
        }
        current_bytes = p.bytes;
        if let Some(bar) = &bar {
            bar.set_position((done_before + p.bytes).min(total));
        }
    })
    .context("import")?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    store.persist().context("making the import durable")?;
    if report.stats.writer.errors > 0 {
        anyhow::bail!(
            "{} window(s) could not be written: {}",
            report.stats.writer.errors,
            report.stats.writer.last_error.clone().unwrap_or_default()
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(())
}

fn progress_bar(total: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec})",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

fn print_summary(r: &ImportReport) {
    let s = &r.stats;
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let frames: u64 = r.files.iter().map(|f| f.frames).sum();
    println!("files          {}", r.files.len());
    for f in r.files.iter().filter(|f| f.error.is_some()) {
        println!(
            "  {}: ends early after {} packets: {}",
            f.path.display(),
            f.frames,
            f.error.as_deref().unwrap_or("")
        );
    }
    println!("packets        {frames}");
    println!("dns messages   {}", s.decode.dns_payloads);
    println!(
        "responses      {} (noerror {}, nxdomain {}, servfail {}, other {})",
        s.parse.responses, s.parse.noerror, s.parse.nxdomain, s.parse.servfail, s.parse.other_rcode
    );
    println!(
        "records        {} seen, {} distinct per window, {} new",
        s.parse.records, s.writer.records, s.writer.new_records
    );
    let rejected =
        s.parse.rejected_off_chain + s.parse.rejected_authority + s.parse.rejected_additional;
    if rejected > 0 {
        println!(
            "out of bailiwick {} (answer off chain {}, authority {}, additional {})",
            rejected,
            s.parse.rejected_off_chain,
            s.parse.rejected_authority,
            s.parse.rejected_additional
        );
    }
    let malformed = s.parse.malformed.nonzero();
    let total_malformed: u64 = malformed.iter().map(|(_, n)| n).sum();
    if s.unmatched_responses > 0 {
        println!(
            "unmatched      {} responses answered no query in the capture (dropped)",
            s.unmatched_responses
        );
    }
    if s.capped_names > 0 {
        println!(
            "capped         {} new names over the per-zone cap (dropped)",
            s.capped_names
        );
    }
    if s.nxdomain_responses > 0 {
        println!(
            "nxdomain       {} answers, {} distinct names kept",
            s.nxdomain_responses, s.writer.nxdomain_names
        );
    }
    if s.parse.rejected_out_of_zone > 0 || s.zones_known > 0 {
        println!(
            "zones          {} zone cuts learned, {} records outside their server's zone",
            s.zones_known, s.parse.rejected_out_of_zone
        );
    }
    println!("malformed dns  {total_malformed}");
    for (reason, n) in malformed {
        println!("  {reason:<24} {n}");
    }
    println!("decoding");
    for (name, n) in s.decode.counters() {
        if n > 0 && !matches!(name, "frames" | "bytes" | "dns_payloads") {
            println!("  {name:<28} {n}");
        }
    }
    println!("elapsed        {:.2}s", r.elapsed.as_secs_f64());
    if let Some(rss) = r.peak_rss_bytes {
        println!("peak memory    {:.0} MiB", rss as f64 / (1 << 20) as f64);
    }
    println!(
        "rate           {:.0} packets/s, {:.0} records/s",
        frames as f64 / secs,
        s.parse.records as f64 / secs
    );
}
