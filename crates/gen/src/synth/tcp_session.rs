//! One exchange of the workload as a short DNS-over-TCP connection (RFC 7766), with the
//! capture time of every frame.
//!
//! The shape is that of a stub retrying over TCP after a truncated UDP answer: it opens a
//! connection, sends one query, reads one response and closes. Seen from a sensor next to
//! the stubs:
//!
//! ```text
//! t                SYN              client → server
//! t+h              SYN-ACK          server → client   (h: 0.1–1 ms, the path to the resolver)
//! t+h+10µs         ACK
//! t+h+20µs         query            (10%: the 2-byte length prefix in a segment of its own)
//! t+h+20µs+r       response         (r: the resolution time of the UDP workload; 15%: prefix
//!                                    alone first, 15%: cut in two at a random byte)
//! +10µs            ACK
//! +20µs            FIN-ACK          client closes once it has the answer
//! +h               FIN-ACK          server
//! +10µs            ACK
//! ```
//!
//! Segments that belong together are 10 µs apart so that capture order is time order.

use std::net::SocketAddr;

use rand::Rng;

use crate::error::{Error, Result};
use crate::frame::{Link, TcpSegment, tcp_flags};

/// Time between frames sent back to back by one side, µs.
const BACK_TO_BACK: u64 = 10;

/// The frames of one connection, with their capture times in µs.
pub(super) type Timed = Vec<(u64, Vec<u8>)>;

/// The two ends and their links.
pub(super) struct Ends<'a> {
    /// Client → server link.
    pub link: &'a Link,
    /// Server → client link.
    pub back: &'a Link,
    /// The stub.
    pub client: SocketAddr,
    /// The resolver (port 53).
    pub server: SocketAddr,
}

/// Sequence numbers and IP identifications of both sides while frames are built.
struct Conn<'a> {
    ends: &'a Ends<'a>,
    seq: [u32; 2],
    ip_id: [u16; 2],
    out: Timed,
}

const CLIENT: usize = 0;
const SERVER: usize = 1;

impl Conn<'_> {
    /// Appends a segment from `side` at time `t`; its payload (and SYN/FIN) advance that
    /// side's sequence number.
    fn send(&mut self, side: usize, t: u64, flags: u8, payload: &[u8]) -> Result<()> {
        let e = self.ends;
        let (src, dst, link) = if side == CLIENT {
            (e.client, e.server, e.link)
        } else {
            (e.server, e.client, e.back)
        };
        let ack = if flags & tcp_flags::ACK != 0 {
            self.seq[1 - side]
        } else {
            0
        };
        let seg = TcpSegment {
            src,
            dst,
            seq: self.seq[side],
            ack,
            flags,
            window: 65535,
            payload: payload.to_vec(),
        };
        self.out.push((t, seg.frame(link, self.ip_id[side])?));
        self.ip_id[side] = self.ip_id[side].wrapping_add(1);
        let len = u32::try_from(payload.len()).map_err(|_| Error::TooLarge {
            what: "TCP segment",
            len: payload.len(),
            limit: u32::MAX as usize,
        })?;
        let phantom = u32::from(flags & (tcp_flags::SYN | tcp_flags::FIN) != 0);
        self.seq[side] = self.seq[side].wrapping_add(len).wrapping_add(phantom);
        Ok(())
    }
}

