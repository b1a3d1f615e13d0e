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
