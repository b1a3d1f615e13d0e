//! DNS over TCP: per-connection, per-direction byte streams reassembled by sequence number
//! and cut into messages by their 2-byte length prefix (RFC 1035 §4.2.2, RFC 7766).
//!
//! * Each direction keeps at most one partial message (`buf`) and a bounded list of
//!   out-of-order segments. In-order segments are parsed in place: complete messages are
//!   emitted as slices of the segment, and only a trailing partial message is copied.
//! * Retransmitted bytes are trimmed; overlapping retransmissions keep the bytes seen first.
//! * A hole is waited for until the receiver's ACK shows it was delivered (the capture lost
//!   it: it will never be retransmitted), or too many segments queue behind it; then it is
//!   a *gap*: the partial message is dropped and parsing resumes at the next segment,
//!   assumed to start a message.
//! * A direction first seen without its SYN is assumed to start at a message boundary
//!   (mid-stream pick-up). A length prefix below 12 (shorter than a DNS header) means the
//!   stream is out of sync (trailing junk, lost boundary): the rest of the segment is
//!   dropped and the direction resyncs on its next segment.
//! * FIN in both directions or RST ends a connection; idle connections expire; the number
//!   of connections and the bytes buffered per connection and in total are hard limits.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::expiry::ExpiryQueue;
use crate::flow::flow_hash;
use crate::{DecodeStats, DecoderConfig, DnsPayload, Timestamp, Transport};

pub(crate) const FLAG_FIN: u8 = 0x01;
pub(crate) const FLAG_SYN: u8 = 0x02;
pub(crate) const FLAG_RST: u8 = 0x04;
pub(crate) const FLAG_ACK: u8 = 0x10;

/// Smallest DNS message: the 12-byte header.
const MIN_MESSAGE: usize = 12;
/// Emptied message buffers larger than this are released rather than kept.
const KEEP_BUF: usize = 4096;

/// A connection, oriented: `client` is the non-DNS-port side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct StreamKey {
    pub client: SocketAddr,
    pub server: SocketAddr,
}

/// The TCP fields the reassembler needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment<'a> {
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

#[inline]
fn seq_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

#[inline]
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Emits messages of one direction to the sink.
struct Emit<'a, 'b> {
    sink: &'a mut dyn FnMut(&DnsPayload<'_>),
    payload: DnsPayload<'b>,
    count: u64,
}

impl Emit<'_, '_> {
    fn message(&mut self, data: &[u8]) {
        let p = DnsPayload {
            data,
            ..self.payload
        };
        (self.sink)(&p);
        self.count += 1;
    }
}

#[derive(Debug, Default)]
struct Dir {
    /// `next_seq` is meaningful.
    have_seq: bool,
    /// The bytes at `next_seq` (after `buf`) continue from a message boundary.
    synced: bool,
    /// Sequence number of the next byte expected in order.
    next_seq: u32,
    /// Highest acknowledgment the other side sent for this direction.
    acked: Option<u32>,
    /// The partial message (length prefix included) waiting for more bytes.
    buf: Vec<u8>,
    /// Segments received ahead of a hole.
    ooo: Vec<(u32, Vec<u8>)>,
    ooo_bytes: usize,
    fin: bool,
}

impl Dir {
    fn mem(&self) -> usize {
        self.buf.capacity() + self.ooo_bytes
    }

    fn reset(&mut self, next_seq: u32, stats: &mut DecodeStats) {
        self.drop_buffers(stats);
        *self = Dir {
            have_seq: true,
            synced: true,
            next_seq,
            ..Dir::default()
        };
    }

    fn drop_buffers(&mut self, stats: &mut DecodeStats) {
        stats.tcp_dropped_bytes += (self.buf.len() + self.ooo_bytes) as u64;
        self.buf = Vec::new();
        self.ooo = Vec::new();
        self.ooo_bytes = 0;
    }

    /// Out of sync: drop everything buffered; the next new segment starts afresh.
    fn desync(&mut self, stats: &mut DecodeStats) {
        self.drop_buffers(stats);
        self.synced = false;
    }

