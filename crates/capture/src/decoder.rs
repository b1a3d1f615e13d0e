//! The decoder: frames in, DNS payloads out.

use std::net::SocketAddr;

use crate::bytes::{be16, be32, u8_at};
use crate::flow::{PortSet, flow_hash};
use crate::frag::{FragKey, FragTable, Outcome};
use crate::ip::{self, IpError, IpPacket, PROTO_IPV4, PROTO_IPV6, PROTO_TCP, PROTO_UDP};
use crate::link::{self, IpKind, LinkError};
use crate::stats::BufferUsage;
use crate::tcp::{Segment, TcpTable};
use crate::{DecodeStats, DecoderConfig, DnsPayload, Timestamp, Transport};

/// Smallest DNS message: the 12-byte header.
const MIN_DNS: usize = 12;

/// Turns captured frames into DNS messages.
///
/// One decoder holds the reassembly state of the traffic it is fed: feed it all frames of
/// one capture (or one shard of it, split by a hash of the address pair), in capture order.
/// It never panics, whatever the bytes; everything it skips is counted in [`stats`](Self::stats).
pub struct Decoder {
    ports: PortSet,
    max_depth: u8,
    frags: FragTable,
    tcp: TcpTable,
    stats: DecodeStats,
    /// Latest timestamp seen (µs), used as the clock for timeouts.
    now: u64,
    /// Second of the last opportunistic expiry.
    last_expire_secs: u64,
    config: DecoderConfig,
}

impl std::fmt::Debug for Decoder {
    /// Shows configuration, counters and usage; never the tables (they hold client addresses).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("config", &self.config)
            .field("usage", &self.usage())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Per-frame facts carried down the layers.
#[derive(Clone, Copy)]
struct Ctx {
    ts: Timestamp,
    /// The frame was cut by the snaplen.
    cut: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DecoderConfig::default())
    }
}

impl Decoder {
    /// A decoder with the given configuration.
    pub fn new(config: DecoderConfig) -> Self {
        Decoder {
            ports: PortSet::new(&config.dns_ports),
            max_depth: config.max_ip_depth.max(1),
            frags: FragTable::new(&config),
            tcp: TcpTable::new(&config),
            stats: DecodeStats::default(),
            now: 0,
            last_expire_secs: 0,
            config,
        }
    }

    /// The configuration this decoder was made with.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Counters so far.
    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// Reassembly state held right now.
    pub fn usage(&self) -> BufferUsage {
        BufferUsage {
            fragment_trains: self.frags.trains(),
            fragment_bytes: self.frags.bytes(),
            tcp_streams: self.tcp.streams(),
            tcp_bytes: self.tcp.bytes(),
        }
    }

    /// Counts a read error that ended a packet source (used by [`decode_file`](crate::decode_file)).
    pub fn count_source_error(&mut self) {
        self.stats.source_errors += 1;
    }

