//! The state every node must end in, computed independently of the nodes: from every
//! origin's full stream (the windows that reached its database) and the policies.
//!
//! * An origin's final entry for a record folds every window that saw it: first = min,
//!   last = max, count = sum, seq = the number of the last window (update) that saw it
//!   (an origin numbers its non-empty flushed windows 1, 2, …).
//! * That entry reaches node X iff there is a path O → R1 → … → X over configured links
//!   where every hop R → Y is allowed by [`Policies::may_send`] for the record's zone
//!   class (the condition depends on the hop, the origin and the class only, so this is
//!   plain graph reachability per origin and class).
//!
//! A node must end up holding exactly the entries that reach it, each equal to the
//! origin's final entry; and it must never hold (or be sent) one that does not.

use std::collections::HashMap;
use std::rc::Rc;

use hearsay_record::Entry;

use crate::policy::Policies;
use crate::workload::{Ingest, Universe};

/// The expected outcome of a run.
#[derive(Debug)]
pub struct Expected {
    /// Node (origin) names by index.
    pub names: Vec<String>,
    index: HashMap<String, usize>,
    /// The record universe (key ids and classes).
    pub universe: Rc<Universe>,
    /// Per origin: key id → its final entry.
    pub finals: Vec<HashMap<u32, Entry>>,
    /// `reach[origin][class][node]`.
    reach: Vec<Vec<Vec<bool>>>,
    /// Per node: how many (record, origin) entries it must end with.
    pub per_node: Vec<u64>,
    /// The policies (for the per-hop check).
    pub policies: Policies,
}

impl Expected {
    /// Computes the expected state.
    pub fn compute(
        names: Vec<String>,
        universe: Rc<Universe>,
        ingest: &[Ingest],
        policies: Policies,
        classes: usize,
    ) -> Self {
        let n = names.len();
        let finals: Vec<HashMap<u32, Entry>> = ingest
            .iter()
            .map(|plan| {
                let mut m: HashMap<u32, Entry> = HashMap::new();
                for (i, w) in plan.windows.iter().enumerate() {
                    let seq = i as u64 + 1;
                    for (id, s) in &w.sightings {
                        let e = m.entry(*id).or_insert(Entry {
                            time_first: s.time_first,
                            time_last: s.time_last,
                            count: 0,
                            seq,
                        });
                        e.time_first = e.time_first.min(s.time_first);
                        e.time_last = e.time_last.max(s.time_last);
                        e.count += s.count;
                        e.seq = seq;
                    }
                }
                m
            })
            .collect();
        let reach: Vec<Vec<Vec<bool>>> = (0..n)
            .map(|o| {
                (0..classes)
                    .map(|c| {
                        let mut seen = vec![false; n];
                        seen[o] = true;
                        let mut stack = vec![o];
                        while let Some(r) = stack.pop() {
                            for &y in policies.partner[r].keys() {
                                if !seen[y] && policies.may_send(r, y, o, c) {
                                    seen[y] = true;
                                    stack.push(y);
                                }
                            }
                        }
                        seen
                    })
                    .collect()
            })
            .collect();
        let mut per_node = vec![0u64; n];
        for (o, m) in finals.iter().enumerate() {
            for id in m.keys() {
                let c = universe.class[*id as usize] as usize;
                for (x, count) in per_node.iter_mut().enumerate() {
                    if reach[o][c][x] {
                        *count += 1;
                    }
                }
            }
        }
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Expected {
            names,
            index,
            universe,
            finals,
            reach,
            per_node,
            policies,
        }
    }

    /// The index of an origin name.
    pub fn origin(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Key id and class of a record key.
    pub fn key(&self, key: &[u8]) -> Option<(u32, usize)> {
        self.universe
            .ids
            .get(key)
            .map(|id| (*id, self.universe.class[*id as usize] as usize))
    }

    /// Does origin `o`'s entry in `class` reach node `x`?
    pub fn reaches(&self, o: usize, class: usize, x: usize) -> bool {
        self.reach[o][class][x]
    }

    /// Origin `o`'s final entry for key `id`.
    pub fn entry(&self, o: usize, id: u32) -> Option<&Entry> {
        self.finals[o].get(&id)
    }

    /// Distinct records observed by anyone.
    pub fn distinct_records(&self) -> usize {
        let mut all: Vec<u32> = self.finals.iter().flat_map(|m| m.keys().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }

    /// Is `(origin, key)` with this value where node `x` may hold it, and no newer than
    /// the origin ever made it? `None` if fine, else what is wrong.
    pub fn check_held(&self, x: usize, origin: &str, key: &[u8], e: &Entry) -> Option<String> {
        let Some(o) = self.origin(origin) else {
            return Some(format!("entry of unknown origin {origin:?}"));
        };
        let Some((id, class)) = self.key(key) else {
            return Some("a record key no workload generated".into());
        };
        if !self.reaches(o, class, x) {
            return Some(format!(
                "{}'s entry for {} (class {class}) is at {}, which no policy-allowed path reaches",
                origin,
                self.describe(key),
                self.names[x]
            ));
        }
        let Some(fin) = self.entry(o, id) else {
            return Some(format!(
                "{origin} never observed {}, yet {} holds its entry",
                self.describe(key),
                self.names[x]
            ));
        };
        let exceeds = e.time_first < fin.time_first
            || e.time_last > fin.time_last
            || e.count > fin.count
            || e.seq > fin.seq;
        exceeds.then(|| {
            format!(
                "{}'s entry for {} at {} is {e:?}, beyond anything the origin made ({fin:?})",
                origin,
                self.describe(key),
                self.names[x]
            )
        })
    }

    /// A key in presentation form, for messages.
    pub fn describe(&self, key: &[u8]) -> String {
        match hearsay_record::RecordKey::decode(key) {
            Ok(k) => format!("{} A", k.rrname),
            Err(_) => format!("{key:02x?}"),
        }
    }
}
