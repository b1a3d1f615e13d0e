//! Frames: link layers, IP, UDP checksums, fragmentation, DNS over TCP.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod common;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use hearsay_gen::Timestamp;
use hearsay_gen::frame::{
    Link, TcpDnsOptions, TcpSegment, internet_checksum, ip_packet, ipv4_fragments, ipv6_fragments,
    tcp_dns_packets, tcp_flags, udp_datagram, udp_fragment_frames, udp_frame, udp_packet,
};
use hearsay_gen::pcap::LinkType;
use proptest::prelude::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const V4_CLIENT: &str = "192.0.2.10:40000";
const V4_SERVER: &str = "198.51.100.53:53";
const V6_CLIENT: &str = "[2001:db8::10]:40000";
const V6_SERVER: &str = "[2001:db8::53]:53";

#[test]
fn udp_over_ipv4_ethernet() {
    let payload = b"\x12\x34hello dns";
    let f = udp_frame(&Link::ethernet(), sa(V4_CLIENT), sa(V4_SERVER), 77, payload).unwrap();
    assert_eq!(f.len(), 14 + 20 + 8 + payload.len());
    let ip = common::ip(LinkType::ETHERNET, &f);
    assert_eq!(ip.src, sa(V4_CLIENT).ip());
    assert_eq!(ip.dst, sa(V4_SERVER).ip());
    assert_eq!((ip.proto, ip.ident), (17, 77));
    assert!(ip.dont_fragment && !ip.fragmented);
    let udp = common::udp(ip.src, ip.dst, &ip.payload);
    assert_eq!((udp.src_port, udp.dst_port), (40000, 53));
    assert_eq!(udp.payload, payload);
}

#[test]
fn udp_over_ipv6_with_vlans_sll_and_raw() {
    let payload = vec![0xab; 333];
    let links = [
        Link::ethernet().with_vlan(10).with_vlan(4095),
        Link::LinuxSll {
            src: [2, 0, 0, 0, 0, 9],
            outgoing: false,
        },
        Link::Raw,
    ];
    for link in links {
        for (c, s) in [(V6_CLIENT, V6_SERVER), (V4_CLIENT, V4_SERVER)] {
            let f = udp_frame(&link, sa(s), sa(c), 1, &payload).unwrap();
            let ip = common::ip(link.linktype(), &f);
            if let Link::Ethernet { vlans, .. } = &link {
                assert_eq!(&ip.vlans, vlans);
            }
            assert_eq!(ip.src, sa(s).ip());
            let udp = common::udp(ip.src, ip.dst, &ip.payload);
            assert_eq!((udp.src_port, udp.dst_port), (53, 40000));
            assert_eq!(udp.payload, payload);
        }
    }
}

#[test]
fn reversed_links_swap_direction() {
    let l = Link::ethernet().with_vlan(5);
    let r = l.reversed();
    let (
        Link::Ethernet { src, dst, vlans },
        Link::Ethernet {
            src: rs,
            dst: rd,
            vlans: rv,
        },
    ) = (&l, &r)
    else {
        panic!("ethernet")
    };
    assert_eq!((src, dst, vlans), (rd, rs, rv));
    assert_eq!(r.reversed(), l);
    let sll = Link::LinuxSll {
        src: [0; 6],
        outgoing: true,
    };
    assert_eq!(
        sll.reversed(),
        Link::LinuxSll {
            src: [0; 6],
            outgoing: false
        }
    );
}

#[test]
fn errors_for_mixed_families_and_oversized_payloads() {
    assert!(udp_frame(&Link::Raw, sa(V4_CLIENT), sa(V6_SERVER), 0, b"x").is_err());
    assert!(udp_datagram(sa(V6_CLIENT), sa(V4_SERVER), b"x").is_err());
    let big = vec![0u8; 65_508];
    assert!(udp_frame(&Link::Raw, sa(V4_CLIENT), sa(V4_SERVER), 0, &big).is_err());
    assert!(udp_frame(&Link::Raw, sa(V6_CLIENT), sa(V6_SERVER), 0, &big).is_ok());
    assert!(udp_frame(&Link::Raw, sa(V6_CLIENT), sa(V6_SERVER), 0, &[0; 65_528]).is_err());
    assert!(Link::ethernet().wrap(&[0x10, 0, 0]).is_err());
}

