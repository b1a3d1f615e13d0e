//! The fragmented and TCP transports of the benchmark workload carry the same DNS messages
//! as the UDP one, and hearsay's decoder puts every one of them back together.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

use hearsay_capture::{DecodeStats, Decoder, DecoderConfig, Timestamp};
use hearsay_gen::pcap::PcapReader;
use hearsay_gen::synth::{FRAGMENT_PAYLOAD, SynthConfig, SynthStats, Transport, write_pcap};

fn config(transport: Transport) -> SynthConfig {
    SynthConfig {
        packets: 6_000,
        seed: 11,
        names: 3_000,
        duration_secs: 60,
        transport,
        ..SynthConfig::default()
    }
}

/// What the decoder makes of a capture: the DNS messages (sorted, as the transports
/// reorder exchanges in time), the counters, and the frame times.
struct Decoded {
    queries: Vec<Vec<u8>>,
    responses: Vec<Vec<u8>>,
    stats: DecodeStats,
    times: Vec<(u32, u32)>,
}

fn generate(transport: Transport) -> (SynthStats, Vec<u8>) {
    let mut file = Vec::new();
    let stats = write_pcap(&config(transport), &mut file).unwrap();
    (stats, file)
}

fn decode(file: &[u8]) -> Decoded {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut out = Decoded {
        queries: Vec::new(),
        responses: Vec::new(),
        stats: DecodeStats::default(),
        times: Vec::new(),
    };
    let reader = PcapReader::new(file).unwrap();
    let linktype = i32::try_from(reader.header().linktype.0).unwrap();
    for record in reader {
        let r = record.unwrap();
        out.times.push((r.ts_secs, r.ts_frac));
        let ts = Timestamp::new(u64::from(r.ts_secs), r.ts_frac);
        decoder.decode(linktype, ts, &r.data, r.orig_len, &mut |p| {
            if p.from_server {
                out.responses.push(p.data.to_vec());
            } else {
                out.queries.push(p.data.to_vec());
            }
        });
    }
    decoder.finish();
    out.stats = decoder.stats().clone();
    out.queries.sort();
    out.responses.sort();
    out
}

#[test]
fn udp_is_the_default_and_one_frame_per_message() {
    assert_eq!(SynthConfig::default().transport, Transport::Udp);
    let (stats, file) = generate(Transport::Udp);
    assert_eq!(stats.packets, 6_000);
    assert_eq!((stats.fragments, stats.tcp_segments), (0, 0));
    let d = decode(&file);
    assert_eq!(d.responses.len(), 3_000);
    assert_eq!(d.stats.reassembled_datagrams + d.stats.tcp_messages, 0);
}

#[test]
fn fragmented_responses_decode_to_the_udp_messages() {
    let (udp_stats, udp) = generate(Transport::Udp);
    let (stats, file) = generate(Transport::Fragmented);
    assert_eq!(stats.queries, udp_stats.queries);
    assert_eq!(stats.responses, udp_stats.responses);
    assert_eq!(stats.nxdomain, udp_stats.nxdomain);
    // Every response is cut: at least two fragments each.
    assert!(stats.fragments >= 2 * stats.responses, "{stats:?}");
    assert_eq!(stats.packets, stats.queries + stats.fragments);

    let want = decode(&udp);
    let got = decode(&file);
    assert_eq!(got.stats.ip_fragments, stats.fragments);
    assert_eq!(got.stats.reassembled_datagrams, stats.responses);
    assert_eq!(got.stats.fragment_timeouts, 0);
    assert_eq!(got.queries, want.queries);
    assert_eq!(got.responses, want.responses);
    assert!(got.times.windows(2).all(|w| w[0] <= w[1]), "time order");
}

#[test]
fn tcp_exchanges_decode_to_the_udp_messages() {
    let (udp_stats, udp) = generate(Transport::Udp);
    let (stats, file) = generate(Transport::Tcp);
    assert_eq!(stats.queries, udp_stats.queries);
    assert_eq!(stats.responses, udp_stats.responses);
    assert_eq!(stats.tcp_connections, stats.responses);
    assert_eq!(stats.packets, stats.tcp_segments);
    // Handshake 3, query 1–2, response 1–2, ACK, close 3.
    assert!(stats.tcp_segments >= 9 * stats.tcp_connections);
    assert!(stats.tcp_segments <= 11 * stats.tcp_connections);

    let want = decode(&udp);
    let got = decode(&file);
    assert_eq!(got.stats.tcp_messages, stats.queries + stats.responses);
    assert_eq!(got.stats.tcp_streams, stats.tcp_connections);
    assert_eq!(got.stats.tcp_streams_closed, stats.tcp_connections);
    assert_eq!(got.stats.tcp_gaps + got.stats.tcp_desyncs, 0);
    assert_eq!(got.stats.tcp_dropped_bytes, 0);
    assert_eq!(got.queries, want.queries);
    assert_eq!(got.responses, want.responses);
    assert!(got.times.windows(2).all(|w| w[0] <= w[1]), "time order");
}

#[test]
fn the_transports_are_deterministic() {
    for t in [Transport::Fragmented, Transport::Tcp] {
        assert_eq!(generate(t).1, generate(t).1, "{t}");
    }
}

#[test]
fn the_smallest_response_still_needs_two_fragments() {
    // A datagram of FRAGMENT_PAYLOAD bytes or less would go out whole over IPv4.
    let (_, file) = generate(Transport::Udp);
    let smallest = decode(&file).responses.iter().map(Vec::len).min().unwrap();
    assert!(
        8 + smallest > FRAGMENT_PAYLOAD,
        "smallest response {smallest}"
    );
}
