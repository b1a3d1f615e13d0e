//! The node-level protocol engine: one [`Replicator`] per node holds the sessions of all
//! its connections, the sharing policies and the published restrictions, and talks to
//! the node's database through [`Replica`]. It does no I/O: the driver (the QUIC
//! transport, or the simulator) feeds it received bytes and the time, and takes the
//! frames it wants sent.
//!
//! Outbound, a session streams each origin's log from where the peer said it is (its
//! Hello vector), in batches, and after draining an origin's log up to this node's
//! vector entry for it sends "origin complete to seq N". Catch-up and live push are the
//! same loop; the log is the buffer, so a slow peer costs no memory, it just falls
//! behind. A peer with an empty vector gets a snapshot of the records in key order
//! first (resumable), then the logs from the snapshot's vector.
//!
//! Inbound, entries are merged (the CRDT makes order and duplicates harmless) and
//! markers raise the vector — the global one only when the sender's view of that origin
//! covers everything this node may see of it (the origin itself, or a relay no sharing
//! rule restricts more than this node), and always the per-peer resume point.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use hearsay_record::Name;
use serde::Serialize;

use crate::batch::{self, WireEntry};
use crate::message::{Message, Resume, Vector};
use crate::policy::{PeerPolicy, Restrictions, Rules, key_within};
use crate::replica::{Applied, LogCursor, Replica, ReplicaError};
use crate::session::{InSnapshot, OutCursor, Phase, Session, SessionStats};
use crate::{ProtocolError, SyncError};

/// Bytes a batch (snapshot or log) may hold before compression, at most (half of what
/// a receiver accepts: the estimate below is generous, not exact).
const BATCH_BYTES: usize = batch::MAX_BATCH_BYTES / 2;
/// Bytes one origin's entry takes in a batch, at most (origin index and four varints).
const ENTRY_BYTES: usize = 48;

/// Keeps the items that fit in one batch by `size` (at least one): a receiver refuses
/// a batch that decodes to more than `MAX_BATCH_BYTES`, so records with large rdata go
/// in smaller batches. Returns whether any were left out.
fn fit_in_batch<T>(items: &mut Vec<T>, size: impl Fn(&T) -> usize) -> bool {
    let mut bytes = 0usize;
    let fit = items.iter().position(|item| {
        bytes += size(item);
        bytes > BATCH_BYTES
    });
    let keep = fit.map_or(items.len(), |f| f.max(1));
    let left_out = keep < items.len();
    items.truncate(keep);
    left_out
}

/// A connection's id, chosen by the driver.
pub type ConnId = u64;

/// The longest a driver should go without polling every connection.
pub const TICK: Duration = Duration::from_millis(100);

/// Tuning of the protocol engine.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// The partners and how each is treated.
    pub peers: Vec<PeerPolicy>,
    /// Entries per log batch.
    pub batch_entries: usize,
    /// Records per snapshot batch.
    pub snapshot_records: usize,
    /// Bytes of received snapshot entries held before they are written at once (a
    /// store writes such a batch as whole tables, see [`Replica::apply_snapshot`]).
    /// Entries held are written when the connection closes; a crash loses them, and the
    /// stream resumes after the last entries written.
    pub snapshot_apply_bytes: usize,
    /// How long new data may wait to be pushed with more (live push batching).
    pub push_interval: Duration,
    /// How long a relay holds back an origin's updates from a peer that is also a
    /// partner of that origin (so the direct copy usually arrives first and the relay's
    /// is skipped; if the origin is unreachable, the relay's copy follows).
    pub relay_delay: Duration,
    /// Snapshots served at once; further peers wait for a slot.
    pub max_snapshots: usize,
    /// Batches a session may have queued before it stops producing more (the driver
    /// also bounds the bytes it buffers per peer).
    pub max_queued_frames: usize,
    /// Zones this node withholds from nodes that need not be its partners (its records
    /// there never reach them through anyone): zone and node names, none = everyone.
    pub withhold: Vec<(Name, Vec<String>)>,
}

impl SyncConfig {
    /// Defaults for the given partners.
    pub fn new(peers: Vec<PeerPolicy>) -> Self {
        SyncConfig {
            peers,
            batch_entries: 4096,
            snapshot_records: 4096,
            snapshot_apply_bytes: 32 << 20,
            push_interval: Duration::from_millis(50),
            relay_delay: Duration::from_millis(500),
            max_snapshots: 2,
            max_queued_frames: 4,
            withhold: Vec::new(),
        }
    }
}

/// Node-level counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplicatorStats {
    /// Sessions opened.
    pub sessions_opened: u64,
    /// Connections refused (not a partner).
    pub refused: u64,
    /// Sessions ended because the peer broke the protocol, by reason.
    pub violations: BTreeMap<String, u64>,
    /// Entries received and merged (changed something).
    pub entries_applied: u64,
}

