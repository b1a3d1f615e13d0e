//! Hand-built frames: link layers, IP options and extension headers, tunnels, fragments.

#![allow(clippy::unwrap_used)] // integration tests: a failed unwrap is a failed test

mod common;

use common::*;
use hearsay_capture::{Decoder, DecoderConfig, Timestamp, Transport, linktype};

fn query() -> Vec<u8> {
    dns(0x1234, false, 40)
}

fn response() -> Vec<u8> {
    dns(0x1234, true, 100)
}

/// A UDP response from SERVER4:53 to CLIENT4:40000.
fn resp4() -> Vec<u8> {
    udp4(SERVER4, CLIENT4, 53, 40000, &response())
}

fn resp6() -> Vec<u8> {
    ipv6(SERVER6, CLIENT6, 17, &udp(53, 40000, &response()))
}

fn one(linktype: i32, frame: &[u8]) -> (Vec<Owned>, hearsay_capture::DecodeStats) {
    let mut f = Feeder::new(DecoderConfig::default());
    f.feed(linktype, frame);
    let stats = f.stats().clone();
    (f.take(), stats)
}

fn assert_response4(out: &[Owned]) {
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].data, response());
    assert!(out[0].from_server);
    assert_eq!(out[0].server, "198.51.100.53:53".parse().unwrap());
    assert_eq!(out[0].transport, Transport::Udp);
}

fn assert_response6(out: &[Owned]) {
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].data, response());
    assert_eq!(out[0].server, "[2001:db8::53]:53".parse().unwrap());
}

#[test]
fn ethernet_vlan_qinq_mpls_pppoe_snap() {
    let (out, _) = one(linktype::ETHERNET, &ether(0x0800, &resp4()));
    assert_response4(&out);

    // 802.1ad outer tag, 802.1Q inner tag.
    let mut tags = vec![0x00, 0x64, 0x81, 0x00, 0x00, 0x0b, 0x08, 0x00];
    tags.extend_from_slice(&resp4());
    let (out, _) = one(linktype::ETHERNET, &ether(0x88a8, &tags));
    assert_response4(&out);

    // Three 802.1Q tags and IPv6.
    let mut tags = vec![0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x86, 0xdd];
    tags.extend_from_slice(&resp6());
    let (out, _) = one(linktype::ETHERNET, &ether(0x8100, &tags));
    assert_response6(&out);

    // MPLS two labels.
    let mut mpls = vec![0, 0, 0x10, 0x40, 0, 0, 0x21, 0x40];
    mpls.extend_from_slice(&resp4());
    let (out, _) = one(linktype::ETHERNET, &ether(0x8847, &mpls));
    assert_response4(&out);

    // PPPoE session.
    let mut pppoe = vec![0x11, 0, 0, 7, 0, 0, 0x00, 0x57];
    pppoe.extend_from_slice(&resp6());
    let (out, _) = one(linktype::ETHERNET, &ether(0x8864, &pppoe));
    assert_response6(&out);

    // 802.3 + LLC/SNAP.
    let mut snap = vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
    snap.extend_from_slice(&resp4());
    let (out, _) = one(linktype::ETHERNET, &ether(snap.len() as u16, &snap));
    assert_response4(&out);

    // Ethernet padding after the IP packet is ignored.
    let mut padded = ether(0x0800, &resp4());
    padded.extend_from_slice(&[0; 18]);
    let (out, _) = one(linktype::ETHERNET, &padded);
    assert_response4(&out);

    // ARP is not IP.
    let (out, stats) = one(linktype::ETHERNET, &ether(0x0806, &[0; 28]));
    assert!(out.is_empty());
    assert_eq!(stats.not_ip, 1);
}

#[test]
fn linux_cooked_v1_and_v2() {
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&resp4());
    let (out, _) = one(linktype::LINUX_SLL, &sll);
    assert_response4(&out);

    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd];
    sll.extend_from_slice(&resp6());
    let (out, _) = one(linktype::LINUX_SLL, &sll);
    assert_response6(&out);

    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&resp6());
    let (out, _) = one(linktype::LINUX_SLL2, &sll2);
    assert_response6(&out);

    let (out, stats) = one(linktype::LINUX_SLL2, &[0x08, 0x00, 0, 0]);
    assert!(out.is_empty());
    assert_eq!(stats.malformed_link, 1);
}

