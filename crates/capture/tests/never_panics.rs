//! `decode` never panics, whatever the bytes, for every supported link type, and its state
//! stays within the configured limits.

#![allow(clippy::unwrap_used)] // integration tests: a failed unwrap is a failed test

mod common;

use common::*;
use hearsay_capture::{Decoder, DecoderConfig, Timestamp, linktype};
use proptest::prelude::*;

const LINKTYPES: [i32; 11] = [
    linktype::NULL,
    linktype::ETHERNET,
    linktype::DLT_RAW,
    linktype::DLT_RAW_OPENBSD,
    linktype::RAW,
    linktype::LOOP,
    linktype::LINUX_SLL,
    linktype::IPV4,
    linktype::IPV6,
    linktype::NFLOG,
    linktype::LINUX_SLL2,
];

/// Where `linktype::RAW` is in `LINKTYPES`.
const RAW_INDEX: usize = 4;

/// A link-layer header that leads to IP for each link type, so random bytes after it reach
/// the IP and transport decoders.
fn link_header(lt: i32, v6: bool) -> Vec<u8> {
    let et: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    match lt {
        linktype::ETHERNET => {
            let mut h = vec![0; 12];
            h.extend_from_slice(&[0x81, 0x00, 0, 1]);
            h.extend_from_slice(&et);
            h
        }
        linktype::LINUX_SLL => {
            let mut h = vec![0; 14];
            h.extend_from_slice(&et);
            h
        }
        linktype::LINUX_SLL2 => {
            let mut h = et.to_vec();
            h.extend_from_slice(&[0; 18]);
            h
        }
        linktype::NULL => (if v6 { 30u32 } else { 2 }).to_le_bytes().to_vec(),
        linktype::LOOP => (if v6 { 24u32 } else { 2 }).to_be_bytes().to_vec(),
        linktype::NFLOG => {
            let mut h = vec![if v6 { 10 } else { 2 }, 0, 0, 0];
            h.extend_from_slice(&0xffffu16.to_ne_bytes());
            h.extend_from_slice(&9u16.to_ne_bytes());
            h
        }
        _ => Vec::new(),
    }
}

/// Valid frames of several kinds, to be mutated.
fn seeds() -> Vec<Vec<u8>> {
    let r = dns(7, true, 60);
    let u = udp(53, 4000, &r);
    let mut framed = (r.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&r);
    vec![
        udp4(SERVER4, CLIENT4, 53, 4000, &r),
        ipv6(SERVER6, CLIENT6, 17, &u),
        ipv4(SERVER4, CLIENT4, 17, (1, 0, true), &u[..48]),
        ipv4(SERVER4, CLIENT4, 17, (1, 48, false), &u[48..]),
        ipv6(SERVER6, CLIENT6, 44, &frag6(17, 3, 0, true, &u[..32])),
        ipv6(SERVER6, CLIENT6, 0, &{
            let mut h = vec![60, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0];
            h.extend_from_slice(&u);
            h
        }),
        ipv4(
            SERVER4,
            CLIENT4,
            6,
            (0, 0, false),
            &tcp(53, 4000, 9, 1, ACK, &framed),
        ),
        ipv4(
            SERVER4,
            CLIENT4,
            6,
            (0, 0, false),
            &tcp(53, 4000, 9, 1, SYN | ACK, &[]),
        ),
        ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            4,
            (0, 0, false),
            &udp4(SERVER4, CLIENT4, 53, 4000, &r),
        ),
        ipv6(CLIENT6, SERVER6, 41, &ipv6(SERVER6, CLIENT6, 17, &u)),
    ]
}

fn small_limits() -> DecoderConfig {
    DecoderConfig {
        max_fragment_trains: 8,
        max_fragment_bytes: 4096,
        max_tcp_streams: 8,
        max_tcp_stream_bytes: 2048,
        max_tcp_bytes: 8192,
        max_tcp_ooo_segments: 4,
        ..DecoderConfig::default()
    }
}

