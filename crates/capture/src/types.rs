//! The small value types handed to later stages.

use std::net::SocketAddr;

/// A capture timestamp: seconds and microseconds since the Unix epoch.
///
/// Ordered by time (`secs` first, then `micros`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: u64,
    /// Microseconds within the second (0..1_000_000).
    pub micros: u32,
}

impl Timestamp {
    /// A timestamp from seconds and microseconds (microseconds past one second carry over).
    pub const fn new(secs: u64, micros: u32) -> Self {
        Timestamp {
            secs: secs.saturating_add((micros / 1_000_000) as u64),
            micros: micros % 1_000_000,
        }
    }

    /// Microseconds since the epoch (saturating).
    pub const fn as_micros(self) -> u64 {
        self.secs
            .saturating_mul(1_000_000)
            .saturating_add(self.micros as u64)
    }
}

/// The transport a DNS message was carried over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Transport {
    /// One message per UDP datagram.
    Udp,
    /// Length-prefixed messages in a reassembled TCP byte stream.
    Tcp,
}

/// One whole DNS message found in the traffic.
///
/// The client's address never appears here: only the server side of the exchange and
/// [`flow`](Self::flow), a keyed hash that lets a sensor match queries to responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsPayload<'a> {
    /// When the frame that carried (or, for reassembled data, completed) the message was captured.
    pub ts: Timestamp,
    /// UDP or TCP.
    pub transport: Transport,
    /// The DNS-port side of the exchange.
    pub server: SocketAddr,
    /// True if the message was sent by [`server`](Self::server), i.e. it is a response candidate.
    pub from_server: bool,
    /// Keyed hash (per-process random key) of the client address and port, the server
    /// address and port and the transport. Equal for a query and its response.
    pub flow: u64,
    /// Exactly one DNS message (for TCP: without the 2-byte length prefix).
    pub data: &'a [u8],
}
