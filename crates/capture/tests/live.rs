//! The default BPF filter (compiled by libpcap and run on real frames) and a live capture
//! on the loopback interface (skipped where capturing is not permitted).

#![allow(clippy::unwrap_used)] // integration tests: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use common::{CLIENT4, Owned, SERVER4, ether, pcap, udp4};
use hearsay_capture::{Decoder, FileSource, LiveConfig, LiveSource, default_bpf_filter, linktype};

fn program(lt: i32) -> pcap::BpfProgram {
    let filter = default_bpf_filter(&[53], lt).unwrap();
    pcap::Capture::dead(pcap::Linktype(lt))
        .unwrap()
        .compile(&filter, true)
        .unwrap_or_else(|e| panic!("{filter}: {e}"))
}

/// (frames matched, frames in file) and the decoder output on matched frames only.
fn filter_file(name: &str) -> (usize, usize, usize, usize) {
    let mut s = FileSource::open(pcap(name)).unwrap();
    let prog = program(s.linktype());
    let lt = s.linktype();
    let (mut matched, mut total) = (0, 0);
    let mut filtered = Decoder::default();
    let mut all = Decoder::default();
    let (mut n_filtered, mut n_all) = (0, 0);
    while let Some(f) = s.next_frame() {
        let f = f.unwrap();
        total += 1;
        all.decode(lt, f.ts, f.data, f.orig_len, &mut |_| n_all += 1);
        if prog.filter(f.data) {
            matched += 1;
            filtered.decode(lt, f.ts, f.data, f.orig_len, &mut |_| n_filtered += 1);
        }
    }
    (matched, total, n_filtered, n_all)
}

#[test]
fn default_filter_text() {
    assert_eq!(
        default_bpf_filter(&[53], linktype::RAW).unwrap(),
        "port 53 or (ip[6:2] & 0x1fff != 0) or (ip6[6] == 44)"
    );
    let eth = default_bpf_filter(&[53, 5353], linktype::ETHERNET).unwrap();
    assert!(eth.starts_with("(port 53 or port 5353 or"));
    assert!(eth.contains("vlan and"));
    assert_eq!(default_bpf_filter(&[53], linktype::NFLOG), None);
    assert_eq!(default_bpf_filter(&[53], 9999), None);
    // It compiles for every link type it is given for.
    for lt in [
        linktype::NULL,
        linktype::ETHERNET,
        linktype::DLT_RAW,
        linktype::LOOP,
        linktype::LINUX_SLL,
        linktype::IPV4,
        linktype::IPV6,
        linktype::LINUX_SLL2,
    ] {
        program(lt);
    }
}

#[test]
fn default_filter_keeps_all_dns_and_fragments() {
    // dnscap captures: 82 DNS frames out of 133 (the rest is ARP and ICMP).
    for name in ["dnscap__dns.pcap", "dnscap__vlan11.pcap"] {
        assert_eq!(filter_file(name), (82, 133, 82, 82), "{name}");
    }
    // Every fragment is kept, first or not.
    let (m, t, f, a) = filter_file("dnscap__frags.pcap");
    assert_eq!((m, t, f, a), (495, 495, 82, 82));
    let (m, t, f, a) = filter_file("zeek__ipv6-fragmented-dns.pcap");
    assert_eq!((m, t, f, a), (8, 8, 5, 5));
    for name in [
        "dnscap__dnso1tcp.pcap",
        "ndpi__dns_fragmented.pcap",
        "zeek__dns-edns-ecs.pcap",
        "dnscap__sll2.pcap",
    ] {
        let (_, _, f, a) = filter_file(name);
        assert_eq!(f, a, "{name}: the filter lost DNS");
    }
    // mDNS is not kept.
    assert_eq!(filter_file("zeek__mdns.pcap").0, 0);
}

#[test]
fn default_filter_matches_double_tagged_frames() {
    let prog = program(linktype::ETHERNET);
    let dns = udp4(SERVER4, CLIENT4, 53, 40000, &common::dns(1, true, 40));
    let other = udp4(SERVER4, CLIENT4, 123, 40000, &common::dns(1, true, 40));
    let tag = |inner: &[u8], et: u16| {
        let mut v = vec![0, 7];
        v.extend_from_slice(&et.to_be_bytes());
        v.extend_from_slice(inner);
        v
    };
    for ip in [&dns, &other] {
        let is_dns = ip == &dns;
        let plain = ether(0x0800, ip);
        let one = ether(0x8100, &tag(ip, 0x0800));
        let two = ether(0x88a8, &tag(&tag(ip, 0x0800), 0x8100));
        assert_eq!(prog.filter(&plain), is_dns);
        assert_eq!(prog.filter(&one), is_dns);
        assert_eq!(prog.filter(&two), is_dns);
    }
    // A non-first IPv4 fragment inside two tags.
    let frag = common::ipv4(SERVER4, CLIENT4, 17, (3, 1480, false), &[0; 16]);
    assert!(prog.filter(&ether(0x88a8, &tag(&tag(&frag, 0x0800), 0x8100))));
}

#[test]
fn live_capture_on_loopback() {
    let config = LiveConfig {
        interface: "lo".to_owned(),
        timeout_ms: 100,
        buffer_size: 1 << 20,
        ..LiveConfig::default()
    };
    let mut source = match LiveSource::open(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("skipping live capture test: {e}");
            return;
        }
    };
    assert!(source.filter().is_some());
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut msg = common::dns(0xbeef, false, 30);
    msg[12..20].copy_from_slice(b"hearsay!");
    let mut decoder = Decoder::default();
    let mut found: Vec<Owned> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = Instant::now() - Duration::from_secs(1);
    while found.is_empty() && Instant::now() < deadline {
        if sent.elapsed() > Duration::from_millis(300) {
            sock.send_to(&msg, "127.0.0.1:53").unwrap();
            sent = Instant::now();
        }
        let lt = source.linktype();
        match source.next_frame() {
            Ok(Some(f)) => decoder.decode(lt, f.ts, f.data, f.orig_len, &mut |p| {
                if p.data == msg.as_slice() {
                    found.push(Owned::of(p));
                }
            }),
            Ok(None) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(!found.is_empty(), "our datagram was not captured");
    assert_eq!(found[0].server, "127.0.0.1:53".parse().unwrap());
    assert!(!found[0].from_server);
    let stats = source.stats().unwrap();
    assert!(stats.received >= 1);
    assert!(format!("{source:?}").contains("lo"));
}

#[test]
fn live_errors_name_the_interface() {
    let config = LiveConfig {
        interface: "no-such-interface0".to_owned(),
        ..LiveConfig::default()
    };
    let err = LiveSource::open(&config).unwrap_err();
    assert!(err.to_string().contains("no-such-interface0"), "{err}");

    let config = LiveConfig {
        interface: "lo".to_owned(),
        filter: Some("this is not bpf".to_owned()),
        ..LiveConfig::default()
    };
    let err = LiveSource::open(&config).unwrap_err();
    assert!(err.to_string().contains("lo"), "{err}");
}