#[test]
fn null_and_loop() {
    for af in [2u32] {
        for hdr in [af.to_le_bytes(), af.to_be_bytes()] {
            let mut f = hdr.to_vec();
            f.extend_from_slice(&resp4());
            assert_response4(&one(linktype::NULL, &f).0);
        }
    }
    for af in [24u32, 28, 30] {
        for hdr in [af.to_le_bytes(), af.to_be_bytes()] {
            let mut f = hdr.to_vec();
            f.extend_from_slice(&resp6());
            assert_response6(&one(linktype::NULL, &f).0);
        }
        let mut f = af.to_be_bytes().to_vec();
        f.extend_from_slice(&resp6());
        assert_response6(&one(linktype::LOOP, &f).0);
    }
    let mut f = 2u32.to_be_bytes().to_vec();
    f.extend_from_slice(&resp4());
    assert_response4(&one(linktype::LOOP, &f).0);
    // LOOP is network order only.
    let mut f = 2u32.to_le_bytes().to_vec();
    f.extend_from_slice(&resp4());
    assert_eq!(one(linktype::LOOP, &f).1.not_ip, 1);
}

#[test]
fn raw_ip_link_types() {
    for lt in [
        linktype::RAW,
        linktype::DLT_RAW,
        linktype::DLT_RAW_OPENBSD,
        linktype::IPV4,
    ] {
        assert_response4(&one(lt, &resp4()).0);
    }
    for lt in [
        linktype::RAW,
        linktype::DLT_RAW,
        linktype::DLT_RAW_OPENBSD,
        linktype::IPV6,
    ] {
        assert_response6(&one(lt, &resp6()).0);
    }
    // The IPV4 link type does not take IPv6.
    assert_eq!(one(linktype::IPV4, &resp6()).1.malformed_ip, 1);
    assert_eq!(one(linktype::RAW, &[0x50, 0, 0, 0]).1.not_ip, 1);
    assert_eq!(one(linktype::RAW, &[]).1.malformed_ip, 1);
    assert_eq!(one(9999, &resp4()).1.unsupported_linktype, 1);
}

#[test]
fn nflog_with_several_tlvs() {
    let ip = resp4();
    let mut f = vec![2u8, 0, 0, 0];
    for (ty, value) in [(1u16, vec![8u8, 0, 1]), (10, vec![0; 6]), (9, ip.clone())] {
        f.extend_from_slice(&(4 + value.len() as u16).to_ne_bytes());
        f.extend_from_slice(&ty.to_ne_bytes());
        f.extend_from_slice(&value);
        while f.len() % 4 != 0 {
            f.push(0);
        }
    }
    assert_response4(&one(linktype::NFLOG, &f).0);
    // No payload TLV.
    let (out, stats) = one(linktype::NFLOG, &f[..20]);
    assert!(out.is_empty());
    assert_eq!(stats.not_ip + stats.malformed_link, 1);
}

