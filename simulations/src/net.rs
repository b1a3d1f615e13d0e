//! The simulated network, and what exactly it models.
//!
//! The protocol runs over one QUIC stream per partner link: a reliable, ordered byte
//! stream. So the simulator models faults at the *packet* level underneath such a
//! stream, and the `Replicator` only ever sees what a real one would: the stream's bytes,
//! in order, in arbitrary chunks, or a closed connection.
//!
//! * **Packets.** Frames written to a connection are cut into packets of at most
//!   `mss` bytes (some cut shorter at random, so that chunk boundaries fall anywhere in
//!   a frame); each costs `overhead` more bytes on the wire.
//! * **Bandwidth.** Each direction of a link serialises its packets one after another
//!   at the link's bytes per second; a packet departs when the ones before it are out.
//! * **Latency and reordering.** A packet arrives after the link's one-way latency plus
//!   a random jitter, so packets overtake each other; the receiver buffers what arrives
//!   out of order and hands the `Replicator` every newly contiguous run of bytes.
//! * **Loss.** A lost packet (each transmission is lost with the link's probability,
//!   and all of them while the link is cut) is sent again after a retransmission
//!   timeout that doubles per attempt (capped), costing bandwidth again.
//! * **Duplication.** A packet may arrive twice; the copy costs wire bytes and is
//!   discarded by the receiver's reassembly.
//! * **Acks** travel back after the latency and are not lost (they are cumulative and
//!   frequent in QUIC); they free the sender's queue.
//! * **Send queue.** The driver hands a connection frames only while fewer than
//!   `send_queue` bytes are unacknowledged, as the node does (`send_queue_mb`).
//! * **Broken connections.** An end whose path has been dead (link cut, peer crashed or
//!   gone) for `idle_timeout` closes (`Replicator::close`); checks happen at keep-alive
//!   intervals, so the two ends notice at different times. A partition shorter than that
//!   only delays the stream. An end closed on purpose (a replaced link, a reset) tells
//!   the other end, unless that packet is lost. Bytes not yet delivered are gone.
//! * **Reconnection.** Each end without a live link dials with the transport's jittered
//!   exponential backoff (`reconnect_min · 2^failures`, capped, from its upper half); a
//!   handshake takes a round trip (more if its packets are lost) and fails if the
//!   link is cut or the peer is down. A new link replaces an older one at both ends, as
//!   the node does; then both `Replicator`s get `open`.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use hearsay_sync::ConnId;

/// Network parameters.
#[derive(Debug, Clone)]
pub struct NetParams {
    /// One-way latency of a link, drawn per link from this range.
    pub latency: (Duration, Duration),
    /// Bytes per second of a link (each direction), drawn per link from this range.
    pub bandwidth: (u64, u64),
    /// Largest packet payload.
    pub mss: usize,
    /// Header bytes per packet.
    pub overhead: usize,
    /// Probability that a packet is cut at a random shorter length.
    pub short_packets: f64,
    /// Unacknowledged bytes per connection before the driver stops polling it.
    pub send_queue: u64,
    /// Keep-alive (and dead-path check) interval.
    pub keep_alive: Duration,
    /// A dead path closes a connection after this.
    pub idle_timeout: Duration,
    /// Reconnection backoff floor.
    pub reconnect_min: Duration,
    /// Reconnection backoff ceiling.
    pub reconnect_max: Duration,
}

impl Default for NetParams {
    fn default() -> Self {
        NetParams {
            latency: (Duration::from_millis(5), Duration::from_millis(80)),
            bandwidth: (1 << 20, 20 << 20),
            mss: 1200,
            overhead: 48,
            short_packets: 0.1,
            send_queue: 1 << 20,
            keep_alive: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            reconnect_min: Duration::from_millis(200),
            reconnect_max: Duration::from_secs(30),
        }
    }
}

/// A configured partner link.
#[derive(Debug, Clone)]
pub struct Link {
    /// One end (the lower node index).
    pub a: usize,
    /// The other end.
    pub b: usize,
    /// One-way latency.
    pub latency: Duration,
    /// Bytes per second.
    pub bandwidth: u64,
    /// Partitions currently cutting it.
    pub cut: u32,
    /// A handshake is under way.
    pub handshaking: bool,
    /// Failed handshakes in a row.
    pub failures: u32,
    /// A dial is scheduled, per end.
    pub dial_scheduled: [bool; 2],
}

