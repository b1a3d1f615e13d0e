//! The naive baseline: periodic full-state exchange. Every `period` (and as soon as a
//! link comes up) a node sends each partner every entry it holds that the policies let
//! that hop carry, compressed in the protocol's own batch encoding, and merges whatever
//! it receives. No vectors, no logs, no markers: the simplest thing that converges.
//! It runs in the same simulator (same network, faults and workload); it is given the
//! policies as an oracle rather than exchanging them.
//!
//! Frames: `u32 length (BE) | batch` (see `hearsay_sync::batch`).

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use hearsay_record::Sighting;
use hearsay_sync::{ConnId, Mem, MemReplica, Replica, WireEntry, batch};

use crate::checks::Probe;
use crate::expected::Expected;
use crate::node::{Boot, Engine, FrameInfo, Tracked};

const BATCH: usize = 4096;

#[derive(Debug)]
struct Peer {
    peer: usize,
    reader: Vec<u8>,
    out: VecDeque<Vec<u8>>,
    next_round: Duration,
}

/// A node running the baseline.
#[derive(Debug)]
pub struct Baseline {
    node: usize,
    replica: Tracked,
    expected: Rc<Expected>,
    period: Duration,
    peers: BTreeMap<ConnId, Peer>,
}

impl Baseline {
    fn full_state(&self, peer: usize) -> Result<Vec<Vec<u8>>, String> {
        let records = self
            .replica
            .read_records(None, usize::MAX)
            .map_err(|e| e.to_string())?;
        let ex = &self.expected;
        let mut frames = Vec::new();
        let mut entries = Vec::new();
        for (key, origins) in records {
            let Some((_, class)) = ex.key(&key) else {
                continue;
            };
            for (origin, entry) in origins {
                let ok = ex
                    .origin(&origin)
                    .is_some_and(|o| ex.policies.may_send(self.node, peer, o, class));
                if ok {
                    entries.push(WireEntry {
                        key: key.clone(),
                        origin,
                        entry,
                    });
                }
                if entries.len() >= BATCH {
                    frames.push(frame(&mut entries)?);
                }
            }
        }
        if !entries.is_empty() {
            frames.push(frame(&mut entries)?);
        }
        Ok(frames)
    }
}

fn frame(entries: &mut Vec<WireEntry>) -> Result<Vec<u8>, String> {
    let body = batch::encode(entries).map_err(|e| e.to_string())?;
    entries.clear();
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

impl Engine for Baseline {
    fn open(&mut self, conn: ConnId, peer: &str, now: Duration) -> Result<(), String> {
        let peer = self
            .expected
            .origin(peer)
            .ok_or_else(|| format!("unknown peer {peer}"))?;
        self.peers.insert(
            conn,
            Peer {
                peer,
                reader: Vec::new(),
                out: VecDeque::new(),
                next_round: now,
            },
        );
        Ok(())
    }

    fn close(&mut self, conn: ConnId) {
        self.peers.remove(&conn);
    }

    fn handle(&mut self, conn: ConnId, bytes: &[u8], _now: Duration) -> Result<(), String> {
        let p = self
            .peers
            .get_mut(&conn)
            .ok_or_else(|| format!("no connection {conn}"))?;
        p.reader.extend_from_slice(bytes);
        let from = p.peer;
        let mut batches = Vec::new();
        while let Some(len) = p
            .reader
            .first_chunk::<4>()
            .map(|b| u32::from_be_bytes(*b) as usize)
        {
            if p.reader.len() < 4 + len {
                break;
            }
            batches.push(batch::decode(&p.reader[4..4 + len]).map_err(|e| e.to_string())?);
            p.reader.drain(..4 + len);
        }
        let ex = &self.expected;
        for mut entries in batches {
            // What the receiver accepts: the mirror of the sender's rule for this hop.
            entries.retain(|e| {
                ex.origin(&e.origin)
                    .zip(ex.key(&e.key))
                    .is_some_and(|(o, (_, c))| ex.policies.may_send(from, self.node, o, c))
            });
            self.replica
                .apply(entries, &[])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn poll_transmit(&mut self, conn: ConnId, now: Duration) -> Result<Option<Vec<u8>>, String> {
        let Some(p) = self.peers.get_mut(&conn) else {
            return Err(format!("no connection {conn}"));
        };
        if let Some(f) = p.out.pop_front() {
            return Ok(Some(f));
        }
        if now < p.next_round {
            return Ok(None);
        }
        let peer = p.peer;
        let frames = self.full_state(peer)?;
        let period = self.period;
        let Some(p) = self.peers.get_mut(&conn) else {
            return Ok(None);
        };
        p.next_round = now + period;
        p.out.extend(frames);
        Ok(p.out.pop_front())
    }

    fn poll_timeout(&self) -> Option<Duration> {
        self.peers.values().map(|p| p.next_round).min()
    }

    fn observe(&mut self, sightings: &[(Vec<u8>, Sighting)]) {
        self.replica.inner().observe(sightings);
    }

    fn durable(&self) -> Mem {
        self.replica.inner().dump()
    }

    fn inspect(frame: &[u8]) -> FrameInfo {
        FrameInfo {
            kind: "full_state",
            data: true,
            entries: frame
                .get(4..)
                .and_then(|b| batch::decode(b).ok())
                .unwrap_or_default(),
        }
    }
}

/// Boots baseline nodes.
#[derive(Debug)]
pub struct BaselineBoot {
    /// Node names.
    pub names: Vec<String>,
    /// Exchange period.
    pub period: Duration,
    /// Shared probe.
    pub probe: Rc<std::cell::RefCell<Probe>>,
    /// Expected state (policies and checks).
    pub expected: Rc<Expected>,
}

impl Boot for BaselineBoot {
    type E = Baseline;
    fn boot(&self, i: usize, durable: Option<Mem>) -> Result<Baseline, String> {
        let replica = match durable {
            Some(mem) => MemReplica::from_state(mem),
            None => MemReplica::new(&self.names[i]),
        };
        Ok(Baseline {
            node: i,
            replica: Tracked::new(replica, i, self.probe.clone(), self.expected.clone()),
            expected: self.expected.clone(),
            period: self.period,
            peers: BTreeMap::new(),
        })
    }
}
