//! # hearsay-sync
//!
//! The replication protocol, as a state machine without I/O in the style of
//! `quinn-proto`: a [`Replicator`] is fed the bytes each connection receives and the
//! time, and gives back the frames to send; it reads and writes the node's database
//! through the [`Replica`] trait. The QUIC transport and the deterministic simulator
//! both drive this same code.
//!
//! The protocol (see DESIGN.md, "Replication"): each side sends a Hello with its version
//! vector; each streams the other the lines of every origin's `(origin, seq)` log the
//! other lacks, in compressed batches ([`batch`]), each origin's followed by "origin
//! complete to seq N" once its log is drained; new updates follow the same way (live
//! push). A peer that knows nothing gets a snapshot of the records first; the receiver
//! holds it in large batches and hands each to [`Replica::apply_snapshot`], which a
//! store writes as whole tables, and resumes after the last batch written. Sharing
//! policy ([`policy`]) decides what each partner may receive and send, and an origin's
//! withheld zones travel with its records so relays honour them too.
//!
//! ```
//! use std::time::Duration;
//! use hearsay_sync::{MemReplica, PeerPolicy, Replicator, SyncConfig};
//! use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
//!
//! let a = MemReplica::new("cert-a");
//! let key = RecordKey::new(Name::from_presentation("www.example.com")?, RrType::A,
//!                          Bailiwick::Unknown, vec![192, 0, 2, 1])?.encode();
//! a.observe(&[(key.clone(), Sighting { time_first: 1, time_last: 2, count: 3 })]);
//! let mut a = Replicator::new(a, SyncConfig::new(vec![PeerPolicy::open("cert-b")]))?;
//! let mut b = Replicator::new(MemReplica::new("cert-b"), SyncConfig::new(vec![PeerPolicy::open("cert-a")]))?;
//!
//! // One connection (id 1 on both sides), driven by hand.
//! let now = Duration::ZERO;
//! a.open(1, "cert-b", now)?;
//! b.open(1, "cert-a", now)?;
//! for _ in 0..10 {
//!     while let Some(frame) = a.poll_transmit(1, now)? { b.handle(1, &frame, now)?; }
//!     while let Some(frame) = b.poll_transmit(1, now)? { a.handle(1, &frame, now)?; }
//! }
//! assert!(b.replica().dump().records().contains_key(&key));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod batch;
mod mem;
pub mod message;
pub mod policy;
mod replica;
mod replicator;
mod session;

pub use batch::{Origin, WireEntry};
pub use mem::{Mem, MemReplica};
pub use message::{Message, Vector};
pub use policy::{PeerPolicy, Restrictions, Rules};
pub use replica::{Applied, LogCursor, Replica, ReplicaError, SnapshotRecord};
pub use replicator::{ConnId, PeerStatus, Replicator, ReplicatorStats, SyncConfig, TICK};
pub use session::{Phase, SessionStats};

/// A peer broke the protocol: the connection must be closed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("frame of {0} bytes (at most 16 MiB)")]
    FrameSize(usize),
    #[error("unknown protocol version {0}")]
    Version(u8),
    #[error("undecodable message")]
    Undecodable,
    #[error("malformed batch: {0}")]
    BadBatch(&'static str),
    #[error("malformed policy document")]
    BadPolicy,
    #[error("entries of origin {0:?}, which this peer may not speak for")]
    ForbiddenOrigin(String),
    #[error("unexpected message: {0}")]
    Unexpected(&'static str),
    #[error("snapshot records out of order")]
    SnapshotOrder,
    #[error("{0:?} is not a configured partner")]
    NotAPartner(String),
}

impl ProtocolError {
    /// A short name for counters.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolError::FrameSize(_) => "frame_size",
            ProtocolError::Version(_) => "version",
            ProtocolError::Undecodable => "undecodable",
            ProtocolError::BadBatch(_) => "bad_batch",
            ProtocolError::BadPolicy => "bad_policy",
            ProtocolError::ForbiddenOrigin(_) => "forbidden_origin",
            ProtocolError::Unexpected(_) => "unexpected",
            ProtocolError::SnapshotOrder => "snapshot_order",
            ProtocolError::NotAPartner(_) => "not_a_partner",
        }
    }
}

/// Why a session cannot go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The peer broke the protocol (close the connection; counted).
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The local database failed.
    #[error("local database: {0}")]
    Replica(#[from] ReplicaError),
    /// Compressing a batch failed.
    #[error("compressing a batch: {0}")]
    Compress(#[source] std::io::Error),
    /// The peer said goodbye.
    #[error("peer closed the session: {0}")]
    Closed(String),
    /// No session for this connection.
    #[error("no session for connection {0}")]
    UnknownConnection(ConnId),
}

#[cfg(test)]
mod tests;
