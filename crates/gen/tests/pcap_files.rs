//! The capture file writers, checked byte by byte and through the reader.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

use std::io::Write;

use hearsay_gen::pcap::{LinkType, PcapReader, PcapWriter};
use hearsay_gen::pcapng::PcapngWriter;
use hearsay_gen::{Packet, Timestamp};

#[test]
fn pcap_header_is_classic_microsecond_2_4() {
    let bytes = PcapWriter::with_snaplen(Vec::new(), LinkType::ETHERNET, 65535)
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(bytes.len(), 24);
    assert_eq!(&bytes[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    assert_eq!(&bytes[4..8], &[2, 0, 4, 0]);
    assert_eq!(&bytes[8..16], &[0; 8]);
    assert_eq!(u32::from_le_bytes(bytes[16..20].try_into().unwrap()), 65535);
    assert_eq!(u32::from_le_bytes(bytes[20..24].try_into().unwrap()), 1);
}

#[test]
fn pcap_records_round_trip() {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW).unwrap();
    assert_eq!(w.linktype(), LinkType::RAW);
    let frames: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 40 + usize::from(i)]).collect();
    for (i, f) in frames.iter().enumerate() {
        w.write_frame(1_100_000_000 + i as u32, 999_999 - i as u32, f)
            .unwrap();
    }
    w.write_packet(&Packet::new(
        Timestamp::new(1_200_000_000, 1_500_000),
        vec![9; 3],
    ))
    .unwrap();
    let bytes = w.finish().unwrap();

    let mut r = PcapReader::new(&bytes[..]).unwrap();
    let h = *r.header();
    assert_eq!((h.version_major, h.version_minor), (2, 4));
    assert_eq!(h.linktype, LinkType::RAW);
    assert!(!h.nanos && !h.big_endian);
    for (i, f) in frames.iter().enumerate() {
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.ts_secs, 1_100_000_000 + i as u32);
        assert_eq!(rec.ts_frac, 999_999 - i as u32);
        assert_eq!(rec.orig_len as usize, f.len());
        assert_eq!(&rec.data, f);
    }
    // Microseconds beyond a second carried into the seconds.
    let rec = r.next_record().unwrap().unwrap();
    assert_eq!(
        (rec.ts_secs, rec.ts_frac, rec.data.len()),
        (1_200_000_001, 500_000, 3)
    );
    assert!(r.next_record().unwrap().is_none());
}

#[test]
fn snaplen_and_truncated_records() {
    let mut w = PcapWriter::with_snaplen(Vec::new(), LinkType::ETHERNET, 64).unwrap();
    w.write_frame(1, 0, &[7u8; 100]).unwrap();
    w.write_frame_truncated(2, 0, &[8u8; 30], 1500).unwrap();
    assert!(w.write_frame_truncated(3, 0, &[0u8; 30], 10).is_err());
    assert!(w.write_frame(3, 1_000_000, &[0u8; 30]).is_err());
    let bytes = w.finish().unwrap();
    let recs: Vec<_> = PcapReader::new(&bytes[..])
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[0].data.len(), recs[0].orig_len), (64, 100));
    assert_eq!((recs[1].data.len(), recs[1].orig_len), (30, 1500));
}

