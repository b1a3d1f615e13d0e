//! # simulations
//!
//! Seeded, deterministic simulations of hearsay federations: N nodes, each running the
//! real `hearsay_sync::Replicator` over an in-memory replica with the store's semantics
//! ([`node`]), connected by a simulated network of partner links with latency,
//! bandwidth, packet loss, duplication and reordering under a reliable stream,
//! partitions, connection resets and node crashes with restart ([`net`], [`faults`],
//! [`sim`]). Each node ingests its own observation stream ([`workload`]) under sharing
//! policies ([`policy`]) on a topology ([`topology`]). The state every node must reach
//! is computed independently ([`expected`]) and checked while the run goes and at its
//! end ([`checks`]); the same run with a naive periodic full-state exchange
//! ([`baseline`]) gives the yardstick for bytes and convergence time ([`report`]).
//!
//! One seed drives everything: topology, policies, workload, faults and every network
//! choice come from ChaCha8 streams of that seed, and simulated time is a `Duration`
//! advanced by the event loop, so a run replays exactly:
//! `cargo run --release -p simulations -- --scenario NAME --seed S`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub mod baseline;
pub mod checks;
pub mod expected;
pub mod faults;
pub mod net;
pub mod node;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod topology;
pub mod workload;

use crate::baseline::BaselineBoot;
use crate::checks::{NodeCounters, Probe};
use crate::expected::Expected;
use crate::faults::Schedule;
use crate::node::{Boot, SyncBoot};
use crate::policy::Policies;
use crate::report::{BaselineReport, RunReport};
use crate::scenario::{PolicyKind, Scenario};
use crate::sim::{End, Outcome, Setup, World};
use crate::topology::Topology;
use crate::workload::{Universe, WorkloadParams, Zones};

/// The generator of one concern of a run (streams keep concerns independent, so the
/// baseline sees the same topology, policies, workload and faults).
fn stream(seed: u64, which: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(which);
    r
}

