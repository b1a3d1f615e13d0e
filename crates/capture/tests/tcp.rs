//! DNS over TCP with hand-built segments.

#![allow(clippy::unwrap_used)] // integration tests: a failed unwrap is a failed test

mod common;

use common::*;
use hearsay_capture::{DecoderConfig, Timestamp, Transport};

/// Builds the segments of one connection CLIENT4:`port` ↔ SERVER4:53.
struct Conn {
    port: u16,
    /// Next sequence number of each side: [client, server].
    seq: [u32; 2],
}

impl Conn {
    fn new(port: u16, isn_client: u32, isn_server: u32) -> Conn {
        Conn {
            port,
            seq: [isn_client, isn_server],
        }
    }

    /// A segment from the client (`server = false`) or server at an explicit sequence number.
    fn at(&self, server: bool, seq: u32, flags: u8, data: &[u8]) -> Vec<u8> {
        let ack = self.seq[usize::from(!server)];
        let t = if server {
            tcp(53, self.port, seq, ack, flags, data)
        } else {
            tcp(self.port, 53, seq, ack, flags, data)
        };
        if server {
            ipv4(SERVER4, CLIENT4, 6, (0, 0, false), &t)
        } else {
            ipv4(CLIENT4, SERVER4, 6, (0, 0, false), &t)
        }
    }

    /// The next in-order segment from one side, advancing its sequence number.
    fn send(&mut self, server: bool, flags: u8, data: &[u8]) -> Vec<u8> {
        let i = usize::from(server);
        let seq = self.seq[i];
        let p = self.at(server, seq, flags, data);
        self.seq[i] = seq
            .wrapping_add(data.len() as u32)
            .wrapping_add(u32::from(flags & (SYN | FIN) != 0));
        p
    }

    fn handshake(&mut self, f: &mut Feeder) {
        let p = self.send(false, SYN, &[]);
        f.raw(&p);
        let p = self.send(true, SYN | ACK, &[]);
        f.raw(&p);
        let p = self.send(false, ACK, &[]);
        f.raw(&p);
    }
}

/// A length-prefixed message.
fn framed(m: &[u8]) -> Vec<u8> {
    let mut v = (m.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(m);
    v
}

fn feeder() -> Feeder {
    Feeder::new(DecoderConfig::default())
}

#[test]
fn length_prefix_split_across_three_segments() {
    let mut f = feeder();
    let mut c = Conn::new(40000, 1000, 5000);
    c.handshake(&mut f);
    let q = dns(1, false, 60);
    let wire = framed(&q);
    for part in [&wire[..1], &wire[1..12], &wire[12..]] {
        let p = c.send(false, ACK | PSH, part);
        f.raw(&p);
    }
    let out = f.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data, q);
    assert!(!out[0].from_server);
    assert_eq!(out[0].transport, Transport::Tcp);
    assert_eq!(out[0].server, "198.51.100.53:53".parse().unwrap());

    let r = dns(1, true, 300);
    let p = c.send(true, ACK | PSH, &framed(&r));
    f.raw(&p);
    let resp = f.take();
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].data, r);
    assert!(resp[0].from_server);
    assert_eq!(resp[0].flow, out[0].flow);
    assert_eq!(f.stats().tcp_messages, 2);
    assert_eq!(f.stats().dns_from_server, 1);

    // Close: FIN both ways removes the stream.
    let p = c.send(false, FIN | ACK, &[]);
    f.raw(&p);
    let p = c.send(true, FIN | ACK, &[]);
    f.raw(&p);
    assert_eq!(f.decoder.usage().tcp_streams, 0);
    assert_eq!(f.stats().tcp_streams_closed, 1);
    // The last ACK does not resurrect it.
    let p = c.send(false, ACK, &[]);
    f.raw(&p);
    assert_eq!(f.decoder.usage().tcp_streams, 0);
}