#[test]
fn reader_accepts_big_endian_and_nanoseconds_and_rejects_garbage() {
    let mut be = Vec::new();
    be.write_all(&0xa1b2_3c4du32.to_be_bytes()).unwrap();
    be.write_all(&2u16.to_be_bytes()).unwrap();
    be.write_all(&4u16.to_be_bytes()).unwrap();
    be.write_all(&[0; 8]).unwrap();
    be.write_all(&1500u32.to_be_bytes()).unwrap();
    be.write_all(&113u32.to_be_bytes()).unwrap();
    for v in [5u32, 123_456_789, 2, 2] {
        be.write_all(&v.to_be_bytes()).unwrap();
    }
    be.write_all(&[1, 2]).unwrap();
    let mut r = PcapReader::new(&be[..]).unwrap();
    assert!(r.header().big_endian && r.header().nanos);
    assert_eq!(r.header().linktype, LinkType::LINUX_SLL);
    let rec = r.next_record().unwrap().unwrap();
    assert_eq!(
        (rec.ts_secs, rec.ts_frac, rec.data),
        (5, 123_456_789, vec![1, 2])
    );

    assert!(PcapReader::new(&[0u8; 24][..]).is_err());
    // A record header cut short is an error, not a clean end.
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET).unwrap();
    w.write_frame(1, 1, &[0; 10]).unwrap();
    let bytes = w.finish().unwrap();
    let mut r = PcapReader::new(&bytes[..30]).unwrap();
    assert!(r.next_record().is_err());
}

/// Walks the blocks of a pcapng file: (type, body).
fn blocks(bytes: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let t = u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[i + 4..i + 8].try_into().unwrap()) as usize;
        assert_eq!(len % 4, 0, "block length is a multiple of 4");
        let trailer = u32::from_le_bytes(bytes[i + len - 4..i + len].try_into().unwrap());
        assert_eq!(trailer as usize, len, "trailing length repeats");
        out.push((t, bytes[i + 8..i + len - 4].to_vec()));
        i += len;
    }
    assert_eq!(i, bytes.len());
    out
}

#[test]
fn pcapng_has_shb_idb_and_epbs() {
    let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET).unwrap();
    let second = w.add_interface(LinkType::RAW, 32).unwrap();
    assert_eq!(second, 1);
    let ts = Timestamp::new(1_100_000_000, 123_456);
    w.write_frame(ts, &[0xaa; 61]).unwrap();
    w.write_frame_on(1, ts.plus_micros(1), &[0x45; 50]).unwrap();
    w.write_packet(&Packet::new(ts.plus_micros(2), vec![1, 2, 3, 4]))
        .unwrap();
    assert!(w.write_frame_on(7, ts, &[0]).is_err());
    let bytes = w.finish().unwrap();

    let b = blocks(&bytes);
    let types: Vec<u32> = b.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, [0x0A0D_0D0A, 1, 1, 6, 6, 6]);
    let shb = &b[0].1;
    assert_eq!(
        u32::from_le_bytes(shb[0..4].try_into().unwrap()),
        0x1A2B_3C4D
    );
    assert_eq!(&shb[4..8], &[1, 0, 0, 0]);
    assert_eq!(i64::from_le_bytes(shb[8..16].try_into().unwrap()), -1);
    assert_eq!(&b[1].1[0..2], &[1, 0]);
    assert_eq!(&b[2].1[0..2], &[101, 0]);
    assert_eq!(u32::from_le_bytes(b[2].1[4..8].try_into().unwrap()), 32);

    let epb = |body: &[u8]| {
        let u = |i: usize| u32::from_le_bytes(body[i..i + 4].try_into().unwrap());
        let ts = (u64::from(u(4)) << 32) | u64::from(u(8));
        (
            u(0),
            ts,
            u(12) as usize,
            u(16) as usize,
            body[20..20 + u(12) as usize].to_vec(),
        )
    };
    let (if0, t0, cap0, len0, data0) = epb(&b[3].1);
    assert_eq!((if0, t0, cap0, len0), (0, ts.as_micros(), 61, 61));
    assert_eq!(data0, vec![0xaa; 61]);
    // Padded to 32 bits.
    assert_eq!(b[3].1.len(), 20 + 64);
    let (if1, t1, cap1, len1, _) = epb(&b[4].1);
    assert_eq!((if1, t1, cap1, len1), (1, ts.as_micros() + 1, 32, 50));
    let (_, _, _, _, data2) = epb(&b[5].1);
    assert_eq!(data2, vec![1, 2, 3, 4]);
}
