//! `hearsayd --config FILE`: the hearsay node daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hearsay_node::Node;
use hearsay_node::config::Config;

// mimalloc rather than glibc's malloc: merging replicated entries into the store (fjall
// memtables) allocates many small, short-lived buffers; with glibc a quarter of a
// snapshot bootstrap went to malloc and free, and mimalloc made it 1.75x faster
// (BENCHMARKS.md, Replication). The `hearsay` CLI keeps glibc: its import measured 5-10%
// faster and 20 MiB smaller with it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The hearsay node: sensors, store, replication with partners.
#[derive(Debug, Parser)]
#[command(name = "hearsayd", version, about)]
struct Args {
    /// The TOML configuration file.
    #[arg(long, short, value_name = "FILE")]
    config: PathBuf,
    /// More log output (-v debug, -vv trace); HEARSAY_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() -> ExitCode {
    hearsay_node::alloc::keep_freed_memory();
    let args = Args::parse();
    let level = match args.verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEARSAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hearsayd: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hearsayd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let node = match Node::start(config).await {
            Ok(n) => n,
            Err(e) => {
                eprintln!("hearsayd: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        wait_for_signal().await;
        tracing::info!("shutting down");
        node.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers, run until killed.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