fn decode_all(d: &mut Decoder, frames: &[(usize, Vec<u8>, u32)]) {
    assert_eq!(LINKTYPES[RAW_INDEX], linktype::RAW);
    for (i, (lt, frame, extra)) in frames.iter().enumerate() {
        let lt = LINKTYPES[*lt % LINKTYPES.len()];
        let ts = Timestamp::new(i as u64 / 3, (i as u32 * 7919) % 1_000_000);
        let orig = (frame.len() as u32).saturating_add(*extra % 3);
        d.decode(lt, ts, frame, orig, &mut |p| {
            assert!(p.data.len() >= 12);
            assert!(p.data.len() <= 65535);
        });
        let u = d.usage();
        let c = d.config();
        assert!(u.fragment_trains <= c.max_fragment_trains);
        assert!(u.fragment_bytes <= c.max_fragment_bytes);
        assert!(u.tcp_streams <= c.max_tcp_streams);
        assert!(u.tcp_bytes <= c.max_tcp_bytes);
    }
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=100000 for a longer local run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes(lt in 0usize..LINKTYPES.len(), frame in proptest::collection::vec(any::<u8>(), 0..200), orig in any::<u32>()) {
        let mut d = Decoder::default();
        d.decode(LINKTYPES[lt], Timestamp::default(), &frame, orig, &mut |_| {});
        prop_assert_eq!(d.stats().frames, 1);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_link_header(
        lt in 0usize..LINKTYPES.len(),
        v6 in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let lt = LINKTYPES[lt];
        let mut frame = link_header(lt, v6);
        // Make the NFLOG payload TLV length match.
        if lt == linktype::NFLOG {
            let len = (4 + body.len()) as u16;
            frame[4..6].copy_from_slice(&len.to_ne_bytes());
        }
        frame.extend_from_slice(&body);
        let mut d = Decoder::default();
        d.decode(lt, Timestamp::default(), &frame, frame.len() as u32, &mut |_| {});
    }

    #[test]
    fn mutated_valid_frames(
        seed in 0usize..10,
        lt in 0usize..LINKTYPES.len(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
    ) {
        let lt = LINKTYPES[lt];
        let seeds = seeds();
        let ip = &seeds[seed % seeds.len()];
        let v6 = ip[0] >> 4 == 6;
        let mut frame = link_header(lt, v6);
        if lt == linktype::NFLOG {
            let len = (4 + ip.len()) as u16;
            frame[4..6].copy_from_slice(&len.to_ne_bytes());
        }
        frame.extend_from_slice(ip);
        for (at, b) in flips {
            let n = frame.len();
            frame[at % n] ^= b;
        }
        let keep = frame.len() - cut % (frame.len() / 4 + 1);
        let mut d = Decoder::default();
        d.decode(lt, Timestamp::default(), &frame[..keep], frame.len() as u32, &mut |_| {});
    }

    /// Many frames through one decoder with tight limits: reassembly state is exercised
    /// (fragments and segments of few distinct keys) and must respect the limits throughout.
    #[test]
    fn sequences_respect_limits(
        frames in proptest::collection::vec(
            (0usize..10, any::<u16>(), any::<u32>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..120), any::<bool>()),
            1..60,
        ),
    ) {
        let mut built = Vec::new();
        for (kind, small, seq, flags, data, v6) in frames {
            let port = 40000 + (small % 4);
            let id = small % 3;
            let off = u32::from(small % 16) * 8;
            let ip = match kind % 5 {
                0 => ipv4(SERVER4, CLIENT4, 6, (0, 0, false), &tcp(53, port, seq % 4096, seq / 4096, flags, &data)),
                1 => ipv4(CLIENT4, SERVER4, 6, (0, 0, false), &tcp(port, 53, seq % 4096, seq / 4096, flags, &data)),
                2 => ipv4(SERVER4, CLIENT4, 17, (id, off, flags & 1 == 1), &data),
                3 if v6 => ipv6(SERVER6, CLIENT6, 44, &frag6(17, u32::from(id), off, flags & 1 == 1, &data)),
                _ => ipv4(SERVER4, CLIENT4, 17, (id, 0, true), &udp(53, port, &data)),
            };
            built.push((RAW_INDEX, ip, 0));
        }
        let mut d = Decoder::new(small_limits());
        decode_all(&mut d, &built);
        d.finish();
        prop_assert_eq!(d.usage(), Default::default());
    }
}
