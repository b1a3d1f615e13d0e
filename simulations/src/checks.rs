//! The invariants, checked while the run goes and at its end.
//!
//! Continuously (every apply, every frame sent):
//! * every entry sent over a link is one that hop may carry ([`Policies::may_send`]);
//! * every entry a node stores is one some policy-allowed path brings it, and no newer
//!   than its origin ever made it;
//! * no entry goes backwards: after an apply, every origin's entry of every record the
//!   apply touched covers what it was before, and covers what came in; the version
//!   vector never decreases.
//!
//! At the end (quiescent: faults healed, ingest stopped, nothing in flight, nothing
//! due): every node holds exactly its expected entries, each equal to the origin's final
//! entry; its vector claims no update its origin never made, and its own entry is its
//! last update; with open policies, all nodes are identical.
//!
//! [`Policies::may_send`]: crate::policy::Policies::may_send

use std::time::Duration;

use hearsay_record::Entry;
use hearsay_sync::{Mem, SnapshotRecord, Vector, WireEntry};

use crate::expected::Expected;

/// What a node's replica went through.
#[derive(Debug, Clone, Default)]
pub struct NodeCounters {
    /// Applies (batches, markers).
    pub applies: u64,
    /// Entries received into an apply.
    pub entries_in: u64,
    /// Of those, entries that changed something.
    pub changed: u64,
    /// Of those, entries that changed nothing (duplicates).
    pub duplicates: u64,
    /// When an apply last changed something.
    pub last_change: Duration,
}

/// Shared by the simulator and every node's replica wrapper.
#[derive(Debug, Default)]
pub struct Probe {
    /// Simulated time (set by the simulator before it calls into a node).
    pub now: Duration,
    /// Run the per-apply checks (reads every touched record before and after).
    pub check_apply: bool,
    /// Invariant violations, first ones first.
    pub failures: Vec<String>,
    /// Per node.
    pub nodes: Vec<NodeCounters>,
}

impl Probe {
    /// Records a violation (the first few; the run stops at the next event).
    pub fn fail(&mut self, what: String) {
        if self.failures.len() < 16 {
            self.failures
                .push(format!("t={:.3}s: {what}", self.now.as_secs_f64()));
        }
    }
}

/// Checks one apply at node `x`: the entries that came in, each record before and after.
pub fn apply(
    expected: &Expected,
    x: usize,
    incoming: &[(WireEntry, Option<SnapshotRecord>, Option<SnapshotRecord>)],
) -> Vec<String> {
    let mut out = Vec::new();
    let find = |r: &Option<SnapshotRecord>, origin: &str| -> Option<Entry> {
        r.as_ref()
            .and_then(|(_, es)| es.iter().find(|(o, _)| o == origin).map(|(_, e)| *e))
    };
    for (e, before, after) in incoming {
        if let Some(why) = expected.check_held(x, &e.origin, &e.key, &e.entry) {
            out.push(format!("stored: {why}"));
        }
        match find(after, &e.origin) {
            None => out.push(format!(
                "{} lost {}'s entry for {} in an apply",
                expected.names[x],
                e.origin,
                expected.describe(&e.key)
            )),
            Some(now) if !now.covers(&e.entry) => out.push(format!(
                "{}: merged {}'s {:?} into {} and got {now:?}, which does not cover it",
                expected.names[x],
                e.origin,
                e.entry,
                expected.describe(&e.key)
            )),
            Some(_) => {}
        }
        if let Some((_, es)) = before {
            for (origin, was) in es {
                match find(after, origin) {
                    Some(now) if now.covers(was) => {}
                    now => out.push(format!(
                        "{}: {}'s entry for {} went backwards: {was:?} → {now:?}",
                        expected.names[x],
                        origin,
                        expected.describe(&e.key)
                    )),
                }
            }
        }
    }
    out
}

/// The vector never decreases.
pub fn vector(name: &str, before: &Vector, after: &Vector) -> Option<String> {
    before.iter().find_map(|(o, s)| {
        let now = after.get(o).copied().unwrap_or(0);
        (now < *s).then(|| format!("{name}'s vector for {o} went back from {s} to {now}"))
    })
}

/// Node `x`'s final state against the expected one. Empty if it is exactly right.
pub fn final_state(expected: &Expected, x: usize, mem: &Mem) -> Vec<String> {
    let mut out = Vec::new();
    let name = &expected.names[x];
    let mut held = 0u64;
    let mut wrong = 0u64;
    for (key, origin, e) in mem.entries() {
        held += 1;
        if let Some(why) = expected.check_held(x, origin, key, e) {
            wrong += 1;
            if out.len() < 5 {
                out.push(why);
            }
            continue;
        }
        let fin = expected
            .origin(origin)
            .zip(expected.key(key))
            .and_then(|(o, (id, _))| expected.entry(o, id));
        if fin != Some(e) {
            wrong += 1;
            if out.len() < 5 {
                out.push(format!(
                    "{name} holds {origin}'s entry for {} as {e:?}, the origin's last is {fin:?}",
                    expected.describe(key)
                ));
            }
        }
    }
    let want = expected.per_node[x];
    if held - wrong != want || wrong > 0 {
        // Name a few missing entries.
        let mut missing = 0u64;
        let mut examples = Vec::new();
        for (o, finals) in expected.finals.iter().enumerate() {
            for id in finals.keys() {
                let class = expected.universe.class[*id as usize] as usize;
                if !expected.reaches(o, class, x) {
                    continue;
                }
                let key = &expected.universe.keys[*id as usize];
                let has = mem.entry(key, &expected.names[o]).is_some();
                if !has {
                    missing += 1;
                    if examples.len() < 3 {
                        examples.push(format!(
                            "{}'s {} (seq {})",
                            expected.names[o],
                            expected.describe(key),
                            finals[id].seq
                        ));
                    }
                }
            }
        }
        out.push(format!(
            "{name} holds {held} entries ({wrong} wrong), expected {want}; missing {missing}, e.g. {}",
            examples.join(", ")
        ));
    }
    for (origin, seq) in &mem.vector {
        let made = expected.origin(origin).map(|o| {
            expected.finals[o]
                .values()
                .map(|e| e.seq)
                .max()
                .unwrap_or(0)
        });
        if made.is_none_or(|m| *seq > m) {
            out.push(format!(
                "{name}'s vector claims {origin} up to {seq}, the origin made {made:?}"
            ));
        }
    }
    out
}