#[test]
fn packet_helpers_agree_with_frames() {
    let p = udp_packet(sa(V4_CLIENT), sa(V4_SERVER), 9, b"abc").unwrap();
    let f = udp_frame(&Link::ethernet(), sa(V4_CLIENT), sa(V4_SERVER), 9, b"abc").unwrap();
    assert_eq!(&f[14..], &p[..]);
    assert_eq!(Link::ethernet().wrap(&p).unwrap(), f);
    let d = udp_datagram(sa(V4_CLIENT), sa(V4_SERVER), b"abc").unwrap();
    let ip = ip_packet(sa(V4_CLIENT).ip(), sa(V4_SERVER).ip(), 17, 9, &d).unwrap();
    assert_eq!(ip, p);
    assert_eq!(internet_checksum(&p[..20]), 0);
}

/// Reassembles fragments (in any order) by offset, checking they tile the datagram.
fn reassemble(frags: &[common::Ip]) -> Vec<u8> {
    let mut by_offset = BTreeMap::new();
    for f in frags {
        assert!(
            by_offset.insert(f.frag_offset, f).is_none(),
            "duplicate offset"
        );
    }
    let mut out = Vec::new();
    let n = by_offset.len();
    for (k, (off, f)) in by_offset.into_iter().enumerate() {
        assert_eq!(off, out.len(), "fragments are contiguous");
        assert_eq!(f.more_fragments, k + 1 < n, "MF on all but the last");
        if k + 1 < n {
            assert_eq!(f.payload.len() % 8, 0);
        }
        out.extend_from_slice(&f.payload);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ipv4_fragments_reassemble(len in 0usize..6000, mtu in 28usize..1600, id: u16) {
        let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let dgram = udp_datagram(sa(V4_CLIENT), sa(V4_SERVER), &payload).unwrap();
        let IpAddr::V4(s) = sa(V4_CLIENT).ip() else { unreachable!() };
        let IpAddr::V4(d) = sa(V4_SERVER).ip() else { unreachable!() };
        let frags = ipv4_fragments(s, d, 17, id, &dgram, mtu).unwrap();
        let decoded: Vec<common::Ip> = frags.iter().map(|p| {
            prop_assert!(p.len() <= mtu);
            Ok(common::ip(LinkType::RAW, p))
        }).collect::<Result<_, _>>()?;
        for f in &decoded {
            prop_assert_eq!(f.ident, u32::from(id));
            prop_assert!(!f.dont_fragment);
        }
        if dgram.len() + 20 <= mtu {
            prop_assert_eq!(decoded.len(), 1);
            prop_assert!(!decoded[0].fragmented);
        }
        // Reverse the order: reassembly must not depend on it.
        let mut rev = decoded.clone();
        rev.reverse();
        let whole = reassemble(&rev);
        prop_assert_eq!(&whole, &dgram);
        let udp = common::udp(decoded[0].src, decoded[0].dst, &whole);
        prop_assert_eq!(udp.payload, payload);
    }

    #[test]
    fn ipv6_fragments_reassemble(len in 0usize..6000, mtu in 56usize..1600, ident: u32) {
        let payload: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
        let dgram = udp_datagram(sa(V6_SERVER), sa(V6_CLIENT), &payload).unwrap();
        let IpAddr::V6(s) = sa(V6_SERVER).ip() else { unreachable!() };
        let IpAddr::V6(d) = sa(V6_CLIENT).ip() else { unreachable!() };
        let frags = ipv6_fragments(s, d, 17, ident, &dgram, mtu).unwrap();
        let decoded: Vec<common::Ip> = frags.iter().map(|p| {
            prop_assert!(p.len() <= mtu);
            Ok(common::ip(LinkType::RAW, p))
        }).collect::<Result<_, _>>()?;
        for f in &decoded {
            prop_assert!(f.fragmented);
            prop_assert_eq!((f.ident, f.proto), (ident, 17));
        }
        let whole = reassemble(&decoded);
        prop_assert_eq!(&whole, &dgram);
        let udp = common::udp(decoded[0].src, decoded[0].dst, &whole);
        prop_assert_eq!(udp.payload, payload);
    }
}

#[test]
fn udp_fragment_frames_for_both_families() {
    let payload = vec![0x5a; 3000];
    for (c, s) in [(V4_CLIENT, V4_SERVER), (V6_CLIENT, V6_SERVER)] {
        let frames = udp_fragment_frames(
            &Link::ethernet().with_vlan(3),
            sa(s),
            sa(c),
            0x1234_5678,
            &payload,
            1280,
        )
        .unwrap();
        assert_eq!(frames.len(), 3);
        let decoded: Vec<_> = frames
            .iter()
            .map(|f| common::ip(LinkType::ETHERNET, f))
            .collect();
        assert!(decoded.iter().all(|d| d.vlans == [3]));
        let expect_id = if sa(s).is_ipv4() { 0x5678 } else { 0x1234_5678 };
        assert!(decoded.iter().all(|d| d.ident == expect_id));
        let whole = reassemble(&decoded);
        let udp = common::udp(sa(s).ip(), sa(c).ip(), &whole);
        assert_eq!(udp.payload, payload);
    }
    assert!(udp_fragment_frames(&Link::Raw, sa(V4_CLIENT), sa(V4_SERVER), 1, b"x", 20).is_err());
}

#[test]
fn tcp_segment_checksums_and_options() {
    let seg = TcpSegment {
        src: sa(V6_CLIENT),
        dst: sa(V6_SERVER),
        seq: 1,
        ack: 0,
        flags: tcp_flags::SYN,
        window: 1000,
        payload: Vec::new(),
    };
    let f = seg.frame(&Link::ethernet(), 0).unwrap();
    let ip = common::ip(LinkType::ETHERNET, &f);
    assert_eq!(ip.payload.len(), 24, "SYN carries the MSS option");
    let t = common::tcp(ip.src, ip.dst, &ip.payload);
    assert_eq!((t.seq, t.flags), (1, tcp_flags::SYN));
    let p = seg.ip_packet(0).unwrap();
    assert_eq!(&f[14..], &p[..]);
    assert_eq!(seg.transport_bytes().unwrap(), ip.payload);
}

/// Decodes a TCP DNS exchange: the byte streams of both directions, reassembled by sequence
/// number (duplicates must agree), plus the flags seen in capture order.
fn streams(packets: &[hearsay_gen::Packet]) -> (Vec<u8>, Vec<u8>, Vec<(bool, u8)>) {
    let client = sa(V4_CLIENT);
    let mut data: [BTreeMap<u32, Vec<u8>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let mut isn = [0u32; 2];
    let mut flags = Vec::new();
    let mut last = Timestamp::default();
    for p in packets {
        assert!(p.ts > last || last == Timestamp::default());
        last = p.ts;
        let ip = common::ip(LinkType::ETHERNET, &p.frame);
        assert_eq!(ip.proto, 6);
        let t = common::tcp(ip.src, ip.dst, &ip.payload);
        let from_client = ip.src == client.ip() && t.src_port == client.port();
        let dir = usize::from(!from_client);
        flags.push((from_client, t.flags));
        if t.flags & tcp_flags::SYN != 0 {
            isn[dir] = t.seq;
        }
        if !t.payload.is_empty()
            && let Some(prev) = data[dir].insert(t.seq, t.payload.clone())
        {
            assert_eq!(prev, t.payload, "a retransmission repeats the same bytes");
        }
    }
    let join = |m: &BTreeMap<u32, Vec<u8>>, first: u32| {
        let mut out = Vec::new();
        let mut next = first;
        for (seq, d) in m {
            assert_eq!(*seq, next, "no gaps");
            out.extend_from_slice(d);
            next = seq.wrapping_add(d.len() as u32);
        }
        out
    };
    let c = join(&data[0], isn[0].wrapping_add(1));
    let s = join(&data[1], isn[1].wrapping_add(1));
    (c, s, flags)
}

fn framed(msgs: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&(m.len() as u16).to_be_bytes());
        out.extend_from_slice(m);
    }
    out
}