#[test]
fn several_messages_in_one_segment() {
    let mut f = feeder();
    let mut c = Conn::new(40001, 1, 1);
    c.handshake(&mut f);
    let msgs: Vec<Vec<u8>> = (0..3).map(|i| dns(i, false, 20 + usize::from(i))).collect();
    let mut wire: Vec<u8> = msgs.iter().flat_map(|m| framed(m)).collect();
    let fourth = framed(&dns(3, false, 50));
    wire.extend_from_slice(&fourth[..30]);
    let p = c.send(false, ACK | PSH, &wire);
    f.raw(&p);
    let out = f.take();
    assert_eq!(out.iter().map(|o| o.data.clone()).collect::<Vec<_>>(), msgs);
    assert!(f.decoder.usage().tcp_bytes > 0);
    let p = c.send(false, ACK | PSH, &fourth[30..]);
    f.raw(&p);
    let out = f.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id(), 3);
    // Only the (small) message buffer is kept for reuse: 2 + 50 bytes.
    assert_eq!(f.decoder.usage().tcp_bytes, 52);
}

#[test]
fn out_of_order_and_retransmitted_segments() {
    let mut f = feeder();
    let mut c = Conn::new(40002, 100, 9000);
    c.handshake(&mut f);
    let r1 = dns(0xa, true, 100);
    let r2 = dns(0xb, true, 40);
    let mut wire = framed(&r1);
    wire.extend_from_slice(&framed(&r2));
    let base = c.seq[1];
    // Segments: [0,50) [50,90) [90,146)
    let seg = |c: &Conn, a: usize, b: usize| c.at(true, base + a as u32, ACK, &wire[a..b]);
    let (s1, s2, s3) = (seg(&c, 0, 50), seg(&c, 50, 90), seg(&c, 90, wire.len()));
    f.raw(&s3);
    f.raw(&s2);
    assert!(f.out.is_empty());
    assert_eq!(f.stats().tcp_out_of_order_segments, 2);
    f.raw(&s1);
    let out = f.take();
    assert_eq!(
        out.iter().map(|o| o.data.clone()).collect::<Vec<_>>(),
        [r1.clone(), r2.clone()]
    );
    // Retransmissions: whole and overlapping.
    f.raw(&s1);
    f.raw(&s2);
    f.raw(&seg(&c, 40, wire.len()));
    assert!(f.take().is_empty());
    assert_eq!(f.stats().tcp_retransmitted_segments, 3);
    // Overlap extending past what was seen: only the new bytes count.
    c.seq[1] = base + wire.len() as u32;
    let r3 = framed(&dns(0xc, true, 30));
    let mut overlap = wire[wire.len() - 10..].to_vec();
    overlap.extend_from_slice(&r3);
    f.raw(&c.at(true, base + wire.len() as u32 - 10, ACK, &overlap));
    let out = f.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id(), 0xc);
    assert_eq!(f.stats().tcp_gaps + f.stats().tcp_desyncs, 0);
}

#[test]
fn midstream_pickup_and_desync_recovery() {
    let mut f = feeder();
    let c = Conn::new(40003, 7, 70_000);
    // No handshake: the server's first segment starts a message.
    let r = dns(0x42, true, 80);
    f.raw(&c.at(true, 70_000, ACK | PSH, &framed(&r)));
    let out = f.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data, r);
    assert_eq!(f.stats().tcp_midstream_syncs, 1);

    // Junk: a length prefix of 3 is no DNS message. The direction resyncs on its next segment.
    let next = 70_000 + 82;
    f.raw(&c.at(true, next, ACK | PSH, &[0, 3, 1, 2, 3, 0xff, 0xff]));
    assert_eq!(f.stats().tcp_desyncs, 1);
    let r2 = dns(0x43, true, 20);
    f.raw(&c.at(true, next + 7, ACK | PSH, &framed(&r2)));
    let out = f.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data, r2);
    // A stale retransmission of the junk does not resync at the wrong place.
    f.raw(&c.at(true, next, ACK | PSH, &[0, 3, 1, 2, 3, 0xff, 0xff]));
    assert_eq!(f.stats().tcp_desyncs, 1);
}