/// A peer as `hearsay peers` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus {
    /// The partner's name.
    pub name: String,
    /// Connected now?
    pub connected: bool,
    /// Session phase, if connected.
    pub phase: Option<Phase>,
    /// What the peer has, as far as we know (its Hello plus what we sent since).
    pub peer_vector: Vector,
    /// Where we resume receiving from it (its markers).
    pub received: Vector,
    /// Updates (seqs) we hold that it lacks, over the origins we send it.
    pub lag_updates: u64,
    /// Seconds since data for it has been waiting, if any is.
    pub lag_seconds: Option<f64>,
    /// Seconds the current connection has been up.
    pub connected_seconds: Option<f64>,
    /// Session counters.
    pub stats: SessionStats,
}

/// The protocol engine of one node.
#[derive(Debug)]
pub struct Replicator<R: Replica> {
    replica: R,
    local: String,
    config: SyncConfig,
    // Ordered maps, not hash maps: the engine iterates over them to queue frames (the
    // policies after a Hello, relayed documents, Have messages), and its output must
    // depend on its input only, not on a per-process hash seed, or a seeded simulation
    // cannot be replayed.
    sessions: BTreeMap<ConnId, Session>,
    restrictions: BTreeMap<String, Restrictions>,
    rules: BTreeMap<String, Rules>,
    snapshot_slots: BTreeSet<ConnId>,
    /// The snapshot write in flight (see [`Replica::start_snapshot_write`]): the session
    /// whose entries it writes, and the key its stream's resume point moves to.
    writing: Option<(ConnId, Option<Vec<u8>>)>,
    stats: ReplicatorStats,
    /// Last session counters of partners no longer connected.
    last_seen: BTreeMap<String, SessionStats>,
}

const STATE_POLICY: &str = "policy/";
const STATE_VIA: &str = "via/";
const STATE_SNAPSHOT: &str = "snapshot-in/";
/// The origins this node holds policy documents for (so that a restart loads them all,
/// not only those of origins in its vector).
const STATE_ORIGINS: &str = "origins";

impl<R: Replica> Replicator<R> {
    /// An engine over `replica` with `config`. Publishes this node's own restrictions
    /// (from the partners' withheld zones) and loads those it holds for other origins.
    pub fn new(replica: R, config: SyncConfig) -> Result<Self, SyncError> {
        let local = replica.local_origin();
        let mut me = Replicator {
            replica,
            local: local.clone(),
            config,
            sessions: BTreeMap::new(),
            restrictions: BTreeMap::new(),
            rules: BTreeMap::new(),
            snapshot_slots: BTreeSet::new(),
            writing: None,
            stats: ReplicatorStats::default(),
            last_seen: BTreeMap::new(),
        };
        let mut origins: Vec<String> = me
            .replica
            .vector()
            .into_keys()
            .chain([local.clone()])
            .collect();
        if let Some(bytes) = me.replica.state(STATE_ORIGINS)?
            && let Ok(known) = postcard::from_bytes::<Vec<String>>(&bytes)
        {
            origins.extend(known);
            origins.sort_unstable();
            origins.dedup();
        }
        for origin in origins {
            if let Some(bytes) = me.replica.state(&format!("{STATE_POLICY}{origin}"))?
                && let Ok(doc) = Restrictions::load(&bytes)
            {
                me.rules.insert(origin.clone(), doc.rules());
                me.restrictions.insert(origin, doc);
            }
        }
        let own_rules = Rules::from_config(&me.config.peers, &me.config.withhold);
        let doc = me.restrictions.entry(local.clone()).or_default();
        if doc.set(&own_rules)
            || me
                .replica
                .state(&format!("{STATE_POLICY}{local}"))?
                .is_none()
        {
            let bytes = doc.save();
            me.replica
                .set_state(&format!("{STATE_POLICY}{local}"), Some(&bytes))?;
        }
        me.rules.insert(local, own_rules);
        Ok(me)
    }

    /// The database.
    pub fn replica(&self) -> &R {
        &self.replica
    }

    /// Counters.
    pub fn stats(&self) -> &ReplicatorStats {
        &self.stats
    }

    /// The configured partner named `name`.
    pub fn partner(&self, name: &str) -> Option<&PeerPolicy> {
        self.config.peers.iter().find(|p| p.name == name)
    }

    /// A connection to `peer` (its identity verified by the transport) is up.
    pub fn open(&mut self, conn: ConnId, peer: &str, now: Duration) -> Result<(), SyncError> {
        let Some(policy) = self.partner(peer).cloned() else {
            self.stats.refused += 1;
            return Err(SyncError::Protocol(ProtocolError::NotAPartner(
                peer.to_owned(),
            )));
        };
        let via = self.load_via(peer)?;
        let in_snapshot = match self.replica.state(&format!("{STATE_SNAPSHOT}{peer}"))? {
            Some(bytes) => postcard::from_bytes::<InSnapshot>(&bytes).ok(),
            None => None,
        };
        let mut session = Session::new(policy, via.clone(), in_snapshot, now);
        // Ask from where we have it: the better of what we hold for sure and what this
        // peer already sent us.
        let mut vector = self.replica.vector();
        for (origin, seq) in via {
            let v = vector.entry(origin).or_default();
            *v = (*v).max(seq);
        }
        let resume = session
            .in_snapshot
            .as_ref()
            .and_then(|s| s.after.clone())
            .map(|after| Resume { after });
        let direct = self.config.peers.iter().map(|p| p.name.clone()).collect();
        session.queue(&Message::Hello {
            origin: self.local.clone(),
            vector,
            resume,
            wants_relayed: session.peer.accept_relayed,
            direct,
        });
        self.stats.sessions_opened += 1;
        tracing::info!(peer, conn, "replication session opened");
        self.sessions.insert(conn, session);
        Ok(())
    }