/// Runs `scenario` with `seed` (and the baseline too if asked).
pub fn run(scenario: &Scenario, seed: u64, with_baseline: bool) -> RunReport {
    let started = Instant::now();
    let n = scenario.nodes;
    let names: Vec<String> = (0..n).map(|i| format!("cert{i}")).collect();
    let mut rng = stream(seed, 1);
    let topology = scenario
        .topology
        .unwrap_or_else(|| Topology::ALL[rng.random_range(0..Topology::ALL.len())]);
    let links = topology.links(n, &mut rng);
    let zones = Zones::new(n);
    let open = match scenario.policies {
        PolicyKind::Open => true,
        PolicyKind::Mixed => false,
        PolicyKind::Drawn => rng.random_bool(0.25),
    };
    let policies = if open {
        Policies::open(n, &links)
    } else {
        Policies::mixed(n, &links, &zones, &mut stream(seed, 2))
    };
    let schedule = Schedule::draw(&scenario.faults, n, &links, &mut stream(seed, 3));
    let universe = Universe::new(n, scenario.records, &zones);
    let params = WorkloadParams {
        records: scenario.records,
        sightings_per_record: scenario.sightings_per_record,
        ingest: scenario.ingest,
        burst: Duration::from_millis(250),
        window: scenario.window,
    };
    let ingest = workload::plan(&params, &universe, &schedule.down, &mut stream(seed, 4));
    let configs: Vec<_> = (0..n)
        .map(|i| policies.sync_config(i, &names, &zones))
        .collect();
    let expected = Rc::new(Expected::compute(
        names.clone(),
        Rc::new(universe),
        &ingest,
        policies.clone(),
        zones.count(),
    ));
    let deadline = scenario
        .faults
        .until
        .max(scenario.ingest + scenario.window * 2)
        + scenario.slack;
    let mut setup = Setup {
        names: names.clone(),
        links: links.clone(),
        net: scenario.net.clone(),
        faults: scenario.faults.clone(),
        schedule: schedule.clone(),
        ingest: ingest.clone(),
        deadline,
        until_converged: false,
        trace: (0..n)
            .filter(|i| scenario.trace.contains(&names[*i]))
            .collect(),
    };

    let probe = new_probe(n, scenario.check_apply);
    let boot = SyncBoot {
        names: names.clone(),
        configs,
        probe: probe.clone(),
        expected: expected.clone(),
    };
    let outcome = simulate(&setup, &boot, &probe, &expected, seed);
    let mut failures = probe.borrow().failures.clone();
    match outcome.end {
        End::Quiescent | End::Violation => {}
        End::Deadline | End::Converged => failures.push(format!(
            "not quiescent by t={:.1}s (faults over at {:.1}s)",
            outcome.at.as_secs_f64(),
            outcome.settle.as_secs_f64()
        )),
    }
    if outcome.end != End::Violation {
        for (i, state) in outcome.states.iter().enumerate() {
            match state {
                Some(mem) => failures.extend(checks::final_state(&expected, i, mem)),
                None => failures.push(format!("{} is down at the end", names[i])),
            }
        }
        if policies.is_open() {
            let first = outcome.states.first().and_then(|s| s.as_ref());
            for (i, s) in outcome.states.iter().enumerate().skip(1) {
                let same = match (s, first) {
                    (Some(a), Some(b)) => a.same_records(b),
                    (a, b) => a.is_none() && b.is_none(),
                };
                if !same {
                    failures.push(format!(
                        "open policies, yet {} differs from cert0",
                        names[i]
                    ));
                    break;
                }
            }
        }
    }
    let counters = probe.borrow().nodes.clone();

    let baseline = with_baseline.then(|| {
        setup.until_converged = true;
        let bprobe = new_probe(n, false);
        let boot = BaselineBoot {
            names: names.clone(),
            period: scenario.baseline_period,
            probe: bprobe.clone(),
            expected: expected.clone(),
        };
        let out = simulate(&setup, &boot, &bprobe, &expected, seed);
        let policy_ok = bprobe.borrow().failures.is_empty();
        BaselineReport {
            converged: out.end == End::Converged && policy_ok,
            converge_after: out.at.saturating_sub(out.settle),
            frame_bytes: out.traffic.data_bytes + out.traffic.meta_bytes,
            wire_bytes: out.traffic.wire_bytes,
            peak_queue: out.peak_queue.iter().copied().max().unwrap_or(0),
        }
    });

    let mut report = RunReport::new(
        scenario,
        seed,
        topology,
        open,
        &links,
        &schedule,
        &ingest,
        &expected,
        &outcome,
        &counters,
        failures,
        baseline,
        started.elapsed(),
    );
    if !report.passed() {
        report.setup = policies.describe(&names, &zones);
        for (k, p) in schedule.partitions.iter().enumerate() {
            let cut: Vec<String> = p
                .links
                .iter()
                .map(|l| format!("{}-{}", links[*l].0, links[*l].1))
                .collect();
            report.setup += &format!(
                "    partition {k}: {:.1}s..{:.1}s cuts {}\n",
                p.start.as_secs_f64(),
                p.end.as_secs_f64(),
                cut.join(" ")
            );
        }
        for (i, d) in schedule.down.iter().enumerate() {
            for (c, r) in d {
                report.setup += &format!(
                    "    {} down {:.1}s..{:.1}s\n",
                    names[i],
                    c.as_secs_f64(),
                    r.as_secs_f64()
                );
            }
        }
    }
    report
}

fn new_probe(n: usize, check_apply: bool) -> Rc<RefCell<Probe>> {
    Rc::new(RefCell::new(Probe {
        check_apply,
        nodes: vec![NodeCounters::default(); n],
        ..Probe::default()
    }))
}

fn simulate<B: Boot>(
    setup: &Setup,
    boot: &B,
    probe: &Rc<RefCell<Probe>>,
    expected: &Rc<Expected>,
    seed: u64,
) -> Outcome {
    World::new(
        setup,
        boot,
        probe.clone(),
        expected.clone(),
        stream(seed, 5),
    )
    .run()
}
