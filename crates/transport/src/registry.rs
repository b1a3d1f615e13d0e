//! The live link of each partner, and the rule that keeps exactly one.
//!
//! At most one link per partner is live. When two partners dial each other at the same
//! time, both sides keep the connection **whose client has the smaller origin name**:
//!
//! * the side with the larger name accepts a connection from the smaller at once, and
//!   it replaces whatever link it had (its own pending dial is then refused by the
//!   other side);
//! * the side with the smaller name holds an accepted connection while its own dial to
//!   that partner is in flight, and refuses it (as a duplicate) if a link it dialed was
//!   registered after the accepted connection first arrived; otherwise it accepts it,
//!   replacing any older link (the partner dialed because it has no link: the old one
//!   is dead, e.g. the partner restarted);
//! * a dialer sends its link preamble only if it still has no live link to the partner,
//!   and registers the link when the acceptor acknowledges it, replacing any other.
//!
//! Together these make "registered after arrival" mean "concurrent dial", never "the
//! partner restarted": an accepted connection's first packet precedes the dialer's
//! preamble, which precedes any link the dialer registers, which precedes the ack the
//! smaller side waits for. A replaced link is closed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

/// A registered link.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub id: usize,
    pub dialed: bool,
    pub generation: u64,
    pub conn: quinn::Connection,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct PeerState {
    pub live: Option<Live>,
    pub dialing: bool,
}

/// An accepted connection lost to a concurrent dial.
#[derive(Debug)]
pub(crate) struct Duplicate;

#[derive(Debug)]
pub(crate) struct Registry {
    local: String,
    peers: HashMap<String, watch::Sender<PeerState>>,
    generation: AtomicU64,
}

impl Registry {
    pub fn new<'a>(local: &str, peers: impl IntoIterator<Item = &'a str>) -> Self {
        Registry {
            local: local.to_owned(),
            peers: peers
                .into_iter()
                .map(|p| (p.to_owned(), watch::Sender::new(PeerState::default())))
                .collect(),
            generation: AtomicU64::new(0),
        }
    }

    /// Increases with every registration; read when a connection first arrives.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn slot(&self, peer: &str) -> Option<&watch::Sender<PeerState>> {
        self.peers.get(peer)
    }

    pub fn has_live(&self, peer: &str) -> bool {
        self.slot(peer).is_some_and(|s| s.borrow().live.is_some())
    }

    /// Marks a dial to `peer` in flight, unless a link is live.
    pub fn begin_dial(&self, peer: &str) -> bool {
        let Some(slot) = self.slot(peer) else {
            return false;
        };
        slot.send_if_modified(|s| {
            if s.live.is_some() {
                false
            } else {
                s.dialing = true;
                true
            }
        })
    }

    pub fn end_dial(&self, peer: &str) {
        if let Some(slot) = self.slot(peer) {
            slot.send_modify(|s| s.dialing = false);
        }
    }

    /// Waits until no link to `peer` is live.
    pub async fn wait_unlinked(&self, peer: &str) {
        if let Some(slot) = self.slot(peer) {
            let mut rx = slot.subscribe();
            let _ = rx.wait_for(|s| s.live.is_none()).await;
        }
    }

    /// Waits until no dial to `peer` is in flight.
    pub async fn wait_not_dialing(&self, peer: &str) {
        if let Some(slot) = self.slot(peer) {
            let mut rx = slot.subscribe();
            let _ = rx.wait_for(|s| !s.dialing).await;
        }
    }

    fn live(&self, conn: &quinn::Connection, dialed: bool) -> Live {
        Live {
            id: conn.stable_id(),
            dialed,
            generation: self.generation.fetch_add(1, Ordering::SeqCst) + 1,
            conn: conn.clone(),
        }
    }

    /// Registers a link this node dialed and the partner acknowledged. Returns the link
    /// it replaced, to be closed.
    pub fn register_dialed(
        &self,
        peer: &str,
        conn: &quinn::Connection,
    ) -> Option<quinn::Connection> {
        let slot = self.slot(peer)?;
        let mut old = None;
        slot.send_modify(|s| {
            old = s.live.replace(self.live(conn, true)).map(|l| l.conn);
        });
        old
    }

    /// Registers an accepted link whose first packet arrived at `arrival` (a
    /// [`generation`](Self::generation)), unless it lost to a concurrent dial. Returns
    /// the link it replaced, to be closed.
    pub fn register_accepted(
        &self,
        peer: &str,
        conn: &quinn::Connection,
        arrival: u64,
    ) -> Result<Option<quinn::Connection>, Duplicate> {
        let Some(slot) = self.slot(peer) else {
            return Err(Duplicate);
        };
        let local_is_smaller = self.local.as_str() < peer;
        let mut result = Ok(None);
        slot.send_if_modified(|s| {
            if local_is_smaller
                && let Some(l) = &s.live
                && l.dialed
                && l.generation > arrival
            {
                result = Err(Duplicate);
                return false;
            }
            result = Ok(s.live.replace(self.live(conn, false)).map(|l| l.conn));
            true
        });
        result
    }

    /// Whether this accepted connection must wait for our own dial to `peer` to settle
    /// before it can be judged.
    pub fn must_wait_for_dial(&self, peer: &str) -> bool {
        self.local.as_str() < peer
    }

    /// Forgets the link `id` of `peer` if it is still the live one.
    pub fn remove(&self, peer: &str, id: usize) -> bool {
        let Some(slot) = self.slot(peer) else {
            return false;
        };
        slot.send_if_modified(|s| {
            if s.live.as_ref().is_some_and(|l| l.id == id) {
                s.live = None;
                true
            } else {
                false
            }
        })
    }

    pub fn links_up(&self) -> usize {
        self.peers
            .values()
            .filter(|s| s.borrow().live.is_some())
            .count()
    }

    /// Every live connection (for shutdown).
    pub fn connections(&self) -> Vec<quinn::Connection> {
        self.peers
            .values()
            .filter_map(|s| s.borrow().live.as_ref().map(|l| l.conn.clone()))
            .collect()
    }
}
