//! [`Link`]: one authenticated connection to a partner, carrying one bidirectional byte
//! stream. The bytes are opaque here; the sync protocol frames them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::LinkError;

/// QUIC application close codes the transport uses.
pub(crate) mod code {
    use quinn::VarInt;
    /// The application dropped the link.
    pub const DONE: VarInt = VarInt::from_u32(0);
    /// Both sides dialed each other at once; the other connection is kept.
    pub const DUPLICATE: VarInt = VarInt::from_u32(1);
    /// A newer link to the same partner replaced this one.
    pub const REPLACED: VarInt = VarInt::from_u32(2);
    /// The peer broke the link set-up (bad preamble).
    pub const PROTOCOL: VarInt = VarInt::from_u32(3);
    /// The endpoint shut down.
    pub const SHUTDOWN: VarInt = VarInt::from_u32(4);
    /// The link set-up did not finish in time.
    pub const TIMEOUT: VarInt = VarInt::from_u32(5);
}

/// Closes the connection when the last half of the link is dropped.
#[derive(Debug)]
struct Guard {
    conn: quinn::Connection,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.conn.close(code::DONE, b"link dropped");
    }
}

/// Bytes moved over a link.
#[derive(Debug)]
pub struct LinkCounters {
    sent: AtomicU64,
    received: AtomicU64,
    conn: quinn::Connection,
}

/// UDP-level totals of a link's connection (headers, acknowledgements, retransmissions
/// and handshake included), from quinn's connection statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UdpBytes {
    /// Bytes sent in UDP payloads.
    pub tx: u64,
    /// Bytes received in UDP payloads.
    pub rx: u64,
    /// Datagrams sent.
    pub tx_datagrams: u64,
    /// Datagrams received.
    pub rx_datagrams: u64,
}

impl LinkCounters {
    /// Stream bytes the application sent.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Stream bytes the application received.
    pub fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// UDP-level bytes and datagrams of the connection so far.
    pub fn udp(&self) -> UdpBytes {
        let s = self.conn.stats();
        UdpBytes {
            tx: s.udp_tx.bytes,
            rx: s.udp_rx.bytes,
            tx_datagrams: s.udp_tx.datagrams,
            rx_datagrams: s.udp_rx.datagrams,
        }
    }

    /// The current round-trip time estimate.
    pub fn rtt(&self) -> Duration {
        self.conn.rtt()
    }
}

/// One authenticated connection to a partner: one bidirectional QUIC stream carrying
/// the protocol's byte stream in each direction.
///
/// Dropping both halves closes the connection (call [`LinkSender::finish`] first for the
/// peer to get everything sent). When the connection dies, [`LinkReceiver::recv`] and
/// [`LinkSender::send`] fail with [`LinkError::Closed`]; if this node dials the partner
/// it reconnects and delivers a new `Link`.
#[derive(Debug)]
pub struct Link {
    /// The partner's verified identity (origin name, from its certificate's SAN URI).
    pub peer: String,
    /// The partner's UDP address.
    pub remote: SocketAddr,
    /// Whether this node dialed the connection (else accepted it).
    pub dialed: bool,
    /// An id unique among this endpoint's connections.
    pub id: u64,
    /// The sending half.
    pub send: LinkSender,
    /// The receiving half.
    pub recv: LinkReceiver,
    /// Byte counters, shared with the halves.
    pub counters: Arc<LinkCounters>,
}

impl Link {
    pub(crate) fn new(
        peer: String,
        dialed: bool,
        conn: quinn::Connection,
        send: quinn::SendStream,
        recv: quinn::RecvStream,
    ) -> Self {
        let counters = Arc::new(LinkCounters {
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            conn: conn.clone(),
        });
        let guard = Arc::new(Guard { conn: conn.clone() });
        Link {
            peer,
            remote: conn.remote_address(),
            dialed,
            id: conn.stable_id() as u64,
            send: LinkSender {
                stream: send,
                counters: counters.clone(),
                guard: guard.clone(),
            },
            recv: LinkReceiver {
                stream: recv,
                counters: counters.clone(),
                _guard: guard,
            },
            counters,
        }
    }

    /// Closes the connection now (unsent and unacknowledged data is discarded).
    pub fn close(&self, reason: &str) {
        self.send.guard.conn.close(code::DONE, reason.as_bytes());
    }

    /// Resolves when the connection is gone, with why.
    pub async fn closed(&self) -> LinkError {
        LinkError::Closed(self.send.guard.conn.closed().await.to_string())
    }
}

/// The sending half of a [`Link`].
#[derive(Debug)]
pub struct LinkSender {
    stream: quinn::SendStream,
    counters: Arc<LinkCounters>,
    guard: Arc<Guard>,
}

impl LinkSender {
    /// Sends all of `bytes`, waiting while flow control or congestion control hold them
    /// back.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.stream.write_all(bytes).await?;
        self.counters
            .sent
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Ends the byte stream and waits until the peer has acknowledged all of it (its
    /// `recv` then returns `None` once it has read everything).
    pub async fn finish(mut self) -> Result<(), LinkError> {
        self.stream.finish().map_err(|_| LinkError::Finished)?;
        match self.stream.stopped().await? {
            None => Ok(()),
            Some(code) => Err(LinkError::Stopped(code.into_inner())),
        }
    }
}

/// The receiving half of a [`Link`].
#[derive(Debug)]
pub struct LinkReceiver {
    stream: quinn::RecvStream,
    counters: Arc<LinkCounters>,
    _guard: Arc<Guard>,
}

impl LinkReceiver {
    /// Reads into `buf`: `Some(n)` bytes (n > 0 when `buf` is not empty), or `None`
    /// once the peer has finished its stream and everything was read.
    pub async fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, LinkError> {
        let n = self.stream.read(buf).await?;
        if let Some(n) = n {
            self.counters
                .received
                .fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}
