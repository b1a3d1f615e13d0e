//! Helpers shared by the integration tests: running files and building frames by hand.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use hearsay_capture::{
    DecodeStats, Decoder, DecoderConfig, DnsPayload, FileSummary, Timestamp, Transport, decode_file,
};

/// A payload with owned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub ts: Timestamp,
    pub transport: Transport,
    pub server: SocketAddr,
    pub from_server: bool,
    pub flow: u64,
    pub data: Vec<u8>,
}

impl Owned {
    pub fn of(p: &DnsPayload<'_>) -> Owned {
        Owned {
            ts: p.ts,
            transport: p.transport,
            server: p.server,
            from_server: p.from_server,
            flow: p.flow,
            data: p.data.to_vec(),
        }
    }

    /// The DNS message id.
    pub fn id(&self) -> u16 {
        u16::from_be_bytes([self.data[0], self.data[1]])
    }
}

pub fn pcap_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/pcaps"
    ))
}

pub fn pcap(name: &str) -> PathBuf {
    pcap_dir().join(name)
}

pub struct Run {
    pub payloads: Vec<Owned>,
    pub stats: DecodeStats,
    pub summary: FileSummary,
}

impl Run {
    pub fn server_side(&self) -> Vec<&Owned> {
        self.payloads.iter().filter(|p| p.from_server).collect()
    }

    /// `id:len` of the server-side messages, as tshark's `dns.id` and length fields show them.
    pub fn response_ids(&self) -> String {
        self.server_side()
            .iter()
            .map(|p| format!("{:04x}:{}", p.id(), p.data.len()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Decodes a whole file with `config`, then finishes the decoder.
pub fn run_with(name: &str, config: DecoderConfig) -> Run {
    let mut decoder = Decoder::new(config);
    let mut payloads = Vec::new();
    let summary = decode_file(&pcap(name), &mut decoder, &mut |p| {
        payloads.push(Owned::of(p))
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    decoder.finish();
    let usage = decoder.usage();
    assert_eq!(usage, Default::default(), "{name}: state left after finish");
    Run {
        payloads,
        stats: decoder.stats().clone(),
        summary,
    }
}

pub fn run(name: &str) -> Run {
    run_with(name, DecoderConfig::default())
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---- hand-built frames ------------------------------------------------------------

pub const CLIENT4: [u8; 4] = [192, 0, 2, 1];
pub const SERVER4: [u8; 4] = [198, 51, 100, 53];
pub const CLIENT6: [u8; 16] = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub const SERVER6: [u8; 16] = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53];

/// A DNS message of `len` bytes (at least 12) with the given id and QR bit.
pub fn dns(id: u16, response: bool, len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len.max(12)];
    m[..2].copy_from_slice(&id.to_be_bytes());
    m[2] = if response { 0x81 } else { 0x01 };
    for (i, b) in m.iter_mut().enumerate().skip(12) {
        *b = (i % 251) as u8;
    }
    m
}

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

pub const SYN: u8 = 0x02;
pub const FIN: u8 = 0x01;
pub const RST: u8 = 0x04;
pub const ACK: u8 = 0x10;
pub const PSH: u8 = 0x08;

pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(5 << 4);
    t.push(flags);
    t.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// An IPv4 packet; `frag` is `(id, offset in bytes, more)`.
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    frag: (u16, u32, bool),
    payload: &[u8],
) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&frag.0.to_be_bytes());
    let flags = ((frag.1 / 8) as u16) | if frag.2 { 0x2000 } else { 0 };
    h.extend_from_slice(&flags.to_be_bytes());
    h.extend_from_slice(&[64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    h
}

pub fn udp4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    ipv4(src, dst, 17, (0, 0, false), &udp(sport, dport, payload))
}

/// An IPv6 packet with the given first next-header and payload (extension headers included).
pub fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    h
}

/// An IPv6 fragment header followed by `data`.
pub fn frag6(next: u8, id: u32, offset: u32, more: bool, data: &[u8]) -> Vec<u8> {
    let mut h = vec![next, 0];
    h.extend_from_slice(&((offset as u16 & 0xfff8) | u16::from(more)).to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(data);
    h
}

pub fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Collects what one decoder emits across many frames.
pub struct Feeder {
    pub decoder: Decoder,
    pub out: Vec<Owned>,
    pub t: u64,
}

impl Feeder {
    pub fn new(config: DecoderConfig) -> Feeder {
        Feeder {
            decoder: Decoder::new(config),
            out: Vec::new(),
            t: 1_000_000,
        }
    }

    pub fn feed(&mut self, linktype: i32, frame: &[u8]) {
        self.t += 1;
        let ts = Timestamp::new(self.t / 1000, (self.t % 1000) as u32 * 1000);
        let out = &mut self.out;
        self.decoder
            .decode(linktype, ts, frame, frame.len() as u32, &mut |p| {
                out.push(Owned::of(p))
            });
    }

    pub fn raw(&mut self, packet: &[u8]) {
        self.feed(hearsay_capture::linktype::RAW, packet);
    }

    pub fn stats(&self) -> &DecodeStats {
        self.decoder.stats()
    }

    pub fn take(&mut self) -> Vec<Owned> {
        std::mem::take(&mut self.out)
    }
}