/// A DNS message with its 2-byte length prefix.
fn framed(msg: &[u8]) -> Result<Vec<u8>> {
    let len = u16::try_from(msg.len()).map_err(|_| Error::TooLarge {
        what: "DNS message over TCP",
        len: msg.len(),
        limit: usize::from(u16::MAX),
    })?;
    let mut out = Vec::with_capacity(2 + msg.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(msg);
    Ok(out)
}

/// Where a framed message is cut into segments: after these offsets.
fn cuts<R: Rng + ?Sized>(rng: &mut R, len: usize, prefix_alone: f64, cut_share: f64) -> Vec<usize> {
    let x: f64 = rng.random();
    if x < prefix_alone {
        vec![2]
    } else if x < prefix_alone + cut_share && len > 3 {
        vec![rng.random_range(3..len)]
    } else {
        Vec::new()
    }
}

/// Sends a framed message from `side` in segments cut at `at`, back to back from `t`;
/// returns the time of the last one.
fn send_message(conn: &mut Conn<'_>, side: usize, t: u64, msg: &[u8], at: &[usize]) -> Result<u64> {
    let mut start = 0;
    let mut time = t;
    for (i, end) in at.iter().copied().chain([msg.len()]).enumerate() {
        if i > 0 {
            time += BACK_TO_BACK;
        }
        conn.send(
            side,
            time,
            tcp_flags::PSH | tcp_flags::ACK,
            &msg[start..end],
        )?;
        start = end;
    }
    Ok(time)
}

/// The frames of one query and its response over a fresh connection starting at `t`;
/// `resolve_micros` is the time between the query and the response. Every random choice
/// (handshake time, initial sequence numbers, how messages are cut) is drawn from `rng`.
pub(super) fn tcp_exchange<R: Rng + ?Sized>(
    rng: &mut R,
    ends: &Ends<'_>,
    t: u64,
    resolve_micros: u64,
    query: &[u8],
    response: &[u8],
) -> Result<Timed> {
    use tcp_flags::{ACK, FIN, SYN};
    if ends.client.is_ipv4() != ends.server.is_ipv4() {
        return Err(Error::MixedFamilies);
    }
    let handshake = rng.random_range(100..1_000);
    let mut conn = Conn {
        ends,
        seq: [rng.random(), rng.random()],
        ip_id: [rng.random(), rng.random()],
        out: Vec::with_capacity(12),
    };
    let query = framed(query)?;
    let response = framed(response)?;
    let query_cuts = cuts(rng, query.len(), 0.10, 0.0);
    let response_cuts = cuts(rng, response.len(), 0.15, 0.15);

    conn.send(CLIENT, t, SYN, &[])?;
    let t = t + handshake;
    conn.send(SERVER, t, SYN | ACK, &[])?;
    conn.send(CLIENT, t + BACK_TO_BACK, ACK, &[])?;
    let t = send_message(&mut conn, CLIENT, t + 2 * BACK_TO_BACK, &query, &query_cuts)?;
    let t = send_message(
        &mut conn,
        SERVER,
        t + resolve_micros,
        &response,
        &response_cuts,
    )?;
    conn.send(CLIENT, t + BACK_TO_BACK, ACK, &[])?;
    let t = t + 2 * BACK_TO_BACK;
    conn.send(CLIENT, t, FIN | ACK, &[])?;
    let t = t + handshake;
    conn.send(SERVER, t, FIN | ACK, &[])?;
    conn.send(CLIENT, t + BACK_TO_BACK, ACK, &[])?;
    Ok(conn.out)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn a_connection_is_time_ordered_and_carries_both_messages() -> Result<()> {
        let link = Link::Raw;
        let ends = Ends {
            link: &link,
            back: &link,
            client: "192.0.2.1:40000"
                .parse()
                .map_err(|_| Error::Invalid("addr".into()))?,
            server: "192.0.2.53:53"
                .parse()
                .map_err(|_| Error::Invalid("addr".into()))?,
        };
        let query = vec![7u8; 30];
        let response = vec![9u8; 200];
        for seed in 0..50 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let frames = tcp_exchange(&mut rng, &ends, 1_000, 500, &query, &response)?;
            assert!((9..=11).contains(&frames.len()), "{}", frames.len());
            assert!(frames.windows(2).all(|w| w[0].0 < w[1].0));
            // Raw IPv4, 20-byte IP header, 20- or 24-byte TCP header.
            let payload: usize = frames
                .iter()
                .map(|(_, f)| f.len() - 20 - usize::from(f[32] >> 4) * 4)
                .sum();
            assert_eq!(payload, 2 + query.len() + 2 + response.len());
        }
        Ok(())
    }
}
