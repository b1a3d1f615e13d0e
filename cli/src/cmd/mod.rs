//! The subcommands.

mod certs;
mod demo;
mod export;
mod import;
mod query;
mod stats;
mod status;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use hearsay_store::Store;

use crate::args::{Cli, Command};

pub fn run(cli: Cli) -> Result<()> {
    // `certs` works on the files named on its command line, not on a data directory.
    let command = match cli.command {
        Command::Certs(command) => return certs::run(command),
        command => command,
    };
    let data_dir = data_dir(cli.data_dir)?;
    match command {
        Command::Import(args) => import::run(&data_dir, args),
        Command::Query(kind) => query::run(&data_dir, kind, false),
        Command::Summarize(kind) => query::run(&data_dir, kind, true),
        Command::Export(args) => export::run(&data_dir, args),
        Command::Stats(args) => stats::run(&data_dir, args),
        Command::Compact => stats::compact(&data_dir),
        Command::Status(args) => status::status(&data_dir, args),
        Command::Peers(args) => status::peers(&data_dir, args),
        Command::Demo(args) => demo::run(args),
        Command::Certs(_) => unreachable!("handled above"),
    }
}

/// `--data-dir`, else `$HEARSAY_DATA_DIR` (clap reads it), else the per-user data
/// directory.
fn data_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let base = dirs::data_dir().context(
        "no --data-dir given, $HEARSAY_DATA_DIR unset, and no per-user data directory known",
    )?;
    Ok(base.join("hearsay"))
}

/// Opens the store, creating it if needed.
pub fn open_store(dir: &std::path::Path) -> Result<Arc<Store>> {
    let store = Store::open(dir, Default::default())
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    Ok(Arc::new(store))
}

/// Opens an existing store for reading; a missing directory is an error, not an empty
/// store created as a side effect of a query.
pub fn open_existing(dir: &std::path::Path) -> Result<Arc<Store>> {
    if !dir.exists() {
        anyhow::bail!(
            "no hearsay store in {} (import something first, or pass --data-dir)",
            dir.display()
        );
    }
    open_store(dir)
}