#[test]
fn holes_proven_lost_by_acks_become_gaps() {
    let mut f = feeder();
    let mut c = Conn::new(40004, 10, 20);
    c.handshake(&mut f);
    let base = c.seq[1];
    let r1 = framed(&dns(1, true, 200));
    let r2 = framed(&dns(2, true, 60));
    // First 100 bytes of r1 arrive; bytes 100..202 are lost by the capture; r2 arrives.
    f.raw(&c.at(true, base, ACK, &r1[..100]));
    f.raw(&c.at(true, base + r1.len() as u32, ACK | PSH, &r2));
    assert!(f.out.is_empty());
    // The client acknowledges everything: the hole will never be retransmitted.
    c.seq[1] = base + (r1.len() + r2.len()) as u32;
    let p = c.send(false, ACK, &[]);
    f.raw(&p);
    let out = f.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id(), 2);
    assert!(out[0].from_server);
    assert_eq!(f.stats().tcp_gaps, 1);
    assert_eq!(f.stats().dns_from_server, 1);
}

#[test]
fn holes_without_acks_give_up_after_too_many_segments() {
    let config = DecoderConfig {
        max_tcp_ooo_segments: 4,
        ..DecoderConfig::default()
    };
    let mut f = Feeder::new(config);
    let c = Conn::new(40005, 1, 1);
    let msgs: Vec<Vec<u8>> = (0..8).map(|i| framed(&dns(i, true, 30))).collect();
    // Start mid-stream with message 0, lose message 1, then 2..8 arrive.
    let mut seq = 500u32;
    for (i, m) in msgs.iter().enumerate() {
        if i != 1 {
            f.raw(&c.at(true, seq, PSH, m));
        }
        seq += m.len() as u32;
    }
    let ids: Vec<u16> = f.take().iter().map(Owned::id).collect();
    assert_eq!(ids, [0, 2, 3, 4, 5, 6, 7]);
    assert_eq!(f.stats().tcp_gaps, 1);
}

#[test]
fn rst_and_sequence_wraparound() {
    let mut f = feeder();
    let mut c = Conn::new(40006, u32::MAX - 5, u32::MAX - 100);
    c.handshake(&mut f);
    let m = dns(9, false, 64);
    let wire = framed(&m);
    let p = c.send(false, ACK, &wire[..3]);
    f.raw(&p);
    let p = c.send(false, ACK | PSH, &wire[3..]);
    f.raw(&p);
    assert_eq!(f.take().len(), 1);
    let r = dns(9, true, 300);
    let p = c.send(true, ACK | PSH, &framed(&r));
    f.raw(&p);
    assert_eq!(f.take()[0].data, r);
    let p = c.send(false, RST, &[]);
    f.raw(&p);
    assert_eq!(f.decoder.usage(), Default::default());
    assert_eq!(f.stats().tcp_streams_closed, 1);
}

#[test]
fn largest_message_in_many_segments() {
    let mut f = feeder();
    let mut c = Conn::new(40007, 0, 0);
    c.handshake(&mut f);
    let r = dns(0xffff, true, 65535);
    let wire = framed(&r);
    for chunk in wire.chunks(1448) {
        let p = c.send(true, ACK, chunk);
        f.raw(&p);
    }
    let out = f.take();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data, r);
    // The big buffer is released once the message is out.
    assert!(f.decoder.usage().tcp_bytes <= 4096);
}

