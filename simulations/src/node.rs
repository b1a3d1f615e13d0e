//! A simulated node: the protocol engine (the real `Replicator` or the baseline) over
//! an in-memory replica wrapped with the per-apply checks.
//!
//! Why an in-memory replica does not weaken the result: the `Replicator` sees its
//! database only through the `Replica` trait, and `MemReplica` implements it with the
//! fjall store's semantics (one atomic apply per batch with its markers, a log with one
//! line per (record, origin) holding the latest seq, the vector advanced only by
//! markers and by the local origin's own updates, named state for progress and policy
//! documents). The store's side of that contract is checked by the store's own tests.
//! A crash in the simulator is a process crash: every apply the node made is durable
//! (an apply is one atomic batch), so the node restarts from `MemReplica::dump()`, and
//! loses only the aggregation window it had not flushed (see `workload`).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use hearsay_record::Sighting;
use hearsay_sync::{
    Applied, ConnId, Mem, MemReplica, Message, Replica, ReplicaError, Replicator, SnapshotRecord,
    SyncConfig, WireEntry, batch,
};

use crate::checks::{self, Probe};
use crate::expected::Expected;

/// What a frame on the wire was, for the traffic report.
#[derive(Debug)]
pub struct FrameInfo {
    /// Message kind.
    pub kind: &'static str,
    /// Carries records (entries or snapshot records), as opposed to metadata.
    pub data: bool,
    /// The entries it carries.
    pub entries: Vec<WireEntry>,
}

/// What the simulator needs from a node's protocol engine: the `Replicator` API.
pub trait Engine {
    /// A connection to `peer` is up.
    fn open(&mut self, conn: ConnId, peer: &str, now: Duration) -> Result<(), String>;
    /// The connection is gone.
    fn close(&mut self, conn: ConnId);
    /// Bytes received, in stream order.
    fn handle(&mut self, conn: ConnId, bytes: &[u8], now: Duration) -> Result<(), String>;
    /// The next frame to send.
    fn poll_transmit(&mut self, conn: ConnId, now: Duration) -> Result<Option<Vec<u8>>, String>;
    /// When to poll again without input.
    fn poll_timeout(&self) -> Option<Duration>;
    /// The local origin's flushed window.
    fn observe(&mut self, sightings: &[(Vec<u8>, Sighting)]);
    /// The durable state.
    fn durable(&self) -> Mem;
    /// Decodes a frame this engine sent.
    fn inspect(frame: &[u8]) -> FrameInfo;
    /// A frame this engine sent, as one line for `--trace`.
    fn describe(frame: &[u8]) -> String {
        let info = Self::inspect(frame);
        format!("{} ({} entries)", info.kind, info.entries.len())
    }
}

/// Starts (or restarts) a node's engine.
pub trait Boot {
    /// The engine.
    type E: Engine;
    /// Node `i`, fresh or from its durable state.
    fn boot(&self, i: usize, durable: Option<Mem>) -> Result<Self::E, String>;
}

/// `MemReplica` plus the per-apply checks and counters. Odd-numbered nodes write
/// snapshot batches "in the background", as real nodes do: a batch is applied only when
/// the engine waits for it, and a crash before that loses it.
#[derive(Debug)]
pub struct Tracked {
    inner: MemReplica,
    node: usize,
    probe: Rc<RefCell<Probe>>,
    expected: Rc<Expected>,
    in_flight: RefCell<Option<Vec<Vec<WireEntry>>>>,
}

impl Tracked {
    /// Wraps a replica of node `node`.
    pub fn new(
        inner: MemReplica,
        node: usize,
        probe: Rc<RefCell<Probe>>,
        expected: Rc<Expected>,
    ) -> Self {
        Tracked {
            inner,
            node,
            probe,
            expected,
            in_flight: RefCell::new(None),
        }
    }

    /// The wrapped replica.
    pub fn inner(&self) -> &MemReplica {
        &self.inner
    }

    /// The record with this key, read through the trait (the largest key below it is
    /// not always nameable, so read from just below and skip what sorts first).
    fn get(&self, key: &[u8]) -> Result<Option<SnapshotRecord>, ReplicaError> {
        let mut after = key.to_vec();
        match after.last_mut() {
            Some(b) if *b > 0 => *b -= 1,
            _ => {
                after.pop();
            }
        }
        loop {
            let Some(r) = self.inner.read_records(Some(&after), 1)?.pop() else {
                return Ok(None);
            };
            match r.0.as_slice().cmp(key) {
                std::cmp::Ordering::Less => after = r.0,
                std::cmp::Ordering::Equal => return Ok(Some(r)),
                std::cmp::Ordering::Greater => return Ok(None),
            }
        }
    }
}

