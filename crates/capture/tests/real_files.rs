//! The real captures in `shared/testdata/pcaps`, checked against what tshark shows.
//!
//! Expected figures come from tshark 4.x:
//! `tshark -r F -o tcp.desegment_tcp_streams:TRUE -Y dns.flags.response==1 -T fields -e dns.id -e udp.length -e dns.length`
//! (message length = UDP length − 8, or the TCP length prefix). They are embedded here so
//! the tests do not need tshark.

#![allow(clippy::unwrap_used)] // integration tests: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;

use common::{Owned, hex, pcap, pcap_dir, run};
use hearsay_capture::{DecoderConfig, FileSource, Timestamp, Transport, linktype};

/// The MANIFEST's `file`, `packets` and `dns_responses_tshark` columns.
fn manifest() -> Vec<(String, u64, u64)> {
    let text = std::fs::read_to_string(pcap_dir().join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (file, packets, responses) = (col("file"), col("packets"), col("dns_responses_tshark"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[file].to_owned(),
                f[packets].parse().unwrap(),
                f[responses].parse().unwrap(),
            )
        })
        .collect()
}

/// Server-side messages we emit per file, and why they differ from tshark's count.
fn expected_from_server(file: &str, tshark: u64) -> u64 {
    match file {
        // 91 responses that are only a first IPv4 fragment, and whose IPv4 total length
        // (1500) exceeds the frame: 7 frames were cut by the snaplen, the other 84 are
        // truncated without a snaplen (counted `ip_truncated`). Nothing is complete.
        "ndpi__badpackets.pcap" => 0,
        // DNSCrypt on UDP/443: not a DNS port.
        "ndpi__dnscrypt-v1-and-resolver-pings.pcap" => 0,
        // tshark's 49: 45 from port 53, 2 fuzzed "responses" sent *to* port 53 (from the
        // client side, so from_server = false), 2 on ports 117/9587 (not DNS ports). Of the
        // 45, frame 601 has an IPv4 total length of 37211 in a 105-byte frame (`ip_truncated`).
        "ndpi__fuzz-2006-06-26-2594.pcap" => 44,
        // Frame 4's IPv6 payload length (331) exceeds the frame (221 bytes): `ip_truncated`.
        "zeek__dns-edns-ecs-bad.pcap" => 3,
        // mDNS on 5353 is excluded by default (tshark counts 6 mDNS responses; the MANIFEST
        // column already says 0).
        "zeek__mdns.pcap" => 0,
        _ => tshark,
    }
}