    /// The connection is gone.
    pub fn close(&mut self, conn: ConnId) {
        // What this peer sent is valid whatever ended the connection: keep it.
        if let Err(e) = self.flush_snapshot(conn) {
            tracing::warn!(conn, error = %e, "could not write the snapshot entries received");
        }
        let in_snapshot = self
            .sessions
            .get(&conn)
            .is_some_and(|s| s.in_snapshot.as_ref().is_some_and(|s| s.begun));
        if in_snapshot {
            match self.replica.end_snapshot() {
                Ok(applied) => self.applied(conn, applied),
                Err(e) => {
                    tracing::warn!(conn, error = %e, "could not finish the snapshot entries received");
                }
            }
        }
        self.snapshot_slots.remove(&conn);
        if let Some(s) = self.sessions.remove(&conn) {
            tracing::info!(peer = %s.peer.name, conn, "replication session closed");
            self.last_seen.insert(s.peer.name.clone(), s.stats);
        }
    }

    /// Bytes received on a connection. On an error the driver must close it (and call
    /// [`Replicator::close`]); protocol violations are counted.
    pub fn handle(&mut self, conn: ConnId, bytes: &[u8], _now: Duration) -> Result<(), SyncError> {
        let result = self.handle_inner(conn, bytes);
        if let Err(SyncError::Protocol(e)) = &result {
            *self
                .stats
                .violations
                .entry(e.kind().to_owned())
                .or_default() += 1;
            if let Some(s) = self.sessions.get(&conn) {
                tracing::warn!(peer = %s.peer.name, error = %e, "peer broke the protocol; disconnecting");
            }
        }
        result
    }

    fn handle_inner(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), SyncError> {
        self.check_stream(conn)?;
        let session = self
            .sessions
            .get_mut(&conn)
            .ok_or(SyncError::UnknownConnection(conn))?;
        session.reader.push(bytes);
        session.stats.bytes_in += bytes.len() as u64;
        loop {
            let session = self
                .sessions
                .get_mut(&conn)
                .ok_or(SyncError::UnknownConnection(conn))?;
            let Some(message) = session.reader.next_message()? else {
                return Ok(());
            };
            self.on_message(conn, message)?;
        }
    }