    /// Records an acknowledgment from the other side and gives up on holes it proves lost.
    fn on_ack(
        &mut self,
        ack: u32,
        limits: &Limits,
        room: usize,
        stats: &mut DecodeStats,
        emit: &mut Emit<'_, '_>,
    ) {
        if !self.have_seq {
            return;
        }
        match self.acked {
            Some(a) if seq_diff(ack, a) <= 0 => {}
            _ => self.acked = Some(ack),
        }
        if !self.ooo.is_empty() {
            self.skip_gaps(limits, room, stats, emit);
        }
    }

    /// Handles one segment's payload.
    fn data(
        &mut self,
        seq: u32,
        mut payload: &[u8],
        limits: &Limits,
        room: usize,
        stats: &mut DecodeStats,
        emit: &mut Emit<'_, '_>,
    ) {
        if payload.is_empty() {
            return;
        }
        if !self.synced {
            if self.have_seq {
                // Resync only on a segment starting at or after the bytes given up on: an
                // older one (a retransmission) may hold messages already emitted.
                if seq_diff(seq, self.next_seq) < 0 {
                    stats.tcp_retransmitted_segments += 1;
                    return;
                }
            } else {
                stats.tcp_midstream_syncs += 1;
            }
            self.next_seq = seq;
            self.have_seq = true;
            self.synced = true;
        }
        let rel = seq_diff(seq, self.next_seq);
        if rel < 0 {
            let skip = rel.unsigned_abs() as usize;
            match payload.get(skip..) {
                Some(rest) if !rest.is_empty() => payload = rest,
                _ => {
                    stats.tcp_retransmitted_segments += 1;
                    return;
                }
            }
        } else if rel > 0 {
            if self.mem() + payload.len() <= room {
                self.ooo.push((seq, payload.to_vec()));
                self.ooo_bytes += payload.len();
                stats.tcp_out_of_order_segments += 1;
                self.skip_gaps(limits, room, stats, emit);
                return;
            }
            // No room to wait for the hole: give up on it and everything held before it.
            stats.tcp_bytes_over_limit += 1;
            self.drop_buffers(stats);
            self.jump_to(seq, stats);
        }
        self.feed(payload, room, stats, emit);
        self.next_seq = self.next_seq.wrapping_add(len32(payload.len()));
        self.drain_ooo(room, stats, emit);
    }

    /// Skips the hole before the earliest held segment while it is known lost (acked) or
    /// too many segments wait behind it.
    fn skip_gaps(
        &mut self,
        limits: &Limits,
        room: usize,
        stats: &mut DecodeStats,
        emit: &mut Emit<'_, '_>,
    ) {
        loop {
            let next = self.next_seq;
            let Some(first) = self
                .ooo
                .iter()
                .map(|(s, _)| *s)
                .min_by_key(|s| seq_diff(*s, next))
            else {
                return;
            };
            let lost = self.acked.is_some_and(|a| seq_diff(a, first) >= 0);
            if !(lost || self.ooo.len() > limits.max_ooo) {
                return;
            }
            if seq_diff(first, next) > 0 {
                self.jump_to(first, stats);
            }
            self.drain_ooo(room, stats, emit);
        }
    }

    /// Gives up on the bytes before `seq`: the partial message is lost.
    fn jump_to(&mut self, seq: u32, stats: &mut DecodeStats) {
        stats.tcp_gaps += 1;
        stats.tcp_dropped_bytes += self.buf.len() as u64;
        self.buf.clear();
        self.next_seq = seq;
        self.synced = true;
    }

    /// Feeds held segments that are now in order.
    fn drain_ooo(&mut self, room: usize, stats: &mut DecodeStats, emit: &mut Emit<'_, '_>) {
        loop {
            if !self.synced {
                self.drop_buffers(stats);
                return;
            }
            let next = self.next_seq;
            let Some(i) = self.ooo.iter().position(|(s, _)| seq_diff(*s, next) <= 0) else {
                return;
            };
            let (s, data) = self.ooo.swap_remove(i);
            self.ooo_bytes -= data.len();
            let skip = seq_diff(next, s).unsigned_abs() as usize;
            match data.get(skip..) {
                Some(rest) if !rest.is_empty() => {
                    // Account the held copy as released before the partial buffer may grow.
                    self.feed(rest, room, stats, emit);
                    self.next_seq = self.next_seq.wrapping_add(len32(rest.len()));
                }
                _ => stats.tcp_retransmitted_segments += 1,
            }
        }
    }