#[test]
fn every_file_decodes_and_matches_the_manifest() {
    let manifest = manifest();
    assert!(manifest.len() >= 26);
    let mut on_disk: Vec<String> = std::fs::read_dir(pcap_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = manifest.iter().map(|(f, _, _)| f.as_str()).collect();
    for name in &on_disk {
        assert!(listed.contains(&name.as_str()), "{name} not in MANIFEST");
    }
    for (file, packets, tshark) in &manifest {
        let r = run(file);
        assert!(r.summary.ended_cleanly(), "{file}: {:?}", r.summary.error);
        assert_eq!(r.summary.frames, *packets, "{file}: frames");
        assert_eq!(r.stats.frames, *packets, "{file}: frames decoded");
        let from_server = r.server_side().len() as u64;
        assert_eq!(
            from_server,
            expected_from_server(file, *tshark),
            "{file}: server-side messages (tshark: {tshark})"
        );
        assert_eq!(r.stats.dns_from_server, from_server, "{file}");
        assert_eq!(r.stats.dns_payloads, r.payloads.len() as u64, "{file}");
        for p in &r.payloads {
            assert!(p.data.len() >= 12, "{file}: short payload");
            assert_eq!(p.server.port(), 53, "{file}: server port");
        }
    }
}

const DNSCAP_IDS: &str = "e7af:180 8b51:261 14d9:180 59c6:180 491e:261 5803:180 e48e:180 b0c0:261 c14b:180 7bb5:180 6359:261 f936:180 2116:261 eb62:180 afb9:261 b1c8:180 59c4:261 072a:180 6357:261 bd30:180 b933:261 2f06:180 2d5e:180 e725:180 b1df:180 ed88:261 fb45:180 63c7:261 5100:180 6537:261 fb66:180 9342:261 d5b2:180 7d8e:261 a350:180 49c6:261 2980:180 8173:261 efe7:180 e77a:261 4524:180";

/// The first response of the dnscap captures (google.com A), as tshark's `udp.payload`.
const DNSCAP_FIRST: &str = "e7af8180000100010004000406676f6f676c6503636f6d0000010001c00c000100010000002c0004d83adacec00c00020001000268b80006036e7334c00cc00c00020001000268b80006036e7333c00cc00c00020001000268b80006036e7331c00cc00c00020001000268b80006036e7332c00cc06e00010001000268b80004d8ef220ac05c000100010005106a0004d8ef200ac04a00010001000268b80004d8ef240ac03800010001000268b80004d8ef260a";

#[test]
fn dnscap_plain_vlan_and_fragmented_agree_with_tshark() {
    for file in [
        "dnscap__dns.pcap",
        "dnscap__vlan11.pcap",
        "dnscap__frags.pcap",
    ] {
        let r = run(file);
        assert_eq!(r.server_side().len(), 41, "{file}");
        assert_eq!(r.response_ids(), DNSCAP_IDS, "{file}");
        let first = r.server_side()[0];
        assert_eq!(first.data, hex(DNSCAP_FIRST), "{file}");
        assert_eq!(first.server, "8.8.8.8:53".parse().unwrap(), "{file}");
        assert_eq!(first.transport, Transport::Udp);
        // 41 queries too, each with a response in the same flow.
        let queries: Vec<&Owned> = r.payloads.iter().filter(|p| !p.from_server).collect();
        assert_eq!(queries.len(), 41, "{file}");
        for resp in r.server_side() {
            assert!(
                queries
                    .iter()
                    .any(|q| q.id() == resp.id() && q.flow == resp.flow),
                "{file}: response {:04x} has no query in its flow",
                resp.id()
            );
        }
    }
    // Timestamps as tshark's frame.time_epoch.
    let r = run("dnscap__dns.pcap");
    assert_eq!(r.server_side()[0].ts, Timestamp::new(1476976981, 77982));
    let r = run("dnscap__frags.pcap");
    assert_eq!(r.stats.reassembled_datagrams, 82);
    assert_eq!(r.stats.ip_fragments, 495);
    // The reassembled response carries the time of its last fragment.
    assert_eq!(r.server_side()[0].ts, Timestamp::new(1506965422, 733323));
    let r = run("dnscap__vlan11.pcap");
    assert_eq!(r.stats.malformed_link, 0);
}

#[test]
fn dns_over_one_tcp_connection() {
    let r = run("dnscap__dnso1tcp.pcap");
    assert_eq!(
        r.response_ids(),
        "e7af:44 8b51:143 14d9:44 59c6:44 491e:143 5803:44 e48e:44 b0c0:143 c14b:44 7bb5:44 6359:143 f936:44 2116:143 eb62:44 afb9:143 b1c8:44 59c4:143 072a:44 6357:143 bd30:44 b933:143 2f06:44 2d5e:44 e725:44 b1df:44 ed88:143 fb45:44 63c7:143 5100:44 6537:143 fb66:44 9342:143 d5b2:44 7d8e:143 a350:44 49c6:143 2980:44 8173:143 efe7:44 e77a:143 4524:44"
    );
    let first = r.server_side()[0];
    assert_eq!(first.transport, Transport::Tcp);
    // tshark's tcp.payload minus the 2-byte length prefix 002c.
    assert_eq!(
        first.data,
        hex(
            "e7af8180000100010000000006676f6f676c6503636f6d0000010001c00c000100010000003a0004d83ad38e"
        )
    );
    assert_eq!(r.stats.tcp_streams, 1);
    assert_eq!(r.stats.tcp_messages, 82);
    assert_eq!(r.stats.tcp_gaps + r.stats.tcp_desyncs, 0);
    // One connection: every message shares its flow.
    assert!(r.payloads.iter().all(|p| p.flow == first.flow));
}

#[test]
fn pipelined_tcp_messages() {
    let r = run("suricata__dns-tcp-multirequest-buffer.pcap");
    // 20 queries in one segment, 20 responses in their own segments, client half-closes first.
    assert_eq!(r.payloads.iter().filter(|p| !p.from_server).count(), 20);
    assert_eq!(
        r.response_ids(),
        "0000:80 0001:80 0002:80 0003:80 0004:80 0005:80 0006:80 0007:80 0008:80 0009:80 000a:81 000b:81 000c:81 000d:81 000e:81 000f:81 0010:81 0011:81 0012:81 0013:81"
    );
    assert_eq!(
        r.server_side()[0].data,
        hex(
            "0000818300010000000100000130" // tshark's tcp.payload after the 0050 prefix
        )
        .into_iter()
        .chain(hex("06676f6f676c6503636f6d0000010001c00e000600010000003c0026036e7332c00e09646e732d61646d696ec00e082d36ed0000038400000384000007080000003c"))
        .collect::<Vec<u8>>()
    );
    assert_eq!(r.stats.tcp_streams_closed, 1);
}

#[test]
fn tcp_simple_and_trailing_junk() {
    let r = run("tcpdump__dns_tcp.pcap");
    assert_eq!(r.response_ids(), "4319:224");

    // The TCP response's length prefix (731) covers the whole 733-byte segment: the "junk"
    // is inside the DNS message (after its records), which is for the parser to judge. The
    // UDP responses around it are unaffected.
    let r = run("dnsjit__tcp-response-with-trailing-junk.pcap");
    assert_eq!(
        r.response_ids(),
        "3ace:731 0906:731 e683:731 3c12:731 1c23:731 bfef:731 80dd:731 f623:731 e100:731 52e0:732"
    );
    let tcp: Vec<_> = r
        .server_side()
        .into_iter()
        .filter(|p| p.transport == Transport::Tcp)
        .collect();
    assert_eq!(tcp.len(), 1);
    assert_eq!(tcp[0].id(), 0x1c23);
    assert_eq!(r.stats.tcp_streams_closed, 1);
}

#[test]
fn mixed_ipv4_ipv6_udp_tcp_fragments() {
    let r = run("zeek__dns-edns-ecs.pcap");
    assert_eq!(
        r.response_ids(),
        "bc8d:182 a641:820 bc38:820 c137:934 1e6c:262 f779:418 cf5b:461 183a:757 65a2:501 f238:1204 1c3b:446 ea79:614 a067:518 ca9f:502 21c5:697 77a7:202 1c9d:425 6407:425 ba73:435 e45e:335 32b8:347 bc80:761 947d:845 3409:845 f87b:181 ac62:350 c825:338 5576:65 41c4:77 7100:77 41be:77 451a:77 859f:83 e028:65 02e9:65 6468:198 bfd2:65 5999:338 541d:350 9806:326 fad2:366 2b13:346 45f4:334 4922:347 0301:335 75ce:336 dd10:348 b768:336 1ca2:348 d43f:1702 a17d:1490 a438:824 15a8:1702 9e06:824 b9c8:238 bda9:238 dd84:238 ea02:238 91df:71 06e4:55 8cec:94 89ce:1730 3f7f:72 e8df:60 06da:1730"
    );
    // Its TCP segments are single messages of connections whose start was not captured.
    assert_eq!(r.stats.tcp_midstream_syncs, 9);
    assert_eq!(r.stats.tcp_messages, 9);
    assert_eq!(r.stats.reassembled_datagrams, 4);

    let r = run("ndpi__dns_fragmented.pcap");
    assert_eq!(
        r.response_ids(),
        "d43f:1702 e9c4:1501 0a32:1490 a17d:1490 a438:824 15a8:1702 9e06:824 b9c8:238 bda9:238 dd84:238 ea02:238 91df:71 fac7:46 06e4:55 8cec:94 c2a0:1730 89ce:1730 3f7f:72 80e4:1730 e8df:60 06da:1730"
    );
    let servers: Vec<String> = r
        .server_side()
        .iter()
        .map(|p| p.server.to_string())
        .collect();
    assert_eq!(servers[0], "193.24.227.238:53");
    assert_eq!(servers[1], "[2001:470:765b::a25:53]:53");
    assert_eq!(servers[20], "194.247.5.14:53");
    assert_eq!(r.stats.reassembled_datagrams, 7);
    assert_eq!(r.stats.tcp_messages, 4);
}

#[test]
fn ipv6_fragments() {
    let r = run("zeek__ipv6-fragmented-dns.pcap");
    assert_eq!(r.response_ids(), "0f3f:323 9f91:3230");
    // Frame 4 is the last fragment of a response whose other fragments were not captured.
    assert_eq!(r.stats.reassembled_datagrams, 1);
    assert_eq!(r.stats.fragment_timeouts, 1);
    let big = r.server_side()[1];
    assert_eq!(big.server, "[2607:f740:b::f93]:53".parse().unwrap());
    // tshark's udp.payload of the reassembled datagram: its first and last 20 bytes.
    assert_eq!(
        big.data[..20],
        hex("9f91850000010001000100020f74787470616464")
    );
    assert_eq!(
        big.data[3210..],
        hex("80000000cc7200010001000000640004c096bb1f")
    );
}

#[test]
fn cooked_and_nflog_link_types() {
    let r = run("dnscap__sll2.pcap");
    assert_eq!(r.summary.linktype, linktype::LINUX_SLL2);
    assert_eq!(r.response_ids(), "5139:732");
    assert_eq!(&r.server_side()[0].data[..4], &[0x51, 0x39, 0x81, 0x83]);

    let r = run("tcpdump__nflog.pcap");
    assert_eq!(r.summary.linktype, linktype::NFLOG);
    let got: Vec<Vec<u8>> = r.server_side().iter().map(|p| p.data.clone()).collect();
    assert_eq!(
        got,
        [
            "437181800001000100000000076578616d706c6503636f6d0000010001c00c0001000100002f9600045db8d877",
            "ceda81800001000100000000076578616d706c6503636f6d00001c0001c00c001c00010001231f0010260628000220006d26bf144710970aa7",
            "20578180000100010000000003777777076578616d706c6503636f6d0000010001c00c000100010001518000045db8d877",
            "084a8180000100010000000003777777076578616d706c6503636f6d00001c0001c00c001c0001000151800010260628000220006d26bf144710970aa7",
        ]
        .map(hex)
    );
}

#[test]
fn broken_captures_are_counted_not_emitted() {
    let r = run("ndpi__badpackets.pcap");
    assert!(r.payloads.is_empty());
    assert_eq!(r.stats.snaplen_truncated, 7);
    assert_eq!(r.stats.ip_truncated, 86);

    // A UDP length field smaller than the datagram trims it: 'zlip' leaves under 12 bytes.
    let r = run("tcpdump__dns-zlip-3.pcap");
    assert!(r.payloads.is_empty());
    assert_eq!(r.stats.dns_too_short, 1);

    // 63,207-byte fuzzed responses are passed on whole (the parser judges them).
    for f in ["tcpdump__dns-badlabel.pcap", "tcpdump__dns_fwdptr.pcap"] {
        let r = run(f);
        assert_eq!(r.server_side().len(), 1);
        assert!(r.server_side()[0].data.len() > 60_000);
    }

    // Non-DNS fragments are recognised from their first fragment and not buffered.
    let r = run("ndpi__dnscrypt-v1-and-resolver-pings.pcap");
    assert_eq!(r.stats.fragments_ignored, 240);
    assert_eq!(r.stats.fragment_timeouts, 0);
}

#[test]
fn extra_dns_ports() {
    let config = DecoderConfig {
        dns_ports: vec![53, 5353],
        ..DecoderConfig::default()
    };
    let r = common::run_with("zeek__mdns.pcap", config);
    // tshark: 6 mDNS responses (plus queries); multicast answers come from port 5353.
    assert_eq!(r.server_side().len(), 6);
    assert!(r.payloads.iter().all(|p| p.server.port() == 5353));
}

#[test]
fn client_addresses_never_leave_the_decoder() {
    let clients = ["172.17.0.10", "2001:470:1f0b:16b0:20c:29ff:fe7c:a4cb"];
    for file in [
        "dnscap__dns.pcap",
        "ndpi__dns_fragmented.pcap",
        "zeek__dns-edns-ecs.pcap",
    ] {
        let r = run(file);
        for p in &r.payloads {
            let ip = p.server.ip().to_string();
            assert!(
                !clients.contains(&ip.as_str()),
                "{file}: client address {ip} exposed"
            );
        }
    }
    // Flows differ between clients of the same server (dnscap: one client, many ports).
    let r = run("dnscap__dns.pcap");
    let flows: HashMap<u64, usize> = r.payloads.iter().fold(HashMap::new(), |mut m, p| {
        *m.entry(p.flow).or_default() += 1;
        m
    });
    assert!(flows.len() > 30);
}

#[test]
fn file_source_iterates_frames() {
    let mut s = FileSource::open(pcap("dnscap__sll2.pcap")).unwrap();
    assert_eq!(s.linktype(), linktype::LINUX_SLL2);
    let mut n = 0;
    while let Some(f) = s.next_frame() {
        let f = f.unwrap();
        assert_eq!(f.data.len() as u32, f.orig_len);
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(s.frames_read(), 2);
    assert!(s.next_frame().is_none());
    assert!(format!("{s:?}").contains("sll2"));
}
