//! `hearsay-bench`: the benchmarks behind BENCHMARKS.md.
//!
//! Build everything in release mode first (`cargo build --release -p hearsay -p
//! hearsay-bench`): the import benchmark runs the real `hearsay` binary next to this one.

mod decode;
mod import;
mod live;
mod query;
mod quic;
mod reassembly;
mod replication;
mod stats;

use clap::{Parser, Subcommand};

// The allocator of `hearsayd` (mimalloc; see node/src/main.rs), so that the in-process
// replication benchmarks measure what a node does.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "hearsay-bench", about = "hearsay benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import a synthetic capture with `hearsay import`: packets/s, records/s, peak RSS,
    /// bytes on disk per record; baseline: decoding and parsing the same file without a
    /// store.
    Import(import::Args),
    /// Decode and parse a capture without storing anything (the import baseline).
    DecodeOnly {
        /// The capture file.
        file: std::path::PathBuf,
        /// Print frames, responses, records and seconds as JSON instead of packets/s.
        #[arg(long)]
        json: bool,
    },
    /// The cost of reassembly: the same workload with every response fragmented and with
    /// every exchange over TCP, against plain UDP; decode-only and `hearsay import`.
    Reassembly(reassembly::Args),
    /// Query latency and scan rate on a large store; baseline: raw point reads.
    Query(query::Args),
    /// Replication between two nodes over QUIC on loopback: snapshot bootstrap of a
    /// large store, catch-up of 1% missed records, live push; baselines: the compressed
    /// size of the entries moved.
    Replication(replication::Args),
    /// Live capture: the synthetic capture replayed onto an interface at increasing
    /// rates while `hearsayd` captures it; drops and peak RSS per rate.
    Live(live::Args),
}

fn main() -> anyhow::Result<()> {
    // As hearsayd does.
    hearsay_node::alloc::keep_freed_memory();
    // The libraries' events, on request (`HEARSAY_LOG=hearsay_store=info`, as for
    // hearsayd): silent unless asked, so that the benchmarks' own lines stay readable.
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEARSAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Import(args) => import::run(args),
        Command::DecodeOnly { file, json } => decode::run(&file, json),
        Command::Reassembly(args) => reassembly::run(args),
        Command::Query(args) => query::run(args),
        Command::Replication(args) => replication::run(args),
        Command::Live(args) => live::run(args),
    }
}
