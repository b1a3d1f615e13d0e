//! What a run reports, and the table a sweep prints.
//!
//! * **Converged after**: simulated seconds from the moment the last fault healed and
//!   the last window was flushed ("settle") to the last change any node made (clamped
//!   at zero); the final check proves that state is the expected one.
//! * **Bytes**: frame bytes the engines sent, split into data (Entries and
//!   SnapshotEntries frames) and metadata (Hello, Policy, Complete, Have, snapshot
//!   begin/end); duplicates are received entries that changed nothing (the replica's
//!   own count), with their share of the data bytes as an estimate of their cost.
//!   "Wire" adds packet headers, retransmissions and duplicated packets.
//! * **Peak queue**: the most bytes a node had handed to its links and not yet seen
//!   acknowledged, at once (the driver's send queues; the engine's own outbox is bounded
//!   by `max_queued_frames`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::checks::NodeCounters;
use crate::expected::Expected;
use crate::faults::Schedule;
use crate::scenario::Scenario;
use crate::sim::Outcome;
use crate::topology::Topology;
use crate::workload::Ingest;

/// The baseline's numbers for the same run.
#[derive(Debug, Clone)]
pub struct BaselineReport {
    /// Did every node reach its expected state before the deadline?
    pub converged: bool,
    /// Seconds from settle to convergence (to the deadline if it never converged).
    pub converge_after: Duration,
    /// Frame bytes sent until then.
    pub frame_bytes: u64,
    /// Packet bytes on the wire until then.
    pub wire_bytes: u64,
    /// Largest peak queue of any node.
    pub peak_queue: u64,
}

/// One run's report.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Nodes.
    pub nodes: usize,
    /// Topology used.
    pub topology: Topology,
    /// Open policies?
    pub open: bool,
    /// Links.
    pub links: usize,
    /// Distinct records observed.
    pub records: usize,
    /// (record, origin) entries summed over the nodes that must hold them.
    pub entries_expected: u64,
    /// Sightings captured.
    pub sightings: u64,
    /// Sightings lost in windows cut short by crashes.
    pub lost: u64,
    /// Windows flushed.
    pub windows: usize,
    /// Partitions, crashes, resets.
    pub faults: (usize, usize, usize),
    /// Settle time.
    pub settle: Duration,
    /// When the run ended.
    pub end_at: Duration,
    /// Converged this long after settle.
    pub converge_after: Duration,
    /// Frames and bytes by kind.
    pub frames: BTreeMap<&'static str, (u64, u64)>,
    /// Data frame bytes.
    pub data_bytes: u64,
    /// Metadata frame bytes.
    pub meta_bytes: u64,
    /// Entries received into applies.
    pub entries_in: u64,
    /// Of those, duplicates.
    pub duplicates: u64,
    /// Packet bytes on the wire.
    pub wire_bytes: u64,
    /// Retransmitted payload bytes.
    pub retransmitted: u64,
    /// Duplicated packet bytes.
    pub duplicated: u64,
    /// Per node peak queue.
    pub peak_queue: Vec<u64>,
    /// Connections established.
    pub connections: u64,
    /// Events processed.
    pub events: u64,
    /// Wall-clock time of the run (baseline included).
    pub wall: Duration,
    /// What went wrong (empty: passed).
    pub failures: Vec<String>,
    /// The baseline, if run.
    pub baseline: Option<BaselineReport>,
    /// Links and policies, described (printed with failures).
    pub setup: String,
}