impl Replica for Tracked {
    hearsay_sync::forward_replica_reads!(inner);
    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        let checking = self.probe.borrow().check_apply;
        let n = entries.len() as u64;
        let mut incoming = Vec::new();
        let vector_before = checking.then(|| self.inner.vector());
        if checking {
            for e in &entries {
                incoming.push((e.clone(), self.get(&e.key)?, None));
            }
        }
        let applied = self.inner.apply(entries, complete)?;
        let mut problems = Vec::new();
        if checking {
            for item in &mut incoming {
                item.2 = self.get(&item.0.key)?;
            }
            problems = checks::apply(&self.expected, self.node, &incoming);
            if let Some(before) = vector_before
                && let Some(why) = checks::vector(
                    &self.expected.names[self.node],
                    &before,
                    &self.inner.vector(),
                )
            {
                problems.push(why);
            }
        }
        let mut probe = self.probe.borrow_mut();
        for p in problems {
            probe.fail(p);
        }
        let now = probe.now;
        if let Some(c) = probe.nodes.get_mut(self.node) {
            c.applies += 1;
            c.entries_in += n;
            c.changed += applied.changed;
            c.duplicates += applied.duplicates;
            if applied.changed > 0 {
                c.last_change = now;
            }
        }
        Ok(applied)
    }
    fn start_snapshot_write(
        &self,
        batches: Vec<Vec<WireEntry>>,
    ) -> Result<Option<Applied>, ReplicaError> {
        if self.node.is_multiple_of(2) {
            return self.apply_snapshot(batches).map(Some);
        }
        let mut in_flight = self.in_flight.borrow_mut();
        if in_flight.is_some() {
            self.probe
                .borrow_mut()
                .fail("a second snapshot write started before the first was waited for".into());
        }
        *in_flight = Some(batches);
        Ok(None)
    }
    fn wait_snapshot_write(&self) -> Result<Applied, ReplicaError> {
        let batches = self.in_flight.borrow_mut().take();
        match batches {
            Some(b) => self.apply_snapshot(b),
            None => Ok(Applied::default()),
        }
    }
}

/// A node running the real protocol engine.
#[derive(Debug)]
pub struct SyncEngine {
    rep: Replicator<Tracked>,
}

impl SyncEngine {
    /// The engine.
    pub fn replicator(&self) -> &Replicator<Tracked> {
        &self.rep
    }
}

impl Engine for SyncEngine {
    fn open(&mut self, conn: ConnId, peer: &str, now: Duration) -> Result<(), String> {
        self.rep.open(conn, peer, now).map_err(|e| e.to_string())
    }
    fn close(&mut self, conn: ConnId) {
        self.rep.close(conn);
    }
    fn handle(&mut self, conn: ConnId, bytes: &[u8], now: Duration) -> Result<(), String> {
        self.rep.handle(conn, bytes, now).map_err(|e| e.to_string())
    }
    fn poll_transmit(&mut self, conn: ConnId, now: Duration) -> Result<Option<Vec<u8>>, String> {
        self.rep.poll_transmit(conn, now).map_err(|e| e.to_string())
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.rep.poll_timeout()
    }
    fn observe(&mut self, sightings: &[(Vec<u8>, Sighting)]) {
        self.rep.replica().inner().observe(sightings);
    }
    fn durable(&self) -> Mem {
        self.rep.replica().inner().dump()
    }
    fn inspect(frame: &[u8]) -> FrameInfo {
        let message = frame
            .get(5..)
            .and_then(|body| postcard::from_bytes::<Message>(body).ok());
        let (kind, data, entries) = match &message {
            Some(m @ (Message::Entries { batch } | Message::SnapshotEntries { batch })) => {
                (m.kind(), true, batch::decode(batch).unwrap_or_default())
            }
            Some(m) => (m.kind(), false, Vec::new()),
            None => ("undecodable", false, Vec::new()),
        };
        FrameInfo {
            kind,
            data,
            entries,
        }
    }
    fn describe(frame: &[u8]) -> String {
        let message = frame
            .get(5..)
            .and_then(|body| postcard::from_bytes::<Message>(body).ok());
        match message {
            Some(Message::Hello { vector, .. }) => format!("hello {vector:?}"),
            Some(Message::Complete { origin, seq }) => format!("complete {origin} to {seq}"),
            Some(Message::Have { origin, seq }) => format!("have {origin} to {seq}"),
            Some(Message::Policy { origin, .. }) => format!("policy of {origin}"),
            Some(m @ (Message::Entries { .. } | Message::SnapshotEntries { .. })) => {
                // Per origin: how many entries and their seq range.
                let mut per: std::collections::BTreeMap<String, (usize, u64, u64)> =
                    Default::default();
                for e in Self::inspect(frame).entries {
                    let slot = per.entry(e.origin.to_string()).or_insert((0, u64::MAX, 0));
                    slot.0 += 1;
                    slot.1 = slot.1.min(e.entry.seq);
                    slot.2 = slot.2.max(e.entry.seq);
                }
                let parts: Vec<String> = per
                    .into_iter()
                    .map(|(o, (n, lo, hi))| format!("{o} x{n} seq {lo}..={hi}"))
                    .collect();
                format!("{} {}", m.kind(), parts.join(", "))
            }
            Some(m) => m.kind().to_owned(),
            None => "undecodable".to_owned(),
        }
    }
}

/// Boots `Replicator<Tracked>` nodes.
#[derive(Debug)]
pub struct SyncBoot {
    /// Node names.
    pub names: Vec<String>,
    /// Each node's config.
    pub configs: Vec<SyncConfig>,
    /// Shared probe.
    pub probe: Rc<RefCell<Probe>>,
    /// Expected state (for the checks).
    pub expected: Rc<Expected>,
}

impl Boot for SyncBoot {
    type E = SyncEngine;
    fn boot(&self, i: usize, durable: Option<Mem>) -> Result<SyncEngine, String> {
        let replica = match durable {
            Some(mem) => MemReplica::from_state(mem),
            None => MemReplica::new(&self.names[i]),
        };
        let tracked = Tracked::new(replica, i, self.probe.clone(), self.expected.clone());
        let rep = Replicator::new(tracked, self.configs[i].clone()).map_err(|e| e.to_string())?;
        Ok(SyncEngine { rep })
    }
}