    /// Ensures `buf` can take `additional` more bytes, growing geometrically but never past
    /// `want` (the whole message) nor past `room` for this direction.
    fn reserve(&mut self, additional: usize, want: usize, room: usize) -> bool {
        let need = self.buf.len() + additional;
        if need <= self.buf.capacity() {
            return true;
        }
        let new_cap = need
            .max(self.buf.capacity().saturating_mul(2))
            .min(want.max(need));
        if self.mem() - self.buf.capacity() + new_cap > room {
            return false;
        }
        self.buf.reserve_exact(new_cap - self.buf.len());
        true
    }

    fn over_limit(&mut self, rest: usize, stats: &mut DecodeStats) {
        stats.tcp_bytes_over_limit += 1;
        stats.tcp_dropped_bytes += rest as u64;
        self.desync(stats);
    }

    /// Consumes in-order stream bytes: completes the partial message, emits every whole
    /// message in `data`, keeps a trailing partial one.
    fn feed(
        &mut self,
        mut data: &[u8],
        room: usize,
        stats: &mut DecodeStats,
        emit: &mut Emit<'_, '_>,
    ) {
        if !self.synced {
            return;
        }
        if !self.buf.is_empty() {
            if self.buf.len() < 2 {
                let take = (2 - self.buf.len()).min(data.len());
                if !self.reserve(take, 2, room) {
                    return self.over_limit(data.len(), stats);
                }
                self.buf
                    .extend_from_slice(data.get(..take).unwrap_or_default());
                data = data.get(take..).unwrap_or_default();
                if self.buf.len() < 2 {
                    return;
                }
            }
            let mlen = usize::from(crate::bytes::be16(&self.buf, 0).unwrap_or(0));
            if mlen < MIN_MESSAGE {
                stats.tcp_desyncs += 1;
                stats.tcp_dropped_bytes += data.len() as u64;
                return self.desync(stats);
            }
            let want = 2 + mlen;
            let take = (want - self.buf.len()).min(data.len());
            if !self.reserve(take, want, room) {
                return self.over_limit(data.len(), stats);
            }
            self.buf
                .extend_from_slice(data.get(..take).unwrap_or_default());
            data = data.get(take..).unwrap_or_default();
            if self.buf.len() < want {
                return;
            }
            stats.tcp_messages += 1;
            emit.message(self.buf.get(2..).unwrap_or_default());
            if self.buf.capacity() > KEEP_BUF {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
        }
        // In place over the segment.
        while let Some(mlen) = crate::bytes::be16(data, 0) {
            let mlen = usize::from(mlen);
            if mlen < MIN_MESSAGE {
                stats.tcp_desyncs += 1;
                stats.tcp_dropped_bytes += data.len() as u64;
                return self.desync(stats);
            }
            let Some(message) = data.get(2..2 + mlen) else {
                break;
            };
            stats.tcp_messages += 1;
            emit.message(message);
            data = data.get(2 + mlen..).unwrap_or_default();
        }
        if !data.is_empty() {
            let want = crate::bytes::be16(data, 0).map_or(2, |l| 2 + usize::from(l));
            if !self.reserve(data.len(), want, room) {
                return self.over_limit(data.len(), stats);
            }
            self.buf.extend_from_slice(data);
        }
    }
}

#[derive(Debug)]
struct Stream {
    generation: u64,
    /// Last segment time (µs).
    last_seen: u64,
    flow: u64,
    /// `[client → server, server → client]`.
    dirs: [Dir; 2],
}

impl Stream {
    fn mem(&self) -> usize {
        self.dirs[0].mem() + self.dirs[1].mem()
    }
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    max_streams: usize,
    max_stream_bytes: usize,
    max_bytes: usize,
    max_ooo: usize,
    idle_micros: u64,
}

#[derive(Debug)]
pub(crate) struct TcpTable {
    streams: HashMap<StreamKey, Stream>,
    queue: ExpiryQueue<StreamKey>,
    /// Sum of the streams' buffered bytes (buffer capacities).
    bytes: usize,
    next_generation: u64,
    limits: Limits,
}

impl TcpTable {
    pub(crate) fn new(config: &DecoderConfig) -> Self {
        TcpTable {
            streams: HashMap::new(),
            queue: ExpiryQueue::new(),
            bytes: 0,
            next_generation: 0,
            limits: Limits {
                max_streams: config.max_tcp_streams,
                max_stream_bytes: config.max_tcp_stream_bytes,
                max_bytes: config.max_tcp_bytes,
                max_ooo: config.max_tcp_ooo_segments,
                idle_micros: config.tcp_idle_timeout_secs.saturating_mul(1_000_000),
            },
        }
    }