    fn on_message(&mut self, conn: ConnId, message: Message) -> Result<(), SyncError> {
        let session = self
            .sessions
            .get_mut(&conn)
            .ok_or(SyncError::UnknownConnection(conn))?;
        let peer = session.peer.clone();
        match message {
            Message::Hello {
                vector,
                resume,
                wants_relayed,
                direct,
                ..
            } => {
                if session.phase != Phase::AwaitHello {
                    return Err(ProtocolError::Unexpected("a second hello").into());
                }
                session.peer_direct = direct.into_iter().collect();
                session.peer_vector = vector;
                session.peer_wants_relayed = wants_relayed;
                self.after_hello(conn, resume)?;
            }
            Message::Policy { origin, doc } => {
                peer.check_origin(&origin)?;
                let mut incoming = Restrictions::load(&doc)?;
                let changed = match self.restrictions.get_mut(&origin) {
                    Some(mine) => mine.merge(&mut incoming)?,
                    None => {
                        self.restrictions.insert(origin.clone(), incoming);
                        true
                    }
                };
                if changed && origin != self.local {
                    self.policy_changed(&origin, conn)?;
                }
            }
            Message::Entries { batch } => {
                self.ensure_started(conn)?;
                let entries = self.accept_batch(conn, &peer, &batch)?;
                self.apply(conn, entries, &[])?;
            }
            Message::Complete { origin, seq } => {
                self.ensure_started(conn)?;
                peer.check_origin(&origin)?;
                self.on_marker(conn, &origin, seq)?;
            }
            Message::SnapshotBegin { vector } => {
                self.ensure_started(conn)?;
                let s = session_mut(&mut self.sessions, conn)?;
                let snap = s.in_snapshot.get_or_insert_with(InSnapshot::default);
                if snap.begun {
                    return Err(ProtocolError::Unexpected("a second snapshot").into());
                }
                // A resumed stream is complete only to the lower of its parts' vectors.
                if snap.after.is_some() {
                    snap.vector = snap
                        .vector
                        .iter()
                        .map(|(o, v)| (o.clone(), (*v).min(vector.get(o).copied().unwrap_or(0))))
                        .collect();
                } else {
                    snap.vector = vector;
                }
                snap.begun = true;
                self.persist_in_snapshot(conn)?;
            }
            Message::SnapshotEntries { batch } => {
                let s = session_mut(&mut self.sessions, conn)?;
                let Some(snap) = s.in_snapshot.as_ref().filter(|s| s.begun) else {
                    return Err(
                        ProtocolError::Unexpected("snapshot records outside a snapshot").into(),
                    );
                };
                let after = snap.received.clone().or_else(|| snap.after.clone());
                let entries = self.accept_batch(conn, &peer, &batch)?;
                // Keys in order (a record's entries share one), all after what came before.
                let in_order = entries.windows(2).all(|w| w[0].key <= w[1].key)
                    && match (&after, entries.first()) {
                        (Some(a), Some(first)) => first.key >= *a,
                        _ => true,
                    };
                if !in_order {
                    return Err(ProtocolError::SnapshotOrder.into());
                }
                let last = entries.last().map(|e| e.key.clone()).or(after);
                let s = session_mut(&mut self.sessions, conn)?;
                s.stats.snapshot_records_in += entries.len() as u64;
                let Some(snap) = s.in_snapshot.as_mut() else {
                    return Ok(());
                };
                if last.is_some() {
                    snap.received = last;
                }
                snap.pending_bytes += entries
                    .iter()
                    .map(|e| e.key.len() + e.origin.len() + std::mem::size_of::<WireEntry>())
                    .sum::<usize>();
                snap.pending.push(entries);
                if snap.pending_bytes >= self.config.snapshot_apply_bytes {
                    self.write_snapshot(conn)?;
                }
            }
            Message::SnapshotEnd => {
                self.flush_snapshot(conn)?;
                let s = session_mut(&mut self.sessions, conn)?;
                let Some(snap) = s.in_snapshot.take().filter(|s| s.begun) else {
                    return Err(ProtocolError::Unexpected("snapshot end outside a snapshot").into());
                };
                // Before the markers: the vector covers the snapshot only once all its
                // rows are where readers look.
                let applied = self.replica.end_snapshot()?;
                self.applied(conn, applied);
                for (origin, seq) in snap.vector {
                    if peer.check_origin(&origin).is_ok() {
                        self.on_marker(conn, &origin, seq)?;
                    }
                }
                self.replica
                    .set_state(&format!("{STATE_SNAPSHOT}{}", peer.name), None)?;
                tracing::info!(peer = %peer.name, "snapshot received");
            }
            Message::Have { origin, seq } => {
                self.ensure_started(conn)?;
                // Skip what the peer already holds (only ever forward: entries after
                // the cursor are still sent).
                let s = session_mut(&mut self.sessions, conn)?;
                if let Some(out) = s.out.get_mut(&origin) {
                    if out.cursor.seq <= seq {
                        out.cursor = LogCursor::after_seq(seq);
                    }
                    out.marked = out.marked.max(seq);
                } else {
                    s.out.insert(origin.clone(), OutCursor::after(seq));
                }
                let pv = s.peer_vector.entry(origin).or_default();
                *pv = (*pv).max(seq);
            }
            Message::Goodbye { reason } => {
                return Err(SyncError::Closed(reason));
            }
        }
        Ok(())
    }

    fn ensure_started(&self, conn: ConnId) -> Result<(), SyncError> {
        match self.sessions.get(&conn) {
            Some(s) if s.phase == Phase::AwaitHello => {
                Err(ProtocolError::Unexpected("data before hello").into())
            }
            Some(_) => Ok(()),
            None => Err(SyncError::UnknownConnection(conn)),
        }
    }

    /// Decodes a batch, checks every origin the peer may speak for, and drops entries
    /// their origin withholds from this node.
    fn accept_batch(
        &mut self,
        conn: ConnId,
        peer: &PeerPolicy,
        bytes: &[u8],
    ) -> Result<Vec<WireEntry>, SyncError> {
        let mut entries = batch::decode(bytes)?;
        for e in &entries {
            peer.check_origin(&e.origin)?;
        }
        let before = entries.len();
        let local = self.local.clone();
        entries.retain(|e| {
            self.rules
                .get(e.origin.as_str())
                .is_none_or(|r| r.allows(&e.key, &local))
        });
        let s = session_mut(&mut self.sessions, conn)?;
        s.stats.batch_bytes_in += bytes.len() as u64;
        s.stats.entries_in += entries.len() as u64;
        s.stats.withheld_in += (before - entries.len()) as u64;
        Ok(entries)
    }