#[test]
fn ipv4_options_and_udp_lengths() {
    let mut p = resp4();
    p[0] = 0x48; // 12 bytes of options
    p.splice(20..20, [0x94, 4, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0]);
    let total = p.len() as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    assert_response4(&one(linktype::RAW, &p).0);

    // UDP length shorter than the data: trimmed to the UDP length.
    let mut u = udp(53, 40000, &response());
    u.extend_from_slice(&[0xee; 7]);
    let (out, _) = one(
        linktype::RAW,
        &ipv4(SERVER4, CLIENT4, 17, (0, 0, false), &u),
    );
    assert_response4(&out);

    // UDP length longer than the data: malformed.
    let mut u = udp(53, 40000, &response());
    u[4..6].copy_from_slice(&500u16.to_be_bytes());
    let (out, stats) = one(
        linktype::RAW,
        &ipv4(SERVER4, CLIENT4, 17, (0, 0, false), &u),
    );
    assert!(out.is_empty());
    assert_eq!(stats.malformed_udp, 1);

    // UDP length below the header.
    let mut u = udp(53, 40000, &response());
    u[4..6].copy_from_slice(&7u16.to_be_bytes());
    let stats = one(
        linktype::RAW,
        &ipv4(SERVER4, CLIENT4, 17, (0, 0, false), &u),
    )
    .1;
    assert_eq!(stats.malformed_udp, 1);

    // Not a DNS port; not UDP/TCP.
    let stats = one(
        linktype::RAW,
        &udp4(SERVER4, CLIENT4, 54, 40000, &response()),
    )
    .1;
    assert_eq!(stats.not_dns_port, 1);
    let stats = one(
        linktype::RAW,
        &ipv4(SERVER4, CLIENT4, 1, (0, 0, false), &[8, 0, 0, 0]),
    )
    .1;
    assert_eq!(stats.other_ip_proto, 1);
}

#[test]
fn query_direction_flow_and_both_dns_ports() {
    let mut f = Feeder::new(DecoderConfig::default());
    f.raw(&udp4(CLIENT4, SERVER4, 40000, 53, &query()));
    f.raw(&resp4());
    let out = f.take();
    assert_eq!(out.len(), 2);
    assert!(!out[0].from_server && out[1].from_server);
    assert_eq!(out[0].server, out[1].server);
    assert_eq!(out[0].flow, out[1].flow);
    // Another client port: another flow.
    f.raw(&udp4(CLIENT4, SERVER4, 40001, 53, &query()));
    assert_ne!(f.take()[0].flow, out[0].flow);

    // Server to server (both port 53): the QR bit tells the direction.
    f.raw(&udp4(CLIENT4, SERVER4, 53, 53, &query()));
    f.raw(&udp4(SERVER4, CLIENT4, 53, 53, &response()));
    let out = f.take();
    assert!(!out[0].from_server && out[1].from_server);
    assert_eq!(out[0].server, "198.51.100.53:53".parse().unwrap());
    assert_eq!(out[1].server, "198.51.100.53:53".parse().unwrap());
    assert_eq!(out[0].flow, out[1].flow);
}

#[test]
fn ipv6_extension_headers() {
    let u = udp(53, 40000, &response());
    // hop-by-hop (8) -> routing (24) -> destination options (16) -> AH (16) -> UDP
    let mut chain = vec![43, 0, 5, 4, 0, 0, 0, 0];
    chain.extend_from_slice(&[60, 2, 0, 1]);
    chain.extend_from_slice(&[0; 20]);
    chain.extend_from_slice(&[51, 1]);
    chain.extend_from_slice(&[1; 14]);
    chain.extend_from_slice(&[17, 2, 0, 0]);
    chain.extend_from_slice(&[2; 12]);
    chain.extend_from_slice(&u);
    assert_response6(&one(linktype::RAW, &ipv6(SERVER6, CLIENT6, 0, &chain)).0);

    // ESP hides the transport; no next header has none.
    let stats = one(linktype::RAW, &ipv6(SERVER6, CLIENT6, 50, &[0; 32])).1;
    assert_eq!(stats.ipv6_no_payload, 1);
    let stats = one(
        linktype::RAW,
        &ipv6(SERVER6, CLIENT6, 0, &[59, 0, 0, 0, 0, 0, 0, 0]),
    )
    .1;
    assert_eq!(stats.ipv6_no_payload, 1);
    // A header length running past the packet.
    let stats = one(
        linktype::RAW,
        &ipv6(SERVER6, CLIENT6, 60, &[17, 9, 0, 0, 0, 0, 0, 0]),
    )
    .1;
    assert_eq!(stats.malformed_ipv6_ext, 1);
    // Atomic fragment header: just skipped.
    let atomic = frag6(17, 99, 0, false, &u);
    assert_response6(&one(linktype::RAW, &ipv6(SERVER6, CLIENT6, 44, &atomic)).0);
}