    pub(crate) fn streams(&self) -> usize {
        self.streams.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Orients a segment between two DNS ports: an existing stream decides; otherwise the
    /// sender of a SYN is the client and the sender of a SYN-ACK the server; otherwise the
    /// destination is taken as the server.
    pub(crate) fn orient(&self, src: SocketAddr, dst: SocketAddr, flags: u8) -> (StreamKey, bool) {
        let forward = StreamKey {
            client: src,
            server: dst,
        };
        let backward = StreamKey {
            client: dst,
            server: src,
        };
        let syn_ack = flags & (FLAG_SYN | FLAG_ACK) == FLAG_SYN | FLAG_ACK;
        if self.streams.contains_key(&forward) {
            (forward, false)
        } else if self.streams.contains_key(&backward) || syn_ack {
            (backward, true)
        } else {
            (forward, false)
        }
    }

    /// Processes one segment of connection `key`, sent by the server if `from_server`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn segment(
        &mut self,
        key: StreamKey,
        from_server: bool,
        seg: Segment<'_>,
        ts: Timestamp,
        now: u64,
        stats: &mut DecodeStats,
        sink: &mut dyn FnMut(&DnsPayload<'_>),
    ) {
        let d = usize::from(from_server);
        let syn = seg.flags & FLAG_SYN != 0;
        if seg.flags & FLAG_RST != 0 {
            if self.remove(&key, stats).is_some() {
                stats.tcp_streams_closed += 1;
            }
            return;
        }
        if !self.streams.contains_key(&key) {
            if !syn && seg.payload.is_empty() {
                return;
            }
            if !self.make_room(now, stats) {
                stats.tcp_streams_over_limit += 1;
                return;
            }
            let generation = self.next_generation;
            self.next_generation += 1;
            self.queue.push(now, key.clone(), generation);
            let streams = &self.streams;
            self.queue.compact_if_needed(streams.len(), |k, g| {
                streams.get(k).is_some_and(|s| s.generation == g)
            });
            stats.tcp_streams += 1;
            self.streams.insert(
                key.clone(),
                Stream {
                    generation,
                    last_seen: now,
                    flow: flow_hash(key.client, key.server, Transport::Tcp),
                    dirs: [Dir::default(), Dir::default()],
                },
            );
        }
        let limits = self.limits;
        let Some(stream) = self.streams.get_mut(&key) else {
            return;
        };
        let before = stream.mem();
        let others = self.bytes.saturating_sub(before);
        stream.last_seen = now;

        let mut seq = seg.seq;
        if syn {
            let isn_next = seg.seq.wrapping_add(1);
            let is_syn_ack = seg.flags & FLAG_ACK != 0;
            // A retransmitted SYN (or a late SYN-ACK) changes nothing.
            let known = stream.dirs.get(d).is_some_and(|dir| {
                dir.have_seq
                    && (dir.next_seq == isn_next
                        || (is_syn_ack && seq_diff(isn_next, dir.next_seq) <= 0))
            });
            if !known {
                if !is_syn_ack {
                    // A new connection reusing the 4-tuple: forget the old one entirely.
                    for dir in &mut stream.dirs {
                        dir.drop_buffers(stats);
                        *dir = Dir::default();
                    }
                }
                if let Some(dir) = stream.dirs.get_mut(d) {
                    dir.reset(isn_next, stats);
                }
            }
            seq = isn_next;
        }

        let mut emit = Emit {
            sink,
            payload: DnsPayload {
                ts,
                transport: Transport::Tcp,
                server: key.server,
                from_server,
                flow: stream.flow,
                data: &[],
            },
            count: 0,
        };
        let room = |stream: &Stream, d: usize| {
            let other = stream.dirs.get(1 - d).map_or(0, Dir::mem);
            limits.max_stream_bytes.saturating_sub(other).min(
                limits
                    .max_bytes
                    .saturating_sub(others.saturating_add(other)),
            )
        };

        let mut from_other = 0;
        if seg.flags & FLAG_ACK != 0 {
            let r = room(stream, 1 - d);
            if let Some(other) = stream.dirs.get_mut(1 - d) {
                emit.payload.from_server = !from_server;
                other.on_ack(seg.ack, &limits, r, stats, &mut emit);
                from_other = emit.count;
                emit.payload.from_server = from_server;
            }
        }
        let r = room(stream, d);
        let mut fin_both = false;
        if let Some(dir) = stream.dirs.get_mut(d) {
            dir.data(seq, seg.payload, &limits, r, stats, &mut emit);
            if seg.flags & FLAG_FIN != 0 {
                dir.fin = true;
            }
        }
        if stream.dirs.iter().all(|dir| dir.fin) {
            fin_both = true;
        }
        let after = stream.mem();
        self.bytes = others.saturating_add(after);

        let own = emit.count - from_other;
        stats.dns_payloads += emit.count;
        stats.dns_from_server += if from_server { own } else { from_other };

        if fin_both && self.remove(&key, stats).is_some() {
            stats.tcp_streams_closed += 1;
        }
    }

    /// Ensures there is room for one more stream: expired ones go first, then the least
    /// recently queued. False if no room could be made (`max_streams` is 0).
    fn make_room(&mut self, now: u64, stats: &mut DecodeStats) -> bool {
        if self.streams.len() < self.limits.max_streams {
            return true;
        }
        self.expire(now, stats);
        while self.streams.len() >= self.limits.max_streams {
            let Some((queued_at, key, generation)) = self.queue.pop_before(None) else {
                return false;
            };
            let Some(s) = self.streams.get(&key) else {
                continue;
            };
            if s.generation != generation {
                continue;
            }
            if s.last_seen > queued_at {
                // Active since it was queued: a second chance at the back of the queue.
                self.queue.push(now.max(s.last_seen), key, generation);
                continue;
            }
            self.remove(&key, stats);
            stats.tcp_streams_over_limit += 1;
            tracing::trace!(
                streams = self.streams.len(),
                "TCP stream table full: evicted the oldest"
            );
        }
        true
    }

    /// Drops streams idle since before `now - idle timeout`.
    pub(crate) fn expire(&mut self, now: u64, stats: &mut DecodeStats) {
        let cutoff = now.saturating_sub(self.limits.idle_micros);
        let mut requeue = Vec::new();
        while let Some((_, key, generation)) = self.queue.pop_before(Some(cutoff)) {
            let Some(s) = self.streams.get(&key) else {
                continue;
            };
            if s.generation != generation {
                continue;
            }
            if s.last_seen >= cutoff {
                requeue.push((key, generation));
                continue;
            }
            self.remove(&key, stats);
            stats.tcp_stream_timeouts += 1;
        }
        for (key, generation) in requeue {
            self.queue.push(now, key, generation);
        }
    }

    /// Drops every stream, counting them as timed out.
    pub(crate) fn clear(&mut self, stats: &mut DecodeStats) {
        for (_, mut s) in self.streams.drain() {
            stats.tcp_stream_timeouts += 1;
            for dir in &mut s.dirs {
                dir.drop_buffers(stats);
            }
        }
        self.queue.clear();
        self.bytes = 0;
    }

    fn remove(&mut self, key: &StreamKey, stats: &mut DecodeStats) -> Option<()> {
        let mut s = self.streams.remove(key)?;
        self.bytes = self.bytes.saturating_sub(s.mem());
        for dir in &mut s.dirs {
            dir.drop_buffers(stats);
        }
        Some(())
    }
}