    fn apply(
        &mut self,
        conn: ConnId,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<(), SyncError> {
        if entries.is_empty() && complete.is_empty() {
            return Ok(());
        }
        let applied = self.replica.apply(entries, complete)?;
        self.applied(conn, applied);
        Ok(())
    }

    /// Starts writing the snapshot entries held for `conn` (after the write in flight,
    /// if any, is finished). Its resume point moves past them once they are written.
    fn write_snapshot(&mut self, conn: ConnId) -> Result<(), SyncError> {
        self.finish_write();
        self.check_stream(conn)?;
        let Some(snap) = self
            .sessions
            .get_mut(&conn)
            .and_then(|s| s.in_snapshot.as_mut())
        else {
            return Ok(());
        };
        if snap.pending.is_empty() {
            return Ok(());
        }
        let entries = std::mem::take(&mut snap.pending);
        snap.pending_bytes = 0;
        let received = snap.received.clone();
        match self.replica.start_snapshot_write(entries)? {
            Some(applied) => self.written(conn, applied, received),
            None => {
                self.writing = Some((conn, received));
                Ok(())
            }
        }
    }

    /// Writes everything received of `conn`'s snapshot and waits until it is written.
    fn flush_snapshot(&mut self, conn: ConnId) -> Result<(), SyncError> {
        self.write_snapshot(conn)?;
        self.finish_write();
        self.check_stream(conn)
    }

    /// Waits for the snapshot write in flight, if any, and accounts for it. A failure
    /// fails the stream that sent the entries (its session ends at its next turn, see
    /// [`Self::check_stream`]), whichever session's turn this is.
    fn finish_write(&mut self) {
        let Some((conn, received)) = self.writing.take() else {
            return;
        };
        let result = self
            .replica
            .wait_snapshot_write()
            .map_err(SyncError::from)
            .and_then(|applied| self.written(conn, applied, received));
        if let Err(e) = result
            && let Some(snap) = self
                .sessions
                .get_mut(&conn)
                .and_then(|s| s.in_snapshot.as_mut())
        {
            tracing::warn!(conn, error = %e, "could not write the snapshot entries received");
            snap.failed = Some(e.to_string());
        }
    }

    /// A snapshot write of `conn`'s finished: its report, and the stream's resume point
    /// moves past the last key it wrote.
    fn written(
        &mut self,
        conn: ConnId,
        applied: Applied,
        received: Option<Vec<u8>>,
    ) -> Result<(), SyncError> {
        self.applied(conn, applied);
        if let Some(snap) = self
            .sessions
            .get_mut(&conn)
            .and_then(|s| s.in_snapshot.as_mut())
        {
            snap.after = received;
        }
        self.persist_in_snapshot(conn)
    }

    /// Fails a session whose snapshot stream could not be written (it resumes after the
    /// last batch written, on a new connection).
    fn check_stream(&self, conn: ConnId) -> Result<(), SyncError> {
        let failed = self
            .sessions
            .get(&conn)
            .and_then(|s| s.in_snapshot.as_ref())
            .and_then(|s| s.failed.clone());
        match failed {
            Some(why) => Err(ReplicaError(why).into()),
            None => Ok(()),
        }
    }

    /// Accounts for an apply: counters, and rewinds of the log readers it concerns.
    fn applied(&mut self, conn: ConnId, applied: Applied) {
        self.stats.entries_applied += applied.changed;
        if let Some(s) = self.sessions.get_mut(&conn) {
            s.stats.duplicates_in += applied.duplicates;
        }
        // Other sessions that already read past these seqs must read them again.
        for (origin, seq) in applied.lowest_changed {
            for (id, s) in self.sessions.iter_mut() {
                if *id == conn {
                    continue;
                }
                if let Some(out) = s.out.get_mut(&origin) {
                    out.rewind(seq);
                }
            }
        }
        // Lines a bulk load staged, readable only now: every session that passed them
        // reads them, the one that sent them too, but not what its peer already holds
        // (its vector: what it said it has, and what this node marked complete, which
        // never covered staged lines).
        for (origin, seq) in applied.readable {
            for s in self.sessions.values_mut() {
                let held = s.peer_vector.get(&origin).copied().unwrap_or(0);
                if let Some(out) = s.out.get_mut(&origin) {
                    out.rewind(seq.max(held.saturating_add(1)));
                }
            }
        }
    }

    /// "origin complete to seq" from `conn`'s peer.
    fn on_marker(&mut self, conn: ConnId, origin: &str, seq: u64) -> Result<(), SyncError> {
        let s = session_mut(&mut self.sessions, conn)?;
        s.stats.markers_in += 1;
        let peer = s.peer.name.clone();
        let via = s.via.entry(origin.to_owned()).or_default();
        if seq > *via {
            *via = seq;
            let bytes = postcard::to_stdvec(&s.via).unwrap_or_default();
            self.replica
                .set_state(&format!("{STATE_VIA}{peer}"), Some(&bytes))?;
        }
        if self.covers(&peer, origin) {
            let before = self.replica.vector().get(origin).copied().unwrap_or(0);
            self.apply(conn, Vec::new(), &[(origin.to_owned(), seq)])?;
            if seq > before {
                self.announce(conn, origin, seq);
            }
        }
        Ok(())
    }

    /// Tells the other peers that send us `origin` that we now hold it up to `seq`, so
    /// that they do not send it again.
    fn announce(&mut self, from: ConnId, origin: &str, seq: u64) {
        for (id, s) in self.sessions.iter_mut() {
            if *id == from || s.phase == Phase::AwaitHello || s.peer.check_origin(origin).is_err() {
                continue;
            }
            if s.via.get(origin).copied().unwrap_or(0) < seq {
                s.queue(&Message::Have {
                    origin: origin.to_owned(),
                    seq,
                });
            }
        }
    }

    /// Does everything `sender` can have of `origin` and send here include everything
    /// this node may see of it? True for the origin itself; for a relay, when no rule
    /// (the origin's for the relay, the relay's for this node) withholds a zone the
    /// origin does not also withhold from this node.
    fn covers(&self, sender: &str, origin: &str) -> bool {
        if sender == origin {
            return true;
        }
        let denied = |rules: Option<&Rules>, node: &str| -> Vec<Name> {
            rules.map(|r| r.denied_to(node)).unwrap_or_default()
        };
        let mine = denied(self.rules.get(origin), &self.local);
        let lost: Vec<Name> = denied(self.rules.get(origin), sender)
            .into_iter()
            .chain(denied(self.rules.get(sender), &self.local))
            .collect();
        lost.iter().all(|z| mine.iter().any(|m| z.is_within(m)))
    }

    fn persist_in_snapshot(&mut self, conn: ConnId) -> Result<(), SyncError> {
        let s = session_mut(&mut self.sessions, conn)?;
        if let Some(snap) = &s.in_snapshot {
            let bytes = postcard::to_stdvec(snap).unwrap_or_default();
            let name = format!("{STATE_SNAPSHOT}{}", s.peer.name);
            self.replica.set_state(&name, Some(&bytes))?;
        }
        Ok(())
    }

    fn load_via(&self, peer: &str) -> Result<Vector, SyncError> {
        Ok(match self.replica.state(&format!("{STATE_VIA}{peer}"))? {
            Some(bytes) => postcard::from_bytes(&bytes).unwrap_or_default(),
            None => Vector::new(),
        })
    }

    /// A relayed origin's restrictions changed: remember them and pass them on.
    fn policy_changed(&mut self, origin: &str, from: ConnId) -> Result<(), SyncError> {
        let Some(doc) = self.restrictions.get_mut(origin) else {
            return Ok(());
        };
        let bytes = doc.save();
        self.rules.insert(origin.to_owned(), doc.rules());
        self.replica
            .set_state(&format!("{STATE_POLICY}{origin}"), Some(&bytes))?;
        let mut known: Vec<&String> = self.restrictions.keys().collect();
        known.sort_unstable();
        let list = postcard::to_stdvec(&known).unwrap_or_default();
        self.replica.set_state(STATE_ORIGINS, Some(&list))?;
        let local = self.local.clone();
        for (id, s) in self.sessions.iter_mut() {
            if *id != from && s.phase != Phase::AwaitHello && s.sends_origin(origin, &local) {
                s.queue(&Message::Policy {
                    origin: origin.to_owned(),
                    doc: bytes.clone(),
                });
            }
        }
        Ok(())
    }

    /// The peer's Hello arrived: send our policies, then a snapshot or the logs.
    fn after_hello(&mut self, conn: ConnId, resume: Option<Resume>) -> Result<(), SyncError> {
        let local = self.local.clone();
        let docs: Vec<(String, Vec<u8>)> = self
            .restrictions
            .iter_mut()
            .map(|(o, d)| (o.clone(), d.save()))
            .collect();
        let vector = self.replica.vector();
        let empty = self.replica.is_empty()?;
        let s = session_mut(&mut self.sessions, conn)?;
        for (origin, doc) in docs {
            if s.sends_origin(&origin, &local) || origin == local {
                s.queue(&Message::Policy { origin, doc });
            }
        }
        let knows_nothing = vector
            .keys()
            .filter(|o| s.sends_origin(o, &local))
            .all(|o| s.peer_vector.get(o).copied().unwrap_or(0) == 0);
        if resume.is_some() || (knows_nothing && !empty) {
            s.phase = Phase::QueuedForSnapshot;
            s.out_snapshot = Some((resume.map(|r| r.after), Vector::new()));
        } else {
            s.phase = Phase::Streaming;
        }
        Ok(())
    }

    /// The next frame to send on `conn`, if any is due. Call until `None` whenever the
    /// connection can take more (after `handle`, on timeouts, after local commits).
    pub fn poll_transmit(
        &mut self,
        conn: ConnId,
        now: Duration,
    ) -> Result<Option<Vec<u8>>, SyncError> {
        self.check_stream(conn)?;
        loop {
            let s = session_mut(&mut self.sessions, conn)?;
            if let Some(frame) = s.outbox.pop_front() {
                return Ok(Some(frame));
            }
            let produced = match s.phase {
                Phase::AwaitHello => false,
                Phase::QueuedForSnapshot => self.start_snapshot(conn)?,
                Phase::SendingSnapshot => self.snapshot_step(conn)?,
                Phase::Streaming => self.stream_step(conn, now)?,
            };
            if !produced {
                return Ok(None);
            }
        }
    }

    fn start_snapshot(&mut self, conn: ConnId) -> Result<bool, SyncError> {
        if !self.snapshot_slots.contains(&conn)
            && self.snapshot_slots.len() >= self.config.max_snapshots
        {
            return Ok(false);
        }
        self.snapshot_slots.insert(conn);
        // The vector is read before the records: every record read later is at least as
        // new as this vector says.
        let vector = self.replica.vector();
        let local = self.local.clone();
        let s = session_mut(&mut self.sessions, conn)?;
        let sendable: Vector = vector
            .into_iter()
            .filter(|(o, _)| s.sends_origin(o, &local))
            .collect();
        s.queue(&Message::SnapshotBegin {
            vector: sendable.clone(),
        });
        if let Some(snap) = s.out_snapshot.as_mut() {
            snap.1 = sendable;
        }
        s.phase = Phase::SendingSnapshot;
        tracing::info!(peer = %s.peer.name, "sending a snapshot");
        Ok(true)
    }

    fn snapshot_step(&mut self, conn: ConnId) -> Result<bool, SyncError> {
        let max = self.config.snapshot_records;
        let (after, vector) = {
            let s = session_mut(&mut self.sessions, conn)?;
            s.out_snapshot.clone().unwrap_or_default()
        };
        let mut records = self.replica.read_records(after.as_deref(), max)?;
        let full = records.len() >= max;
        let cut = fit_in_batch(&mut records, |(key, origins)| {
            key.len() + ENTRY_BYTES * origins.len()
        });
        let done = !full && !cut;
        let last = records.last().map(|(k, _)| k.clone());
        let local = self.local.clone();
        let mut entries = Vec::new();
        let mut withheld = 0u64;
        {
            let s = session_mut(&mut self.sessions, conn)?;
            for (key, origins) in records {
                let first = entries.len();
                for (origin, entry) in origins {
                    if s.sends_origin(&origin, &local)
                        && allowed(&self.rules, &s.peer, &origin, &key)
                    {
                        entries.push(WireEntry {
                            key: Vec::new(),
                            origin,
                            entry,
                        });
                    } else {
                        withheld += 1;
                    }
                }
                // The record's last entry takes its key; only the others copy it.
                if let Some((last, others)) = entries[first..].split_last_mut() {
                    for e in others {
                        e.key = key.clone();
                    }
                    last.key = key;
                }
            }
        }
        let s = session_mut(&mut self.sessions, conn)?;
        s.stats.withheld_out += withheld;
        if !entries.is_empty() {
            s.stats.snapshot_records_out += entries.len() as u64;
            s.stats.entries_out += entries.len() as u64;
            let batch = batch::encode_snapshot(&mut entries).map_err(SyncError::Compress)?;
            s.stats.batch_bytes_out += batch.len() as u64;
            s.queue(&Message::SnapshotEntries { batch });
        }
        if let (Some(snap), Some(k)) = (s.out_snapshot.as_mut(), last) {
            snap.0 = Some(k);
        }
        if done {
            s.queue(&Message::SnapshotEnd);
            s.out_snapshot = None;
            for (origin, seq) in vector {
                s.out.insert(origin.clone(), OutCursor::after(seq));
                let pv = s.peer_vector.entry(origin).or_default();
                *pv = (*pv).max(seq);
            }
            s.phase = Phase::Streaming;
            self.snapshot_slots.remove(&conn);
            tracing::info!(peer = %s.peer.name, "snapshot sent");
        }
        Ok(true)
    }

    /// One step of streaming the logs: the next batch of some origin that has unsent
    /// lines, and its completion marker once its log is drained.
    fn stream_step(&mut self, conn: ConnId, now: Duration) -> Result<bool, SyncError> {
        let mut vector = self.replica.vector();
        // Origins this node holds records of without a vector entry (it only gets them
        // through relays whose view does not cover its own) are relayed too: their log
        // lines go out, never a marker (the target stays 0). Every such origin's policy
        // document arrived before its first entry, so `restrictions` names them all.
        for origin in self.restrictions.keys() {
            if !vector.contains_key(origin) {
                vector.insert(origin.clone(), 0);
            }
        }
        let local = self.local.clone();
        let push_interval = self.config.push_interval;
        let max = self.config.batch_entries;
        let s = session_mut(&mut self.sessions, conn)?;
        if s.outbox.len() >= self.config.max_queued_frames {
            return Ok(false);
        }
        let origins: Vec<(String, u64)> = vector
            .into_iter()
            .filter(|(o, _)| s.sends_origin(o, &local))
            .collect();
        // Origins with something unsent: updates past the last marker, or log lines
        // that may lie past the cursor. Each waits a little before it goes: a fresh
        // update for more to push together (not when far behind, nor the backlog the
        // peer's Hello revealed: a catch-up starts in the first reply); an origin the peer
        // also gets directly from its origin, long enough for that copy to arrive first.
        let relay_delay = self.config.relay_delay;
        let mut due: Vec<(String, u64)> = Vec::new();
        let mut wake: Option<Duration> = None;
        for (o, v) in origins {
            let out = s
                .out
                .entry(o.clone())
                .or_insert_with(|| OutCursor::after(s.peer_vector.get(&o).copied().unwrap_or(0)));
            if v <= out.marked && !out.dirty {
                out.due_since = None;
                continue;
            }
            let since = *out.due_since.get_or_insert(now);
            let wait = if o != local && s.peer_direct.contains(&o) {
                relay_delay
            } else if v.saturating_sub(out.marked) > 1 || !out.caught_up {
                Duration::ZERO
            } else {
                push_interval
            };
            if now >= since + wait {
                due.push((o, v));
            } else {
                wake = Some(wake.map_or(since + wait, |w: Duration| w.min(since + wait)));
            }
        }
        s.wake_at = wake;
        if due.is_empty() {
            return Ok(false);
        }
        let (origin, target) = due[s.next_origin % due.len()].clone();
        s.next_origin = s.next_origin.wrapping_add(1);
        let cursor = s
            .out
            .get(&origin)
            .map(|c| c.cursor.clone())
            .unwrap_or(LogCursor::after_seq(0));
        let mut lines = self.replica.read_log(&origin, &cursor, None, max)?;
        let full = lines.len() >= max;
        let cut = fit_in_batch(&mut lines, |(_, e)| e.key.len() + ENTRY_BYTES);
        let drained = !full && !cut;
        let s = session_mut(&mut self.sessions, conn)?;
        let mut entries = Vec::with_capacity(lines.len());
        let mut withheld = 0u64;
        let mut next = cursor;
        for (seq, e) in lines {
            next = LogCursor {
                seq,
                after_key: Some(e.key.clone()),
            };
            if allowed(&self.rules, &s.peer, &origin, &e.key) {
                entries.push(e);
            } else {
                withheld += 1;
            }
        }
        s.stats.withheld_out += withheld;
        if !entries.is_empty() {
            s.stats.entries_out += entries.len() as u64;
            let batch = batch::encode(&mut entries).map_err(SyncError::Compress)?;
            s.stats.batch_bytes_out += batch.len() as u64;
            s.queue(&Message::Entries { batch });
        }
        let out = s
            .out
            .entry(origin.clone())
            .or_insert_with(|| OutCursor::after(0));
        out.cursor = next;
        if drained {
            out.dirty = false;
            out.due_since = None;
            out.caught_up = true;
        }
        if drained && target > out.marked {
            // Every line up to `target` (read before the log) has been sent.
            out.marked = target;
            s.queue(&Message::Complete {
                origin: origin.clone(),
                seq: target,
            });
            s.stats.markers_out += 1;
            let pv = s.peer_vector.entry(origin).or_default();
            *pv = (*pv).max(target);
        }
        // Progress either way: a frame queued, more lines to read, or this origin found
        // drained and no longer due. Telling the caller "nothing more" here, when the
        // step only found an origin up to date, left the other due origins waiting for
        // the next tick each — after a reconnect, one tick per origin before the local
        // origin's news went out — and while they waited no timer was set, so a driver
        // (the simulator, seed 853) could see the node as idle with data due.
        Ok(true)
    }

    /// When the driver should call [`Replicator::poll_transmit`] again even without
    /// new input (live push batching). Drivers also poll every connection at least every
    /// [`TICK`], which serves sessions waiting for a snapshot slot and notices local
    /// commits.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.sessions.values().filter_map(|s| s.wake_at).min()
    }

