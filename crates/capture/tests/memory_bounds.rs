//! Floods of never-completed fragment trains and TCP streams stay within the limits.

#![allow(clippy::unwrap_used)] // integration tests: a failed unwrap is a failed test

mod common;

use common::*;
use hearsay_capture::{DecoderConfig, Timestamp};

const FLOOD: u32 = 100_000;

#[test]
fn never_completed_fragment_trains() {
    let config = DecoderConfig {
        max_fragment_trains: 1000,
        max_fragment_bytes: 256 << 10,
        ..DecoderConfig::default()
    };
    let mut f = Feeder::new(config.clone());
    let payload = udp(53, 40000, &dns(1, true, 400));
    for i in 0..FLOOD {
        // First fragments (MF set) from many sources; the rest never comes.
        let src = (i + 1).to_be_bytes();
        let p = ipv4(src, CLIENT4, 17, (i as u16, 0, true), &payload[..400]);
        f.raw(&p);
        if i % 997 == 0 {
            let u = f.decoder.usage();
            assert!(u.fragment_trains <= config.max_fragment_trains, "{u:?}");
            assert!(u.fragment_bytes <= config.max_fragment_bytes, "{u:?}");
        }
    }
    let u = f.decoder.usage();
    assert!(u.fragment_trains <= config.max_fragment_trains);
    assert!(u.fragment_bytes <= config.max_fragment_bytes);
    let s = f.stats().clone();
    assert_eq!(s.ip_fragments, u64::from(FLOOD));
    assert!(f.out.is_empty());
    // Every train is accounted for: evicted, timed out (the feeder's clock advances ~1 ms per
    // frame, so the 30 s timeout fires during the flood) or still held.
    assert_eq!(
        s.fragment_trains_evicted
            + s.fragment_timeouts
            + u.fragment_trains as u64
            + s.fragments_over_limit,
        u64::from(FLOOD)
    );
    assert!(s.fragment_trains_evicted > 0);
    f.decoder.expire(Timestamp::new(u64::MAX / 2_000_000, 0));
    assert_eq!(f.decoder.usage(), Default::default());
}

#[test]
fn never_completed_tcp_streams() {
    let config = DecoderConfig {
        max_tcp_streams: 2000,
        max_tcp_bytes: 1 << 20,
        ..DecoderConfig::default()
    };
    let mut f = Feeder::new(config.clone());
    for i in 0..FLOOD {
        // A partial message of a 1000-byte response on a connection picked up mid-stream.
        let client = (0xc000_0000u32 + i).to_be_bytes();
        let mut data = vec![0x03, 0xe8];
        data.extend_from_slice(&[7; 600]);
        let p = ipv4(
            SERVER4,
            client,
            6,
            (0, 0, false),
            &tcp(53, 40000, i, 1, ACK, &data),
        );
        f.raw(&p);
        if i % 997 == 0 {
            let u = f.decoder.usage();
            assert!(u.tcp_streams <= config.max_tcp_streams, "{u:?}");
            assert!(u.tcp_bytes <= config.max_tcp_bytes, "{u:?}");
        }
    }
    let u = f.decoder.usage();
    assert!(u.tcp_streams <= config.max_tcp_streams);
    assert!(u.tcp_bytes <= config.max_tcp_bytes);
    let s = f.stats().clone();
    assert!(f.out.is_empty());
    assert_eq!(s.tcp_streams, u64::from(FLOOD));
    assert_eq!(
        s.tcp_streams_over_limit + s.tcp_stream_timeouts + u.tcp_streams as u64,
        u64::from(FLOOD)
    );
    assert!(s.tcp_streams_over_limit > 0);
    // Under the byte limit, later streams' partial messages were refused, not grown.
    assert!(s.tcp_bytes_over_limit > 0);
    f.decoder.finish();
    assert_eq!(f.decoder.usage(), Default::default());
}