#[test]
fn tcp_dns_exchange_default() {
    let q = b"query-bytes".to_vec();
    let r = vec![0x77; 3000];
    let opts = TcpDnsOptions::default();
    let ps = tcp_dns_packets(
        &Link::ethernet(),
        sa(V4_CLIENT),
        sa(V4_SERVER),
        Timestamp::from_secs(100),
        &[&q],
        &[&r],
        &opts,
    )
    .unwrap();
    let (c, s, flags) = streams(&ps);
    assert_eq!(c, framed(&[&q]));
    assert_eq!(s, framed(&[&r]));
    use tcp_flags::{ACK, FIN, PSH, SYN};
    let expect = vec![
        (true, SYN),
        (false, SYN | ACK),
        (true, ACK),
        (true, PSH | ACK),
        (false, PSH | ACK),
        (false, PSH | ACK),
        (false, PSH | ACK),
        (true, ACK),
        (true, FIN | ACK),
        (false, FIN | ACK),
        (true, ACK),
    ];
    assert_eq!(flags, expect);
    assert_eq!(ps[0].ts, Timestamp::from_secs(100));
}

#[test]
fn tcp_dns_exchange_variants() {
    let q1 = b"first query".to_vec();
    let q2 = b"second query".to_vec();
    let r1 = vec![1u8; 200];
    let r2 = vec![2u8; 300];
    let cases = [
        TcpDnsOptions {
            split_length_prefix: true,
            ..TcpDnsOptions::default()
        },
        TcpDnsOptions {
            coalesce: true,
            ..TcpDnsOptions::default()
        },
        TcpDnsOptions {
            reorder: true,
            duplicate: true,
            max_segment: 100,
            ..TcpDnsOptions::default()
        },
        TcpDnsOptions {
            handshake: false,
            close: false,
            client_isn: u32::MAX - 3,
            server_isn: u32::MAX,
            ..TcpDnsOptions::default()
        },
    ];
    for opts in cases {
        let ps = tcp_dns_packets(
            &Link::ethernet(),
            sa(V4_CLIENT),
            sa(V4_SERVER),
            Timestamp::from_secs(5),
            &[&q1, &q2],
            &[&r1, &r2],
            &opts,
        )
        .unwrap();
        if !opts.handshake {
            // No SYN to learn the ISNs from: they come from the options.
            let (c, s) = streams_without_syn(&ps, opts.client_isn, opts.server_isn);
            assert_eq!(c, framed(&[&q1, &q2]));
            assert_eq!(s, framed(&[&r1, &r2]));
            continue;
        }
        let (c, s, flags) = streams(&ps);
        assert_eq!(c, framed(&[&q1, &q2]), "{opts:?}");
        assert_eq!(s, framed(&[&r1, &r2]), "{opts:?}");
        let payload_lens: Vec<usize> = ps
            .iter()
            .map(|p| {
                let ip = common::ip(LinkType::ETHERNET, &p.frame);
                common::tcp(ip.src, ip.dst, &ip.payload).payload.len()
            })
            .collect();
        if opts.split_length_prefix {
            assert_eq!(payload_lens.iter().filter(|l| **l == 2).count(), 4);
        }
        if opts.coalesce {
            // Both messages of each direction in one segment.
            let data: Vec<_> = payload_lens.iter().filter(|l| **l > 0).collect();
            assert_eq!(
                data,
                [&(q1.len() + q2.len() + 4), &(r1.len() + r2.len() + 4)]
            );
        }
        if opts.reorder {
            assert!(payload_lens.iter().all(|l| *l <= 100));
            // The first server data segment in capture order is not the first in sequence.
            let server_data: Vec<u32> = ps
                .iter()
                .filter_map(|p| {
                    let ip = common::ip(LinkType::ETHERNET, &p.frame);
                    let t = common::tcp(ip.src, ip.dst, &ip.payload);
                    (t.src_port == 53 && !t.payload.is_empty()).then_some(t.seq)
                })
                .collect();
            assert!(server_data[0] > server_data[1]);
            assert_eq!(
                server_data.last(),
                server_data.get(1),
                "retransmitted first segment"
            );
        }
        assert!(flags.len() >= 9);
    }
}