    /// Decodes one captured frame of the given libpcap link type (see [`linktype`](crate::linktype)).
    /// `orig_len` is the frame's length on the wire (the captured `frame` may be shorter: snaplen cut).
    /// Every DNS message found is passed to `sink`, borrowed from the frame or from
    /// reassembly buffers.
    pub fn decode(
        &mut self,
        linktype: i32,
        ts: Timestamp,
        frame: &[u8],
        orig_len: u32,
        sink: &mut dyn FnMut(&DnsPayload<'_>),
    ) {
        self.stats.frames += 1;
        self.stats.bytes += frame.len() as u64;
        let micros = ts.as_micros();
        if micros > self.now {
            self.now = micros;
            if ts.secs > self.last_expire_secs {
                self.last_expire_secs = ts.secs;
                self.expire_micros(micros);
            }
        }
        let ctx = Ctx {
            ts,
            cut: (frame.len() as u64) < u64::from(orig_len),
        };
        let net = match link::network(linktype, frame) {
            Ok(net) => net,
            Err(LinkError::Unsupported) => {
                self.stats.unsupported_linktype += 1;
                return;
            }
            Err(LinkError::NotIp) => {
                self.stats.not_ip += 1;
                return;
            }
            Err(LinkError::Malformed) => {
                self.stats.malformed_link += 1;
                return;
            }
            Err(LinkError::Short) => {
                if ctx.cut {
                    self.stats.snaplen_truncated += 1;
                } else {
                    self.stats.malformed_link += 1;
                }
                return;
            }
        };
        let kind = match net.kind {
            IpKind::Sniff => match u8_at(net.data, 0).map(|b| b >> 4) {
                Some(4) => IpKind::V4,
                Some(6) => IpKind::V6,
                Some(_) => {
                    self.stats.not_ip += 1;
                    return;
                }
                None => {
                    self.count_short(ctx, false);
                    return;
                }
            },
            k => k,
        };
        self.ip(kind, net.data, ctx, 1, sink);
    }

    /// Expires fragment trains and TCP streams idle since before `now - timeout`. Call it
    /// periodically when traffic may stop; `decode` also does it once per second of
    /// capture time.
    pub fn expire(&mut self, now: Timestamp) {
        self.expire_micros(now.as_micros());
    }

    /// Drops all reassembly state (at the end of the input), counting incomplete fragment
    /// trains as `fragment_timeouts` and open TCP streams as `tcp_stream_timeouts`.
    pub fn finish(&mut self) {
        let usage = self.usage();
        if usage != BufferUsage::default() {
            tracing::debug!(
                fragment_trains = usage.fragment_trains,
                tcp_streams = usage.tcp_streams,
                "dropping incomplete reassembly state"
            );
        }
        self.frags.clear(&mut self.stats);
        self.tcp.clear(&mut self.stats);
    }

    fn expire_micros(&mut self, now: u64) {
        self.frags.expire(now, &mut self.stats);
        self.tcp.expire(now, &mut self.stats);
    }

    /// Counts data missing at the end of the captured frame.
    fn count_short(&mut self, ctx: Ctx, length_field: bool) {
        if ctx.cut {
            self.stats.snaplen_truncated += 1;
        } else if length_field {
            self.stats.ip_truncated += 1;
        } else {
            self.stats.malformed_ip += 1;
        }
    }

    fn ip(
        &mut self,
        kind: IpKind,
        data: &[u8],
        ctx: Ctx,
        depth: u8,
        sink: &mut dyn FnMut(&DnsPayload<'_>),
    ) {
        if depth > self.max_depth {
            self.stats.tunnel_depth_exceeded += 1;
            return;
        }
        let parsed = match kind {
            IpKind::V6 => ip::ipv6(data),
            _ => ip::ipv4(data),
        };
        let packet = match parsed {
            Ok(p) => p,
            Err(e) => return self.count_ip_error(e, ctx),
        };
        match packet.frag {
            None => self.transport(packet, ctx, depth, sink),
            Some(frag) => {
                self.stats.ip_fragments += 1;
                let interesting = if frag.offset == 0 {
                    self.first_fragment_interest(kind, &packet)
                } else {
                    None
                };
                let key = FragKey {
                    src: packet.src,
                    dst: packet.dst,
                    id: frag.id,
                    proto: packet.proto,
                };
                let outcome = self.frags.insert(
                    key,
                    frag,
                    packet.payload,
                    interesting,
                    self.now,
                    &mut self.stats,
                );
                if let Outcome::Complete(datagram) = outcome {
                    self.reassembled(kind, packet, &datagram, ctx, depth, sink);
                }
            }
        }
    }

    fn count_ip_error(&mut self, e: IpError, ctx: Ctx) {
        match e {
            IpError::Short => self.count_short(ctx, false),
            IpError::Truncated => self.count_short(ctx, true),
            IpError::Malformed => self.stats.malformed_ip += 1,
            IpError::Ext => {
                if ctx.cut {
                    self.stats.snaplen_truncated += 1;
                } else {
                    self.stats.malformed_ipv6_ext += 1;
                }
            }
            IpError::NoPayload => self.stats.ipv6_no_payload += 1,
        }
    }

    /// For a first fragment: `Some(false)` if its transport ports show it is not DNS.
    fn first_fragment_interest(&self, kind: IpKind, packet: &IpPacket<'_>) -> Option<bool> {
        let (proto, l4) = match kind {
            IpKind::V6 => match ip::ipv6_chain(packet.proto, packet.payload, false) {
                Ok((proto, l4, None)) => (proto, l4),
                _ => return None,
            },
            _ => (packet.proto, packet.payload),
        };
        if proto != PROTO_UDP && proto != PROTO_TCP {
            return None;
        }
        let sport = be16(l4, 0)?;
        let dport = be16(l4, 2)?;
        Some(self.ports.contains(sport) || self.ports.contains(dport))
    }

    fn reassembled(
        &mut self,
        kind: IpKind,
        first: IpPacket<'_>,
        datagram: &[u8],
        ctx: Ctx,
        depth: u8,
        sink: &mut dyn FnMut(&DnsPayload<'_>),
    ) {
        // The reassembled data is whole: no snaplen cut applies to it.
        let ctx = Ctx { cut: false, ..ctx };
        let (proto, payload) = match kind {
            IpKind::V6 => match ip::ipv6_chain(first.proto, datagram, false) {
                Ok((proto, payload, _)) => (proto, payload),
                Err(e) => return self.count_ip_error(e, ctx),
            },
            _ => (first.proto, datagram),
        };
        let packet = IpPacket {
            proto,
            payload,
            frag: None,
            ..first
        };
        self.transport(packet, ctx, depth, sink);
    }

    fn transport(
        &mut self,
        packet: IpPacket<'_>,
        ctx: Ctx,
        depth: u8,
        sink: &mut dyn FnMut(&DnsPayload<'_>),
    ) {
        match packet.proto {
            PROTO_UDP => self.udp(packet, ctx, sink),
            PROTO_TCP => self.tcp(packet, ctx, sink),
            PROTO_IPV4 => self.ip(IpKind::V4, packet.payload, ctx, depth + 1, sink),
            PROTO_IPV6 => self.ip(IpKind::V6, packet.payload, ctx, depth + 1, sink),
            _ => self.stats.other_ip_proto += 1,
        }
    }

    fn udp(&mut self, packet: IpPacket<'_>, ctx: Ctx, sink: &mut dyn FnMut(&DnsPayload<'_>)) {
        let data = packet.payload;
        let (Some(sport), Some(dport), Some(ulen)) = (be16(data, 0), be16(data, 2), be16(data, 4))
        else {
            return self.count_short_l4(ctx, true);
        };
        let src_dns = self.ports.contains(sport);
        let dst_dns = self.ports.contains(dport);
        if !src_dns && !dst_dns {
            self.stats.not_dns_port += 1;
            return;
        }
        let ulen = usize::from(ulen);
        if ulen < 8 {
            self.stats.malformed_udp += 1;
            return;
        }
        let Some(payload) = data.get(8..ulen) else {
            return self.count_short_l4(ctx, true);
        };
        if payload.len() < MIN_DNS {
            self.stats.dns_too_short += 1;
            return;
        }
        // Between two DNS ports, the QR bit tells who answers.
        let from_server = if src_dns && dst_dns {
            u8_at(payload, 2).is_some_and(|b| b & 0x80 != 0)
        } else {
            src_dns
        };
        let src = SocketAddr::new(packet.src, sport);
        let dst = SocketAddr::new(packet.dst, dport);
        let (client, server) = if from_server { (dst, src) } else { (src, dst) };
        self.stats.dns_payloads += 1;
        if from_server {
            self.stats.dns_from_server += 1;
        }
        sink(&DnsPayload {
            ts: ctx.ts,
            transport: Transport::Udp,
            server,
            from_server,
            flow: flow_hash(client, server, Transport::Udp),
            data: payload,
        });
    }

    /// A transport header or payload runs past the data.
    fn count_short_l4(&mut self, ctx: Ctx, udp: bool) {
        if ctx.cut {
            self.stats.snaplen_truncated += 1;
        } else if udp {
            self.stats.malformed_udp += 1;
        } else {
            self.stats.malformed_tcp += 1;
        }
    }

    fn tcp(&mut self, packet: IpPacket<'_>, ctx: Ctx, sink: &mut dyn FnMut(&DnsPayload<'_>)) {
        let data = packet.payload;
        let (Some(sport), Some(dport), Some(seq), Some(ack), Some(off), Some(flags)) = (
            be16(data, 0),
            be16(data, 2),
            be32(data, 4),
            be32(data, 8),
            u8_at(data, 12),
            u8_at(data, 13),
        ) else {
            return self.count_short_l4(ctx, false);
        };
        let src_dns = self.ports.contains(sport);
        let dst_dns = self.ports.contains(dport);
        if !src_dns && !dst_dns {
            self.stats.not_dns_port += 1;
            return;
        }
        let hlen = usize::from(off >> 4) * 4;
        if hlen < 20 {
            self.stats.malformed_tcp += 1;
            return;
        }
        let Some(payload) = data.get(hlen..) else {
            return self.count_short_l4(ctx, false);
        };
        self.stats.tcp_segments += 1;
        let src = SocketAddr::new(packet.src, sport);
        let dst = SocketAddr::new(packet.dst, dport);
        let (key, from_server) = if src_dns && dst_dns {
            self.tcp.orient(src, dst, flags)
        } else if src_dns {
            (
                crate::tcp::StreamKey {
                    client: dst,
                    server: src,
                },
                true,
            )
        } else {
            (
                crate::tcp::StreamKey {
                    client: src,
                    server: dst,
                },
                false,
            )
        };
        let seg = Segment {
            seq,
            ack,
            flags,
            payload,
        };
        self.tcp.segment(
            key,
            from_server,
            seg,
            ctx.ts,
            self.now,
            &mut self.stats,
            sink,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn decoder_is_send_and_debug_hides_tables() {
        assert_send::<Decoder>();
        assert_send::<crate::FileSource>();
        assert_send::<crate::LiveSource>();
        let d = Decoder::default();
        let shown = format!("{d:?}");
        assert!(shown.contains("dns_ports"));
        assert!(!shown.contains("StreamKey") && !shown.contains("FragKey"));
    }

    #[test]
    fn opportunistic_expiry_follows_capture_time() {
        let mut d = Decoder::new(DecoderConfig {
            fragment_timeout_secs: 1,
            ..DecoderConfig::default()
        });
        // A first fragment of a DNS response, raw IPv4.
        let mut frag = vec![0x45, 0, 0, 36, 0, 1, 0x20, 0, 64, 17, 0, 0, 192, 0, 2, 53];
        frag.extend_from_slice(&[192, 0, 2, 1, 0, 53, 0x9c, 0x40, 0, 100, 0, 0]);
        frag.extend_from_slice(&[0; 8]);
        d.decode(101, Timestamp::new(10, 0), &frag, 36, &mut |_| {});
        assert_eq!(d.usage().fragment_trains, 1, "{:?}", d.stats());
        // Within the same second of capture time: no expiry pass.
        d.decode(101, Timestamp::new(10, 999_999), &[0x45], 1, &mut |_| {});
        assert_eq!(d.usage().fragment_trains, 1);
        d.decode(101, Timestamp::new(11, 500), &[0x45], 1, &mut |_| {});
        assert_eq!(d.usage().fragment_trains, 0);
        assert_eq!(d.stats().fragment_timeouts, 1);
    }
}
