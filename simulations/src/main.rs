//! `simulations`: run one seed in detail, or sweep many.
//!
//! ```sh
//! cargo run --release -p simulations -- --seed 42                      # one run, replayed exactly
//! cargo run --release -p simulations -- --scenario line50 --seed 1     # 50 nodes, 200k records
//! cargo run --release -p simulations -- --seed 853 --trace cert14      # every frame of a node
//! cargo run --release -p simulations -- --seeds 0..1000 --jobs 2       # a sweep and its table
//! ```

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::Parser;
use simulations::report::{self, RunReport};
use simulations::scenario::{self, PolicyKind, Scenario};
use simulations::topology::Topology;

/// Deterministic simulations of hearsay federations.
#[derive(Debug, Parser)]
#[command(name = "simulations")]
struct Args {
    /// Scenario (comma-separated for several; `all` for every one but line50).
    #[arg(long, default_value = "federation")]
    scenario: String,
    /// One seed, reported in detail.
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// A range of seeds `A..B` (B excluded): a sweep and its table.
    #[arg(long)]
    seeds: Option<String>,
    /// Override the number of nodes.
    #[arg(long)]
    nodes: Option<usize>,
    /// Override the number of distinct records in the workload.
    #[arg(long)]
    records: Option<usize>,
    /// Override the topology (mesh, star, ring, line, sparse).
    #[arg(long)]
    topology: Option<String>,
    /// Override the policies (open, mixed, drawn).
    #[arg(long)]
    policies: Option<String>,
    /// Also run the periodic full-state baseline on the same seed.
    #[arg(long)]
    baseline: bool,
    /// Skip the per-apply before/after reads (faster on big runs).
    #[arg(long)]
    no_apply_checks: bool,
    /// Threads for a sweep (each run is single-threaded and deterministic).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Print every run's report in a sweep, not only failures.
    #[arg(long)]
    verbose: bool,
    /// Print every frame a node sends or receives, as it is sent (comma-separated node
    /// names, e.g. `cert5,cert14`): what is needed to see why a seed fails.
    #[arg(long, value_delimiter = ',')]
    trace: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("simulations: {e}");
            ExitCode::from(2)
        }
    }
}

fn scenarios(args: &Args) -> Result<Vec<Scenario>, String> {
    let names: Vec<&str> = if args.scenario == "all" {
        scenario::NAMES
            .iter()
            .copied()
            .filter(|n| *n != "line50")
            .collect()
    } else {
        args.scenario.split(',').collect()
    };
    names
        .into_iter()
        .map(|name| {
            let mut s = scenario::named(name).ok_or_else(|| {
                format!(
                    "unknown scenario {name:?} (known: {})",
                    scenario::NAMES.join(", ")
                )
            })?;
            if let Some(n) = args.nodes {
                s.nodes = n.max(2);
            }
            if let Some(r) = args.records {
                s.records = r;
            }
            if let Some(t) = &args.topology {
                s.topology =
                    Some(Topology::parse(t).ok_or_else(|| format!("unknown topology {t:?}"))?);
            }
            if let Some(p) = &args.policies {
                s.policies =
                    PolicyKind::parse(p).ok_or_else(|| format!("unknown policies {p:?}"))?;
            }
            if args.no_apply_checks {
                s.check_apply = false;
            }
            s.trace = args.trace.clone();
            Ok(s)
        })
        .collect()
}

/// The command line that replays one run.
fn replay(args: &Args, scenario: &str, seed: u64) -> String {
    let mut cmd =
        format!("cargo run --release -p simulations -- --scenario {scenario} --seed {seed}");
    if let Some(n) = args.nodes {
        cmd += &format!(" --nodes {n}");
    }
    if let Some(r) = args.records {
        cmd += &format!(" --records {r}");
    }
    if let Some(t) = &args.topology {
        cmd += &format!(" --topology {t}");
    }
    if let Some(p) = &args.policies {
        cmd += &format!(" --policies {p}");
    }
    cmd
}

fn run(args: &Args) -> Result<bool, String> {
    let scenarios = scenarios(args)?;
    let seeds: std::ops::Range<u64> = match (&args.seed, &args.seeds) {
        (Some(s), _) => *s..*s + 1,
        (None, Some(range)) => {
            let (a, b) = range
                .split_once("..")
                .ok_or_else(|| format!("--seeds wants A..B, not {range:?}"))?;
            let a: u64 = a.parse().map_err(|_| format!("bad seed {a:?}"))?;
            let b: u64 = b.parse().map_err(|_| format!("bad seed {b:?}"))?;
            a..b
        }
        (None, None) => 0..1,
    };
    let single = seeds.end - seeds.start == 1;
    let started = Instant::now();
    let mut all_ok = true;
    let mut rows = Vec::new();
    for s in &scenarios {
        let reports = sweep(args, s, seeds.clone(), single);
        for r in &reports {
            if single || args.verbose || !r.passed() {
                print!("{}", r.render());
            }
            if !r.passed() {
                all_ok = false;
                println!(
                    "  replay:   {}{}",
                    replay(args, &s.name, r.seed),
                    if args.baseline { " --baseline" } else { "" }
                );
            }
        }
        rows.push(report::table_row(&reports));
    }
    if !single {
        println!();
        println!("{}", report::TABLE_HEADER);
        for row in rows {
            println!("{row}");
        }
        println!();
        println!(
            "{} runs in {:.1}s wall: {}",
            scenarios.len() as u64 * (seeds.end - seeds.start),
            started.elapsed().as_secs_f64(),
            if all_ok {
                "all passed"
            } else {
                "FAILURES above"
            }
        );
    }
    Ok(all_ok)
}

fn sweep(args: &Args, s: &Scenario, seeds: std::ops::Range<u64>, single: bool) -> Vec<RunReport> {
    let next = AtomicU64::new(seeds.start);
    let done = Mutex::new(Vec::new());
    let jobs = args.jobs.max(1);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= seeds.end {
                        break;
                    }
                    let r = simulations::run(s, seed, args.baseline);
                    if !single && !r.passed() {
                        eprintln!("FAIL {} seed {seed}", s.name);
                    }
                    done.lock().unwrap_or_else(|p| p.into_inner()).push(r);
                }
            });
        }
    });
    let mut reports = done.into_inner().unwrap_or_else(|p| p.into_inner());
    reports.sort_by_key(|r| r.seed);
    reports
}