fn streams_without_syn(
    packets: &[hearsay_gen::Packet],
    client_isn: u32,
    server_isn: u32,
) -> (Vec<u8>, Vec<u8>) {
    let mut c = Vec::new();
    let mut s = Vec::new();
    let mut next = [client_isn.wrapping_add(1), server_isn.wrapping_add(1)];
    for p in packets {
        let ip = common::ip(LinkType::ETHERNET, &p.frame);
        let t = common::tcp(ip.src, ip.dst, &ip.payload);
        assert_eq!(t.flags & (tcp_flags::SYN | tcp_flags::FIN), 0);
        let dir = usize::from(t.src_port == 53);
        if t.payload.is_empty() {
            continue;
        }
        assert_eq!(t.seq, next[dir], "in order, wrapping");
        next[dir] = next[dir].wrapping_add(t.payload.len() as u32);
        if dir == 0 { &mut c } else { &mut s }.extend_from_slice(&t.payload);
    }
    (c, s)
}

#[test]
fn tcp_over_ipv6_and_errors() {
    let ps = tcp_dns_packets(
        &Link::Raw,
        sa(V6_CLIENT),
        sa(V6_SERVER),
        Timestamp::from_secs(1),
        &[b"q"],
        &[b"r"],
        &TcpDnsOptions::default(),
    )
    .unwrap();
    for p in &ps {
        let ip = common::ip(LinkType::RAW, &p.frame);
        common::tcp(ip.src, ip.dst, &ip.payload);
    }
    assert!(
        tcp_dns_packets(
            &Link::Raw,
            sa(V4_CLIENT),
            sa(V6_SERVER),
            Timestamp::from_secs(1),
            &[b"q"],
            &[],
            &TcpDnsOptions::default(),
        )
        .is_err()
    );
    let huge = vec![0u8; 70_000];
    assert!(
        tcp_dns_packets(
            &Link::Raw,
            sa(V4_CLIENT),
            sa(V4_SERVER),
            Timestamp::from_secs(1),
            &[&huge],
            &[],
            &TcpDnsOptions::default(),
        )
        .is_err()
    );
}