#[test]
fn tunnels_and_their_depth() {
    // IPv4 in IPv4, IPv6 in IPv4, IPv4 in IPv6.
    let outer =
        |inner: &[u8], proto: u8| ipv4([10, 0, 0, 1], [10, 0, 0, 2], proto, (0, 0, false), inner);
    assert_response4(&one(linktype::RAW, &outer(&resp4(), 4)).0);
    assert_response6(&one(linktype::RAW, &outer(&resp6(), 41)).0);
    assert_response4(&one(linktype::RAW, &ipv6(CLIENT6, SERVER6, 4, &resp4())).0);

    // Depth 4 (outer + 3 tunnels) is fine, 5 is not.
    let mut p = resp4();
    for _ in 0..3 {
        p = outer(&p, 4);
    }
    assert_response4(&one(linktype::RAW, &p).0);
    p = outer(&p, 4);
    let (out, stats) = one(linktype::RAW, &p);
    assert!(out.is_empty());
    assert_eq!(stats.tunnel_depth_exceeded, 1);

    // Deep alternating nesting must not crash (the reference sensor did).
    let mut p = resp6();
    for i in 0..200 {
        p = if i % 2 == 0 {
            outer(&p, 41)
        } else {
            ipv6(CLIENT6, SERVER6, 4, &p)
        };
        if p.len() > 60_000 {
            break;
        }
    }
    let (out, stats) = one(linktype::RAW, &p);
    assert!(out.is_empty());
    assert_eq!(stats.tunnel_depth_exceeded, 1);
}

#[test]
fn snaplen_cut_frames_are_skipped() {
    let mut d = Decoder::default();
    let full = ether(0x0800, &resp4());
    let mut n = 0;
    for cut in [14, 20, 34, 40, 60, full.len() - 1] {
        d.decode(
            linktype::ETHERNET,
            Timestamp::new(1, 0),
            &full[..cut],
            full.len() as u32,
            &mut |_| n += 1,
        );
    }
    assert_eq!(n, 0);
    assert_eq!(d.stats().snaplen_truncated, 6);
    // A frame cut only in its trailer (after the IP packet) is still whole.
    let mut padded = full.clone();
    padded.extend_from_slice(&[0; 10]);
    d.decode(
        linktype::ETHERNET,
        Timestamp::new(1, 0),
        &full,
        padded.len() as u32,
        &mut |_| n += 1,
    );
    assert_eq!(n, 1);
    // The same short frame without a snaplen cut is malformed.
    d.decode(
        linktype::ETHERNET,
        Timestamp::new(1, 0),
        &full[..40],
        40,
        &mut |_| n += 1,
    );
    assert_eq!(d.stats().ip_truncated, 1);
}

/// Splits `datagram` (an IPv4 payload) into fragments of `size` bytes (multiple of 8).
fn fragments4(id: u16, datagram: &[u8], size: usize) -> Vec<Vec<u8>> {
    datagram
        .chunks(size)
        .enumerate()
        .map(|(i, c)| {
            let off = (i * size) as u32;
            let more = (i + 1) * size < datagram.len();
            ipv4(SERVER4, CLIENT4, 17, (id, off, more), c)
        })
        .collect()
}