impl RunReport {
    /// Assembles a report.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        scenario: &Scenario,
        seed: u64,
        topology: Topology,
        open: bool,
        links: &[(usize, usize)],
        schedule: &Schedule,
        ingest: &[Ingest],
        expected: &Expected,
        outcome: &Outcome,
        counters: &[NodeCounters],
        failures: Vec<String>,
        baseline: Option<BaselineReport>,
        wall: Duration,
    ) -> Self {
        let last_flush = ingest
            .iter()
            .filter_map(|i| i.windows.last().map(|w| w.at))
            .max()
            .unwrap_or_default();
        let last_change = counters
            .iter()
            .map(|c| c.last_change)
            .max()
            .unwrap_or_default()
            .max(last_flush);
        let t = &outcome.traffic;
        RunReport {
            scenario: scenario.name.clone(),
            seed,
            nodes: scenario.nodes,
            topology,
            open,
            links: links.len(),
            records: expected.distinct_records(),
            entries_expected: expected.per_node.iter().sum(),
            sightings: ingest.iter().map(|i| i.sightings).sum(),
            lost: ingest.iter().map(|i| i.lost).sum(),
            windows: ingest.iter().map(|i| i.windows.len()).sum(),
            faults: (
                schedule.partitions.len(),
                schedule.crashes(),
                schedule.resets.len(),
            ),
            settle: outcome.settle,
            end_at: outcome.at,
            converge_after: last_change.saturating_sub(outcome.settle),
            frames: t.frames.clone(),
            data_bytes: t.data_bytes,
            meta_bytes: t.meta_bytes,
            entries_in: counters.iter().map(|c| c.entries_in).sum(),
            duplicates: counters.iter().map(|c| c.duplicates).sum(),
            wire_bytes: t.wire_bytes,
            retransmitted: t.retransmitted,
            duplicated: t.duplicated,
            peak_queue: outcome.peak_queue.clone(),
            connections: t.connections,
            events: outcome.events,
            wall,
            failures,
            baseline,
            setup: String::new(),
        }
    }

    /// No invariant broke and every node reached its expected state.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Frame bytes in total.
    pub fn frame_bytes(&self) -> u64 {
        self.data_bytes + self.meta_bytes
    }

    /// Fraction of received entries that changed nothing.
    pub fn duplicate_share(&self) -> f64 {
        if self.entries_in == 0 {
            0.0
        } else {
            self.duplicates as f64 / self.entries_in as f64
        }
    }

    /// A human-readable account of the run.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let policies = if self.open { "open" } else { "mixed" };
        let _ = writeln!(
            s,
            "scenario {} seed {}: {} nodes, {} ({} links), {policies} policies",
            self.scenario,
            self.seed,
            self.nodes,
            self.topology.name(),
            self.links
        );
        let _ = writeln!(
            s,
            "  workload: {} distinct records, {} sightings ({} lost to crashes) in {} windows; {} (record, origin) entries expected across nodes",
            self.records, self.sightings, self.lost, self.windows, self.entries_expected
        );
        let _ = writeln!(
            s,
            "  faults:   {} partitions, {} crashes, {} resets; settled at t={:.1}s",
            self.faults.0,
            self.faults.1,
            self.faults.2,
            self.settle.as_secs_f64()
        );
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(
            s,
            "  result:   {verdict}, ended t={:.1}s, converged {:.2}s after settle; {} connections",
            self.end_at.as_secs_f64(),
            self.converge_after.as_secs_f64(),
            self.connections
        );
        let kinds: Vec<String> = self
            .frames
            .iter()
            .map(|(k, (n, b))| format!("{k} {n} ({})", bytes(*b)))
            .collect();
        let _ = writeln!(
            s,
            "  frames:   data {}, metadata {}: {}",
            bytes(self.data_bytes),
            bytes(self.meta_bytes),
            kinds.join(", ")
        );
        let _ = writeln!(
            s,
            "  entries:  {} received, {} duplicates ({:.1}%, ~{})",
            self.entries_in,
            self.duplicates,
            100.0 * self.duplicate_share(),
            bytes((self.data_bytes as f64 * self.duplicate_share()) as u64)
        );
        let _ = writeln!(
            s,
            "  wire:     {} (retransmitted {}, duplicated packets {})",
            bytes(self.wire_bytes),
            bytes(self.retransmitted),
            bytes(self.duplicated)
        );
        let peak = self.peak_queue.iter().copied().max().unwrap_or(0);
        let mean = self.peak_queue.iter().sum::<u64>() / self.peak_queue.len().max(1) as u64;
        let _ = writeln!(
            s,
            "  queues:   peak per node {} (max), {} (mean)",
            bytes(peak),
            bytes(mean)
        );
        if let Some(b) = &self.baseline {
            let state = if b.converged {
                format!(
                    "converged {:.2}s after settle",
                    b.converge_after.as_secs_f64()
                )
            } else {
                "did NOT converge".to_owned()
            };
            let _ = writeln!(
                s,
                "  baseline: {state}; {} frames ({:.1}x), {} on the wire; peak queue {}",
                bytes(b.frame_bytes),
                b.frame_bytes as f64 / self.frame_bytes().max(1) as f64,
                bytes(b.wire_bytes),
                bytes(b.peak_queue)
            );
        }
        let _ = writeln!(
            s,
            "  cost:     {:.2}s wall, {} events",
            self.wall.as_secs_f64(),
            self.events
        );
        for f in &self.failures {
            let _ = writeln!(s, "  FAILURE:  {f}");
        }
        if !self.passed() {
            let _ = write!(s, "  setup:\n{}", self.setup);
        }
        s
    }
}

