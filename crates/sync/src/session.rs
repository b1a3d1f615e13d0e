//! One connection's state: what the peer has told us, where we are in sending it each
//! origin's log or a snapshot, and what it is sending us.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::WireEntry;
use crate::message::{FrameReader, Message, Vector};
use crate::policy::PeerPolicy;
use crate::replica::LogCursor;

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Our Hello is out; theirs has not arrived.
    AwaitHello,
    /// Waiting for a snapshot slot (too many peers are bootstrapping at once).
    QueuedForSnapshot,
    /// Streaming them a snapshot.
    SendingSnapshot,
    /// Streaming them the logs (catch-up, then live).
    Streaming,
}

/// Per-session counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionStats {
    /// Frame bytes received.
    pub bytes_in: u64,
    /// Frame bytes sent.
    pub bytes_out: u64,
    /// Entries received.
    pub entries_in: u64,
    /// Entries sent.
    pub entries_out: u64,
    /// Received entries that changed nothing here.
    pub duplicates_in: u64,
    /// Received entries dropped because their origin withholds them from this node.
    pub withheld_in: u64,
    /// Entries not sent because of a sharing policy.
    pub withheld_out: u64,
    /// Completion markers sent.
    pub markers_out: u64,
    /// Completion markers received.
    pub markers_in: u64,
    /// Snapshot records sent.
    pub snapshot_records_out: u64,
    /// Snapshot records received.
    pub snapshot_records_in: u64,
    /// Compressed batch bytes sent (the payload inside the frames).
    pub batch_bytes_out: u64,
    /// Compressed batch bytes received.
    pub batch_bytes_in: u64,
}

/// Sending one origin's log.
#[derive(Debug, Clone)]
pub(crate) struct OutCursor {
    /// Next position to read.
    pub cursor: LogCursor,
    /// The highest seq we told the peer is complete (or it told us it has).
    pub marked: u64,
    /// Since when unsent data has been waiting.
    pub due_since: Option<Duration>,
    /// The log may hold lines after the cursor (new remote entries, a rewind, or not
    /// read yet); cleared when a read drains it.
    pub dirty: bool,
    /// The log has been drained once on this connection: from then on a lone new
    /// update waits `push_interval` for company. Before, the backlog the peer's Hello
    /// revealed goes at once, however small (catch-up costs no timer).
    pub caught_up: bool,
}

impl OutCursor {
    /// Starting after everything up to `known`.
    pub fn after(known: u64) -> Self {
        OutCursor {
            cursor: LogCursor::after_seq(known),
            marked: known,
            due_since: None,
            dirty: true,
            caught_up: false,
        }
    }

    /// Lines from `seq` on may be new: read them again if the cursor passed them.
    pub fn rewind(&mut self, seq: u64) {
        self.dirty = true;
        let passed =
            self.cursor.seq > seq || (self.cursor.seq == seq && self.cursor.after_key.is_some());
        if passed {
            self.cursor = LogCursor {
                seq,
                after_key: None,
            };
        }
    }
}

/// A snapshot being received (persisted so that it can resume).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InSnapshot {
    /// Last key written to the replica: where the stream resumes.
    pub after: Option<Vec<u8>>,
    /// The lowest vector announced by the sender over the stream's parts.
    pub vector: Vector,
    /// A SnapshotBegin has been seen in this connection.
    #[serde(skip)]
    pub begun: bool,
    /// Last key received (`after` or beyond).
    #[serde(skip)]
    pub received: Option<Vec<u8>>,
    /// Entries received and not yet written, batch by batch: they are written in large
    /// batches, which a store writes as whole tables.
    #[serde(skip)]
    pub pending: Vec<Vec<WireEntry>>,
    /// About the memory `pending` takes.
    #[serde(skip)]
    pub pending_bytes: usize,
    /// A write of this stream's entries failed (why): nothing more of it is written,
    /// and it resumes after the last batch written.
    #[serde(skip)]
    pub failed: Option<String>,
}

/// A connection's session.
#[derive(Debug)]
pub(crate) struct Session {
    pub peer: PeerPolicy,
    pub phase: Phase,
    pub reader: FrameReader,
    pub outbox: VecDeque<Vec<u8>>,
    /// The peer's vector as of its Hello, raised by the markers we send.
    pub peer_vector: Vector,
    /// The peer asked for relayed records.
    pub peer_wants_relayed: bool,
    /// Per origin we send: where we are.
    pub out: BTreeMap<String, OutCursor>,
    /// Snapshot being sent: last key sent, and the vector it is complete to.
    pub out_snapshot: Option<(Option<Vec<u8>>, Vector)>,
    /// Snapshot being received.
    pub in_snapshot: Option<InSnapshot>,
    /// Markers received from this peer, per origin (persisted: where to resume).
    pub via: Vector,
    /// The peer's partners (it may get their records from them directly).
    pub peer_direct: std::collections::BTreeSet<String>,
    /// When unsent data will be due (the earliest waiting origin).
    pub wake_at: Option<Duration>,
    /// Round-robin position over origins.
    pub next_origin: usize,
    pub stats: SessionStats,
    pub opened_at: Duration,
}

impl Session {
    pub fn new(
        peer: PeerPolicy,
        via: Vector,
        in_snapshot: Option<InSnapshot>,
        now: Duration,
    ) -> Self {
        Session {
            peer,
            phase: Phase::AwaitHello,
            reader: FrameReader::new(),
            outbox: VecDeque::new(),
            peer_vector: Vector::new(),
            peer_wants_relayed: false,
            out: BTreeMap::new(),
            out_snapshot: None,
            in_snapshot,
            via,
            peer_direct: Default::default(),
            wake_at: None,
            next_origin: 0,
            stats: SessionStats::default(),
            opened_at: now,
        }
    }

    /// Queues a message.
    pub fn queue(&mut self, m: &Message) {
        let frame = m.to_frame();
        self.stats.bytes_out += frame.len() as u64;
        self.outbox.push_back(frame);
    }

    /// May we send the peer entries of `origin` at all (before zone rules)?
    pub fn sends_origin(&self, origin: &str, local: &str) -> bool {
        origin != self.peer.name
            && (origin == local || (self.peer.relay && self.peer_wants_relayed))
    }
}
