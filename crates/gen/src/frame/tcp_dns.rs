//! A whole DNS-over-TCP exchange (RFC 7766) as frames.

use std::net::SocketAddr;

use super::link::Link;
use super::tcp::{TcpSegment, tcp_flags};
use crate::error::{Error, Result};
use crate::time::{Packet, Timestamp};

/// How a DNS-over-TCP exchange is cut into segments. The defaults give a clean connection:
/// handshake, each message with its length prefix in one segment, ACK, FIN exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpDnsOptions {
    /// Start with SYN, SYN-ACK, ACK (otherwise the capture starts mid-connection).
    pub handshake: bool,
    /// End with FIN from the client, FIN from the server, final ACK.
    pub close: bool,
    /// Send each 2-byte length prefix in a segment of its own (as some stubs do).
    pub split_length_prefix: bool,
    /// Concatenate all messages of a direction into one stream before cutting it into
    /// segments, so that two messages can share a segment (overrides `split_length_prefix`).
    pub coalesce: bool,
    /// Largest payload per segment; longer messages span several segments.
    pub max_segment: usize,
    /// Swap the first two server data segments in capture order (a one-message response is
    /// first cut in two so that there is something to swap).
    pub reorder: bool,
    /// Retransmit the first server data segment after the last one.
    pub duplicate: bool,
    /// Client's initial sequence number.
    pub client_isn: u32,
    /// Server's initial sequence number.
    pub server_isn: u32,
    /// Time between consecutive packets.
    pub gap_micros: u64,
}

impl Default for TcpDnsOptions {
    fn default() -> Self {
        Self {
            handshake: true,
            close: true,
            split_length_prefix: false,
            coalesce: false,
            max_segment: 1460,
            reorder: false,
            duplicate: false,
            client_isn: 0x1000_0000,
            server_isn: 0x2000_0000,
            gap_micros: 200,
        }
    }
}

/// Cuts one direction's messages into segment payloads.
fn chunks(messages: &[&[u8]], opts: &TcpDnsOptions) -> Result<Vec<Vec<u8>>> {
    let mss = opts.max_segment.max(1);
    let mut framed: Vec<(Vec<u8>, &[u8])> = Vec::with_capacity(messages.len());
    for m in messages {
        let len = u16::try_from(m.len()).map_err(|_| Error::TooLarge {
            what: "DNS message over TCP",
            len: m.len(),
            limit: usize::from(u16::MAX),
        })?;
        framed.push((len.to_be_bytes().to_vec(), m));
    }
    let mut out = Vec::new();
    if opts.coalesce {
        let stream: Vec<u8> = framed
            .iter()
            .flat_map(|(p, m)| p.iter().chain(m.iter()).copied())
            .collect();
        out.extend(stream.chunks(mss).map(<[u8]>::to_vec));
    } else {
        for (prefix, m) in framed {
            if opts.split_length_prefix {
                out.push(prefix);
                out.extend(m.chunks(mss).map(<[u8]>::to_vec));
            } else {
                let mut whole = prefix;
                whole.extend_from_slice(m);
                out.extend(whole.chunks(mss).map(<[u8]>::to_vec));
            }
        }
    }
    Ok(out)
}

/// The frames of a DNS-over-TCP connection from `client` to `server`: the client sends all
/// `queries`, the server all `responses`. `link` is the client→server link; the answer
/// direction uses [`Link::reversed`]. Packets are `gap_micros` apart from `start`, in capture
/// order (which differs from sequence order when `reorder` is set).
pub fn tcp_dns_packets(
    link: &Link,
    client: SocketAddr,
    server: SocketAddr,
    start: Timestamp,
    queries: &[&[u8]],
    responses: &[&[u8]],
    opts: &TcpDnsOptions,
) -> Result<Vec<Packet>> {
    if client.is_ipv4() != server.is_ipv4() {
        return Err(Error::MixedFamilies);
    }
    let back = link.reversed();
    let mut b = Builder {
        packets: Vec::new(),
        t: start.as_micros(),
        gap: opts.gap_micros,
        ip_id: [0x4000, 0x8000],
    };
    use tcp_flags::{ACK, FIN, PSH, SYN};
    let seg = |from_client: bool, seq: u32, ack: u32, flags: u8, payload: Vec<u8>| {
        let (src, dst) = if from_client {
            (client, server)
        } else {
            (server, client)
        };
        TcpSegment {
            src,
            dst,
            seq,
            ack,
            flags,
            window: 65535,
            payload,
        }
    };

    let mut cseq = opts.client_isn.wrapping_add(1);
    let mut sseq = opts.server_isn.wrapping_add(1);
    if opts.handshake {
        b.push(link, true, &seg(true, opts.client_isn, 0, SYN, Vec::new()))?;
        b.push(
            &back,
            false,
            &seg(false, opts.server_isn, cseq, SYN | ACK, Vec::new()),
        )?;
        b.push(link, true, &seg(true, cseq, sseq, ACK, Vec::new()))?;
    }

    for c in chunks(queries, opts)? {
        let len = c.len() as u32;
        b.push(link, true, &seg(true, cseq, sseq, PSH | ACK, c))?;
        cseq = cseq.wrapping_add(len);
    }

    let mut server_chunks = chunks(responses, opts)?;
    if opts.reorder && server_chunks.len() == 1 && server_chunks[0].len() >= 2 {
        let mid = server_chunks[0].len() / 2;
        let second = server_chunks[0].split_off(mid);
        server_chunks.push(second);
    }
    let mut server_segs = Vec::with_capacity(server_chunks.len() + 1);
    for c in server_chunks {
        let len = c.len() as u32;
        server_segs.push(seg(false, sseq, cseq, PSH | ACK, c));
        sseq = sseq.wrapping_add(len);
    }
    let first = server_segs.first().cloned();
    if opts.reorder && server_segs.len() >= 2 {
        server_segs.swap(0, 1);
    }
    if opts.duplicate
        && let Some(first) = first
    {
        server_segs.push(first);
    }
    for s in &server_segs {
        b.push(&back, false, s)?;
    }
    if !server_segs.is_empty() {
        b.push(link, true, &seg(true, cseq, sseq, ACK, Vec::new()))?;
    }

    if opts.close {
        b.push(link, true, &seg(true, cseq, sseq, FIN | ACK, Vec::new()))?;
        cseq = cseq.wrapping_add(1);
        b.push(&back, false, &seg(false, sseq, cseq, FIN | ACK, Vec::new()))?;
        sseq = sseq.wrapping_add(1);
        b.push(link, true, &seg(true, cseq, sseq, ACK, Vec::new()))?;
    }
    Ok(b.packets)
}

struct Builder {
    packets: Vec<Packet>,
    t: u64,
    gap: u64,
    ip_id: [u16; 2],
}

impl Builder {
    fn push(&mut self, link: &Link, from_client: bool, seg: &TcpSegment) -> Result<()> {
        let dir = usize::from(!from_client);
        let frame = seg.frame(link, self.ip_id[dir])?;
        self.ip_id[dir] = self.ip_id[dir].wrapping_add(1);
        self.packets
            .push(Packet::new(Timestamp::from_micros(self.t), frame));
        self.t += self.gap;
        Ok(())
    }
}