#[test]
fn ipv4_fragments_out_of_order_duplicate_overlapping() {
    let datagram = udp(53, 40000, &response());
    let frags = fragments4(7, &datagram, 24);
    assert_eq!(frags.len(), 5);
    let mut f = Feeder::new(DecoderConfig::default());
    // Reverse order, with a duplicate of the middle one.
    for i in [4, 3, 2, 2, 1] {
        f.raw(&frags[i]);
    }
    assert!(f.out.is_empty());
    // An overlapping fragment with equal bytes (covers 16..64, of which 16..24 is new).
    f.raw(&ipv4(
        SERVER4,
        CLIENT4,
        17,
        (7, 16, true),
        &datagram[16..64],
    ));
    assert!(f.out.is_empty());
    f.raw(&frags[0]);
    assert_response4(&f.take());
    assert_eq!(f.stats().reassembled_datagrams, 1);
    assert_eq!(f.stats().fragment_duplicates, 1);
    assert_eq!(f.decoder.usage().fragment_trains, 0);

    // Overlap with different bytes: the whole train is dropped.
    let frags = fragments4(8, &datagram, 24);
    f.raw(&frags[0]);
    let mut evil = datagram[16..40].to_vec();
    evil[0] ^= 0xff;
    f.raw(&ipv4(SERVER4, CLIENT4, 17, (8, 16, true), &evil));
    for fr in &frags[1..] {
        f.raw(fr);
    }
    assert!(f.out.is_empty());
    assert_eq!(f.stats().fragment_overlap_conflicts, 1);

    // Same id, other source: separate trains.
    let mut a = fragments4(9, &datagram, 48);
    let b: Vec<Vec<u8>> = fragments4(9, &datagram, 48)
        .into_iter()
        .map(|mut p| {
            p[12..16].copy_from_slice(&[203, 0, 113, 9]);
            p
        })
        .collect();
    a.extend(b);
    for fr in &a {
        f.raw(fr);
    }
    let out = f.take();
    assert_eq!(out.len(), 2);
    assert_ne!(out[0].server, out[1].server);
}

#[test]
fn ipv6_fragments_with_fragmentable_extension_headers() {
    // Destination options after the fragment header belong to the fragmented part.
    let mut inner = vec![17, 0, 1, 4, 0, 0, 0, 0];
    inner.extend_from_slice(&udp(53, 40000, &response()));
    let (a, b) = inner.split_at(64);
    let mut f = Feeder::new(DecoderConfig::default());
    f.raw(&ipv6(SERVER6, CLIENT6, 44, &frag6(60, 77, 64, false, b)));
    f.raw(&ipv6(SERVER6, CLIENT6, 0, &{
        // hop-by-hop (unfragmentable) then the first fragment
        let mut h = vec![44, 0, 0, 0, 0, 0, 0, 0];
        h.extend_from_slice(&frag6(60, 77, 0, true, a));
        h
    }));
    assert_response6(&f.take());
    assert_eq!(f.stats().reassembled_datagrams, 1);
}

#[test]
fn fragment_trains_over_limit() {
    let config = DecoderConfig {
        max_fragment_trains: 4,
        ..DecoderConfig::default()
    };
    let mut f = Feeder::new(config);
    let datagram = udp(53, 40000, &response());
    // 10 first fragments of different datagrams: the 6 oldest are evicted.
    for id in 0..10u16 {
        f.raw(&fragments4(id, &datagram, 48)[0]);
    }
    assert_eq!(f.decoder.usage().fragment_trains, 4);
    assert_eq!(f.stats().fragment_trains_evicted, 6);
    // The newest ones still complete; an evicted one does not.
    for id in [9u16, 0] {
        for fr in &fragments4(id, &datagram, 48)[1..] {
            f.raw(fr);
        }
    }
    assert_eq!(f.take().len(), 1);
    // Oversized datagrams are refused, never grown past 65,535 bytes.
    f.raw(&ipv4(SERVER4, CLIENT4, 17, (99, 65528, false), &[0; 16]));
    assert_eq!(f.stats().malformed_fragments, 1);
    // Timeouts.
    f.decoder.expire(Timestamp::new(1_000_000, 0));
    assert_eq!(f.decoder.usage().fragment_trains, 0);
    assert!(f.stats().fragment_timeouts >= 3);
}

#[test]
fn non_dns_fragments_are_ignored_early() {
    let mut f = Feeder::new(DecoderConfig::default());
    let datagram = udp(443, 40000, &response());
    let frags = fragments4(5, &datagram, 24);
    for fr in &frags {
        f.raw(fr);
    }
    assert!(f.out.is_empty());
    assert_eq!(f.stats().not_dns_port, 0);
    assert_eq!(f.stats().fragments_ignored, frags.len() as u64);
    assert_eq!(f.decoder.usage().fragment_bytes, 0);
}