/// Bytes, human-readable.
pub fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The header of the results table.
pub const TABLE_HEADER: &str = "| scenario | seeds | passed | nodes | topologies | converge p50 / p95 / max (s) | data MB | metadata MB | duplicates | wire MB | peak queue (max node) | baseline converge p50 (s) | baseline MB | bytes vs baseline |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";

/// One row of the results table: the runs of one scenario (means per run).
pub fn table_row(runs: &[RunReport]) -> String {
    let Some(first) = runs.first() else {
        return String::new();
    };
    let k = runs.len() as f64;
    let passed = runs.iter().filter(|r| r.passed()).count();
    let mut conv: Vec<f64> = runs
        .iter()
        .map(|r| r.converge_after.as_secs_f64())
        .collect();
    conv.sort_by(f64::total_cmp);
    let mut topologies: Vec<&str> = runs.iter().map(|r| r.topology.name()).collect();
    topologies.sort_unstable();
    topologies.dedup();
    let mean = |f: &dyn Fn(&RunReport) -> f64| runs.iter().map(f).sum::<f64>() / k;
    let mb = |b: u64| b as f64 / 1e6;
    let data = mean(&|r| mb(r.data_bytes));
    let meta = mean(&|r| mb(r.meta_bytes));
    let dup = runs.iter().map(|r| r.duplicates).sum::<u64>() as f64
        / runs.iter().map(|r| r.entries_in).sum::<u64>().max(1) as f64;
    let wire = mean(&|r| mb(r.wire_bytes));
    let peak = mean(&|r| r.peak_queue.iter().copied().max().unwrap_or(0) as f64 / 1e3);
    let baselines: Vec<&BaselineReport> = runs.iter().filter_map(|r| r.baseline.as_ref()).collect();
    let (bconv, bmb, ratio) = if baselines.is_empty() {
        ("–".to_owned(), "–".to_owned(), "–".to_owned())
    } else {
        let mut bc: Vec<f64> = baselines
            .iter()
            .map(|b| b.converge_after.as_secs_f64())
            .collect();
        bc.sort_by(f64::total_cmp);
        let unconverged = baselines.iter().filter(|b| !b.converged).count();
        let bbytes =
            baselines.iter().map(|b| mb(b.frame_bytes)).sum::<f64>() / baselines.len() as f64;
        let ours = runs
            .iter()
            .filter(|r| r.baseline.is_some())
            .map(|r| mb(r.frame_bytes()))
            .sum::<f64>()
            / baselines.len() as f64;
        let note = if unconverged > 0 {
            format!(" ({unconverged} never)")
        } else {
            String::new()
        };
        (
            format!("{:.1}{note}", quantile(&bc, 0.5)),
            format!("{bbytes:.2}"),
            format!("{:.2}x less", bbytes / ours.max(1e-9)),
        )
    };
    format!(
        "| {} | {} | {} | {} | {} | {:.1} / {:.1} / {:.1} | {data:.2} | {meta:.2} | {:.1}% | {wire:.2} | {peak:.0} kB | {bconv} | {bmb} | {ratio} |",
        first.scenario,
        runs.len(),
        passed,
        first.nodes,
        topologies.join(", "),
        quantile(&conv, 0.5),
        quantile(&conv, 0.95),
        quantile(&conv, 1.0),
        100.0 * dup,
    )
}