#[test]
fn port_reuse_and_both_ports_53() {
    let mut f = feeder();
    let mut c = Conn::new(40008, 1, 1);
    c.handshake(&mut f);
    let p = c.send(false, ACK, &framed(&dns(1, false, 30))[..10]);
    f.raw(&p);
    // A new connection on the same 4-tuple with a new ISN: the old partial is dropped.
    let mut c2 = Conn::new(40008, 50_000, 60_000);
    c2.handshake(&mut f);
    let p = c2.send(false, ACK, &framed(&dns(2, false, 30)));
    f.raw(&p);
    let out = f.take();
    assert_eq!(out.iter().map(Owned::id).collect::<Vec<_>>(), [2]);
    assert_eq!(f.decoder.usage().tcp_streams, 1);

    // Both ports 53: the SYN's sender is the client.
    let syn = ipv4(
        CLIENT4,
        SERVER4,
        6,
        (0, 0, false),
        &tcp(53, 53, 10, 0, SYN, &[]),
    );
    let synack = ipv4(
        SERVER4,
        CLIENT4,
        6,
        (0, 0, false),
        &tcp(53, 53, 20, 11, SYN | ACK, &[]),
    );
    let q = ipv4(
        CLIENT4,
        SERVER4,
        6,
        (0, 0, false),
        &tcp(53, 53, 11, 21, ACK, &framed(&dns(5, false, 20))),
    );
    let r = ipv4(
        SERVER4,
        CLIENT4,
        6,
        (0, 0, false),
        &tcp(53, 53, 21, 33, ACK, &framed(&dns(5, true, 20))),
    );
    for p in [syn, synack, q, r] {
        f.raw(&p);
    }
    let out = f.take();
    assert_eq!(out.len(), 2);
    assert!(!out[0].from_server && out[1].from_server);
    assert_eq!(out[0].server, "198.51.100.53:53".parse().unwrap());
    assert_eq!(out[1].server, out[0].server);
    assert_eq!(out[0].flow, out[1].flow);
}

#[test]
fn streams_over_limit_and_idle_timeout() {
    let config = DecoderConfig {
        max_tcp_streams: 4,
        tcp_idle_timeout_secs: 10,
        ..DecoderConfig::default()
    };
    let mut f = Feeder::new(config);
    for port in 0..10u16 {
        let mut c = Conn::new(41000 + port, 1, 1);
        c.handshake(&mut f);
        let p = c.send(false, ACK, &[0, 40, 1, 2]);
        f.raw(&p);
    }
    assert_eq!(f.decoder.usage().tcp_streams, 4);
    assert_eq!(f.stats().tcp_streams_over_limit, 6);
    assert_eq!(f.stats().tcp_streams, 10);
    // The newest stream still works.
    let c = Conn::new(41009, 1, 1);
    let rest = dns(0, false, 40);
    f.raw(&c.at(false, 2 + 4, ACK | PSH, &rest[2..]));
    assert_eq!(f.take().len(), 1);
    // Idle streams expire.
    f.decoder.expire(Timestamp::new(1_000_000, 0));
    assert_eq!(f.decoder.usage(), Default::default());
    assert_eq!(f.stats().tcp_stream_timeouts, 4);
}

#[test]
fn byte_limits_drop_data_not_memory_safety() {
    let config = DecoderConfig {
        max_tcp_stream_bytes: 1000,
        max_tcp_bytes: 2500,
        ..DecoderConfig::default()
    };
    let mut f = Feeder::new(config);
    // A 5000-byte message cannot be buffered under a 1000-byte stream limit.
    let mut c = Conn::new(42000, 1, 1);
    c.handshake(&mut f);
    let wire = framed(&dns(1, true, 5000));
    for chunk in wire.chunks(700) {
        let p = c.send(true, ACK, chunk);
        f.raw(&p);
        assert!(f.decoder.usage().tcp_bytes <= 1000);
    }
    assert!(f.take().is_empty());
    assert!(f.stats().tcp_bytes_over_limit >= 1);
    // Small messages still pass on that stream afterwards (resync on the next segment).
    let p = c.send(true, ACK | PSH, &framed(&dns(2, true, 100)));
    f.raw(&p);
    assert_eq!(f.take().iter().map(Owned::id).collect::<Vec<_>>(), [2]);

    // The total limit holds across streams.
    for port in 0..20u16 {
        let mut c = Conn::new(43000 + port, 1, 1);
        c.handshake(&mut f);
        let p = c.send(false, ACK, &framed(&dns(3, false, 900))[..800]);
        f.raw(&p);
        assert!(f.decoder.usage().tcp_bytes <= 2500);
    }
    assert!(f.stats().tcp_bytes_over_limit > 1);
}