    /// Connections with frames queued or data due.
    pub fn connections(&self) -> Vec<ConnId> {
        let mut ids: Vec<ConnId> = self.sessions.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The partner of a connection.
    pub fn peer_of(&self, conn: ConnId) -> Option<&str> {
        self.sessions.get(&conn).map(|s| s.peer.name.as_str())
    }

    /// Every configured partner and its state.
    pub fn peers(&self, now: Duration) -> Vec<PeerStatus> {
        let vector = self.replica.vector();
        self.config
            .peers
            .iter()
            .map(|p| {
                let session = self.sessions.values().find(|s| s.peer.name == p.name);
                let (peer_vector, received, stats, phase, pending) = match session {
                    Some(s) => (
                        s.peer_vector.clone(),
                        s.via.clone(),
                        s.stats.clone(),
                        Some(s.phase),
                        s.out.values().filter_map(|c| c.due_since).min(),
                    ),
                    None => (
                        Vector::new(),
                        self.load_via(&p.name).unwrap_or_default(),
                        self.last_seen.get(&p.name).cloned().unwrap_or_default(),
                        None,
                        None,
                    ),
                };
                let connected_seconds =
                    session.map(|s| now.saturating_sub(s.opened_at).as_secs_f64());
                let lag_updates = vector
                    .iter()
                    .filter(|(o, _)| session.is_some_and(|s| s.sends_origin(o, &self.local)))
                    .map(|(o, v)| v.saturating_sub(peer_vector.get(o).copied().unwrap_or(0)))
                    .sum();
                PeerStatus {
                    name: p.name.clone(),
                    connected: session.is_some(),
                    phase,
                    peer_vector,
                    received,
                    lag_updates,
                    lag_seconds: pending.map(|t| now.saturating_sub(t).as_secs_f64()),
                    connected_seconds,
                    stats,
                }
            })
            .collect()
    }
}

/// May `key` of `origin` go to `peer`: this node's withheld zones for it, and the
/// origin's published restrictions.
fn allowed(rules: &BTreeMap<String, Rules>, peer: &PeerPolicy, origin: &str, key: &[u8]) -> bool {
    !peer.withhold.iter().any(|z| key_within(key, z))
        && rules.get(origin).is_none_or(|r| r.allows(key, &peer.name))
}

fn session_mut(
    sessions: &mut BTreeMap<ConnId, Session>,
    conn: ConnId,
) -> Result<&mut Session, SyncError> {
    sessions
        .get_mut(&conn)
        .ok_or(SyncError::UnknownConnection(conn))
}