impl Link {
    /// The end (0 or 1) node `x` is.
    pub fn side(&self, x: usize) -> usize {
        usize::from(x == self.b)
    }
    /// The node at end `side`.
    pub fn node(&self, side: usize) -> usize {
        if side == 0 { self.a } else { self.b }
    }
    /// Retransmission timeout after `attempt` losses.
    pub fn rto(&self, attempt: u32) -> Duration {
        let base = self.latency * 3 + Duration::from_millis(10);
        base.saturating_mul(1 << attempt.min(8))
            .min(Duration::from_secs(4))
    }
    /// Time to put `bytes` on the wire.
    pub fn serialize(&self, bytes: usize) -> Duration {
        Duration::from_secs_f64(bytes as f64 / self.bandwidth.max(1) as f64)
    }
}

/// One direction of a connection: the sender's buffer and the receiver's reassembly.
#[derive(Debug, Default)]
pub struct Stream {
    buf: VecDeque<u8>,
    /// Stream offset of `buf[0]` (everything before is acknowledged).
    pub acked: u64,
    /// Bytes written by the sender.
    pub written: u64,
    /// Bytes cut into packets.
    pub sent: u64,
    /// Bytes delivered in order to the receiver.
    pub delivered: u64,
    /// Out-of-order ranges received: start → end.
    ranges: BTreeMap<u64, u64>,
    /// When the link is free to put the next packet of this direction on the wire.
    pub tx_free: Duration,
}

impl Stream {
    /// The sender writes a frame.
    pub fn write(&mut self, bytes: &[u8]) {
        self.buf.extend(bytes);
        self.written += bytes.len() as u64;
    }

    /// Bytes written but not acknowledged.
    pub fn unacked(&self) -> u64 {
        self.written - self.acked
    }

    /// A packet `[off, off + len)` arrived: the newly contiguous bytes, if any.
    pub fn receive(&mut self, off: u64, len: u64) -> Option<Vec<u8>> {
        let end = off + len;
        if end <= self.delivered {
            return None;
        }
        let e = self.ranges.entry(off.max(self.delivered)).or_insert(end);
        *e = (*e).max(end);
        let from = self.delivered;
        while let Some((&start, &stop)) = self.ranges.first_key_value() {
            if start > self.delivered {
                break;
            }
            self.delivered = self.delivered.max(stop);
            self.ranges.pop_first();
        }
        (self.delivered > from).then(|| {
            let lo = (from - self.acked) as usize;
            let hi = (self.delivered - self.acked) as usize;
            self.buf.range(lo..hi).copied().collect()
        })
    }

    /// The receiver acknowledged everything before `upto`: bytes freed.
    pub fn ack(&mut self, upto: u64) -> u64 {
        if upto <= self.acked {
            return 0;
        }
        let freed = upto - self.acked;
        self.buf.drain(..freed as usize);
        self.acked = upto;
        freed
    }
}

/// A connection: two ends, each with the stream it sends.
#[derive(Debug)]
pub struct Conn {
    /// Its id (the same at both ends).
    pub id: ConnId,
    /// The link it runs on.
    pub link: usize,
    /// The node at each end.
    pub nodes: [usize; 2],
    /// Each end still has it.
    pub open: [bool; 2],
    /// `streams[e]` is what end `e` sends.
    pub streams: [Stream; 2],
    /// Since when each end has seen its path dead.
    pub dead_since: [Option<Duration>; 2],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembly_delivers_in_order_once() {
        let mut s = Stream::default();
        s.write(b"hello world");
        assert_eq!(s.receive(5, 6), None);
        assert_eq!(s.receive(0, 3).as_deref(), Some(&b"hel"[..]));
        assert_eq!(s.receive(0, 3), None, "a duplicate");
        assert_eq!(s.receive(2, 3).as_deref(), Some(&b"lo world"[..]));
        assert_eq!(s.ack(11), 11);
        assert_eq!(s.unacked(), 0);
        s.write(b"!");
        assert_eq!(s.receive(11, 1).as_deref(), Some(&b"!"[..]));
    }
}
