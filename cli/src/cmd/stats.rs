//! `hearsay stats`

use std::path::Path;

use anyhow::Result;

use crate::args::StatsArgs;

pub fn run(data_dir: &Path, args: StatsArgs) -> Result<()> {
    let store = super::open_existing(data_dir)?;
    let stats = store.stats()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    println!("store          {}", store.path().display());
    println!("origin         {}", stats.local_origin);
    println!("records        {}", stats.records);
    for (t, n) in &stats.records_by_type {
        println!("  {t:<12} {n}");
    }
    println!("origins (highest sequence number integrated)");
    for e in &stats.origins {
        let me = if e.origin == stats.local_origin {
            " (this node)"
        } else {
            ""
        };
        println!("  {:<24} {}{me}", e.origin, e.seq);
    }
    for (part, bytes) in &stats.disk_usage {
        println!("  {part:<12} {bytes}");
    }
    println!(
        "disk           {} bytes ({:.1} MiB)",
        stats.disk_bytes,
        stats.disk_bytes as f64 / (1 << 20) as f64
    );
    if stats.records > 0 {
        println!(
            "per record     {:.1} bytes on disk",
            stats.disk_bytes as f64 / stats.records as f64
        );
    }
    Ok(())
}

pub fn compact(data_dir: &Path) -> Result<()> {
    let store = super::open_existing(data_dir)?;
    let before = store.disk_bytes()?;
    store.compact()?;
    let after = store.disk_bytes()?;
    println!(
        "compacted {}: {before} -> {after} bytes",
        store.path().display()
    );
    Ok(())
}
