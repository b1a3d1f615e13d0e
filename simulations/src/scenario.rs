//! Named scenarios: federation size, topology, policies, workload, network and faults.

use std::time::Duration;

use crate::faults::FaultParams;
use crate::net::NetParams;
use crate::topology::Topology;

/// Which sharing policies a scenario uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Everyone shares and relays everything.
    Open,
    /// Withheld zones, non-relaying partners, partners not accepting relayed records.
    Mixed,
    /// Open for one seed in four, mixed otherwise.
    Drawn,
}

impl PolicyKind {
    /// Parses a name.
    pub fn parse(s: &str) -> Option<PolicyKind> {
        match s {
            "open" => Some(PolicyKind::Open),
            "mixed" => Some(PolicyKind::Mixed),
            "drawn" => Some(PolicyKind::Drawn),
            _ => None,
        }
    }
}

/// Everything that defines a run but its seed.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// Nodes.
    pub nodes: usize,
    /// Topology, or `None` to draw one per seed.
    pub topology: Option<Topology>,
    /// Policies.
    pub policies: PolicyKind,
    /// Distinct records in the workload's universe.
    pub records: usize,
    /// Sightings per record of the universe, across the federation.
    pub sightings_per_record: f64,
    /// Ingest runs from zero to this.
    pub ingest: Duration,
    /// Aggregation window.
    pub window: Duration,
    /// Faults.
    pub faults: FaultParams,
    /// Network.
    pub net: NetParams,
    /// How long after the last fault and flush the run may take to go quiet.
    pub slack: Duration,
    /// The baseline's exchange period.
    pub baseline_period: Duration,
    /// Read every touched record before and after each apply (costs time on big runs).
    pub check_apply: bool,
    /// Nodes whose frames are printed as they are sent (`--trace`, for diagnosing a seed).
    pub trace: Vec<String>,
}

/// The faults of the acceptance runs: 5% loss, 5% duplication, reordering, partitions,
/// crashes and resets during the first 75 s.
pub fn heavy_faults() -> FaultParams {
    FaultParams {
        loss: 0.05,
        duplicate: 0.05,
        jitter: Duration::from_millis(30),
        partitions: 6,
        max_partition: Duration::from_secs(40),
        crashes: 6,
        max_down: Duration::from_secs(15),
        resets: 8,
        until: Duration::from_secs(75),
    }
}

/// Every scenario name.
pub const NAMES: [&str; 9] = [
    "federation",
    "calm",
    "mesh",
    "star",
    "ring",
    "line",
    "sparse",
    "open-line",
    "line50",
];

/// A scenario by name.
pub fn named(name: &str) -> Option<Scenario> {
    let base = Scenario {
        name: name.to_owned(),
        nodes: 20,
        topology: None,
        policies: PolicyKind::Drawn,
        records: 2000,
        sightings_per_record: 3.0,
        ingest: Duration::from_secs(40),
        window: Duration::from_secs(2),
        faults: heavy_faults(),
        net: NetParams::default(),
        slack: Duration::from_secs(600),
        baseline_period: Duration::from_secs(10),
        check_apply: true,
        trace: Vec::new(),
    };
    let with = |topology: Topology, policies: PolicyKind| Scenario {
        topology: Some(topology),
        policies,
        ..base.clone()
    };
    Some(match name {
        // The acceptance sweep: 20 nodes, topology and policies drawn per seed.
        "federation" => base,
        // No faults at all: the protocol's cost against the baseline on a clean network.
        "calm" => Scenario {
            faults: FaultParams::none(),
            ..with(Topology::Mesh, PolicyKind::Open)
        },
        "mesh" => with(Topology::Mesh, PolicyKind::Mixed),
        "star" => with(Topology::Star, PolicyKind::Mixed),
        "ring" => with(Topology::Ring, PolicyKind::Mixed),
        "line" => with(Topology::Line, PolicyKind::Mixed),
        "sparse" => with(Topology::Sparse, PolicyKind::Mixed),
        // Open policies on the worst diameter: all nodes must end identical.
        "open-line" => with(Topology::Line, PolicyKind::Open),
        // 50 nodes in a line with a 200k-record workload: a universe of 285k records of
        // which the heavy-tailed draw uses about 203k (seed 1: 203,059).
        "line50" => Scenario {
            nodes: 50,
            records: 285_000,
            sightings_per_record: 2.0,
            ingest: Duration::from_secs(120),
            window: Duration::from_secs(5),
            faults: FaultParams {
                partitions: 4,
                crashes: 4,
                resets: 6,
                until: Duration::from_secs(150),
                ..heavy_faults()
            },
            net: NetParams {
                bandwidth: (10 << 20, 50 << 20),
                send_queue: 4 << 20,
                ..NetParams::default()
            },
            baseline_period: Duration::from_secs(30),
            check_apply: false,
            ..with(Topology::Line, PolicyKind::Open)
        },
        _ => return None,
    })
}
