//! Shared code of the fuzz targets: the byte format the `decoder` and `pipeline`
//! targets read (a link type, a decoder configuration and a sequence of frames) and the
//! invariant checks, so the seed generator writes exactly what the targets read.
//!
//! Decoder input format:
//!
//! ```text
//! byte 0      link type: index into LINKTYPES (modulo its length)
//! byte 1      configuration: bit 0 tight limits (tiny tables, short timeouts),
//!             bit 1 also treat 5353 as a DNS port
//! then frames, each:
//!   u16 BE    captured length (clamped to the bytes left)
//!   u8        time step: 0x00..=0x7f  +n milliseconds
//!                         0x80..=0xfe  +(n - 0x80) seconds
//!                         0xff         one second back (captures are not always in order)
//!   u8        bytes cut by the snaplen (the frame's wire length is captured + this)
//!   bytes     the frame
//! ```

use hearsay_capture::{Decoder, DecoderConfig, DnsPayload, Timestamp, Transport, linktype};
use hearsay_parse::{Context, Outcome, Parser, ZoneCuts, peek};
use hearsay_record::{Bailiwick, Name, RecordKey, RrType, rdata};

/// Link types a decoder input may pick; the last one is not supported (every frame must
/// then be counted as such).
pub const LINKTYPES: [i32; 12] = [
    linktype::ETHERNET,
    linktype::RAW,
    linktype::DLT_RAW,
    linktype::LINUX_SLL,
    linktype::LINUX_SLL2,
    linktype::NFLOG,
    linktype::NULL,
    linktype::LOOP,
    linktype::IPV4,
    linktype::IPV6,
    linktype::DLT_RAW_OPENBSD,
    147,
];

/// Capture time of the first frame.
pub const BASE_SECS: u64 = 1_700_000_000;

/// One frame of a decoder input.
#[derive(Debug, Clone, Copy)]
pub struct InputFrame<'a> {
    pub ts: Timestamp,
    pub data: &'a [u8],
    pub orig_len: u32,
}

/// A decoded fuzz input.
#[derive(Debug)]
pub struct FramesInput<'a> {
    pub linktype: i32,
    pub config: DecoderConfig,
    pub frames: Vec<InputFrame<'a>>,
}

/// The decoder configuration selected by byte 1 of an input.
pub fn config(selector: u8) -> DecoderConfig {
    let mut c = DecoderConfig::default();
    if selector & 1 != 0 {
        c.max_fragment_trains = 4;
        c.max_fragment_bytes = 8 << 10;
        c.fragment_timeout_secs = 2;
        c.max_fragments_per_train = 4;
        c.max_tcp_streams = 4;
        c.max_tcp_stream_bytes = 4 << 10;
        c.max_tcp_bytes = 8 << 10;
        c.max_tcp_ooo_segments = 3;
        c.tcp_idle_timeout_secs = 3;
        c.max_ip_depth = 2;
    }
    if selector & 2 != 0 {
        c.dns_ports.push(5353);
    }
    c
}

/// Splits a fuzz input into link type, configuration and frames.
pub fn split_frames(input: &[u8]) -> Option<FramesInput<'_>> {
    let (&lt, rest) = input.split_first()?;
    let (&sel, mut rest) = rest.split_first()?;
    let linktype = LINKTYPES[usize::from(lt) % LINKTYPES.len()];
    let mut micros = BASE_SECS * 1_000_000;
    let mut frames = Vec::new();
    while rest.len() >= 4 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let step = rest[2];
        let cut = rest[3];
        rest = &rest[4..];
        let len = len.min(rest.len());
        let (data, tail) = rest.split_at(len);
        rest = tail;
        micros = match step {
            0x00..=0x7f => micros + u64::from(step) * 1_000,
            0x80..=0xfe => micros + u64::from(step - 0x80) * 1_000_000,
            0xff => micros.saturating_sub(1_000_000),
        };
        frames.push(InputFrame {
            ts: Timestamp::new(micros / 1_000_000, (micros % 1_000_000) as u32),
            data,
            orig_len: len as u32 + u32::from(cut),
        });
    }
    Some(FramesInput {
        linktype,
        config: config(sel),
        frames,
    })
}

/// The time step byte closest to going from `from` to `to` (µs).
pub fn time_step(from: u64, to: u64) -> u8 {
    if to < from {
        return 0xff;
    }
    let d = to - from;
    if d < 128_000 {
        (d / 1_000) as u8
    } else {
        0x80 + (d / 1_000_000).min(0x7e) as u8
    }
}

/// Appends one frame in the input format.
pub fn push_frame(out: &mut Vec<u8>, step: u8, data: &[u8], orig_len: u32) {
    let data = &data[..data.len().min(usize::from(u16::MAX))];
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.push(step);
    out.push(orig_len.saturating_sub(data.len() as u32).min(255) as u8);
    out.extend_from_slice(data);
}

/// An owned DNS payload, as the decoder emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub ts: Timestamp,
    pub transport: Transport,
    pub server: std::net::SocketAddr,
    pub from_server: bool,
    pub data: Vec<u8>,
}

/// Runs the frames through one decoder, checking the decoder's invariants after every
/// frame and at the end; returns every payload.
pub fn run_decoder(input: &FramesInput<'_>) -> Vec<Payload> {
    let config = &input.config;
    let mut decoder = Decoder::new(config.clone());
    let mut payloads = Vec::new();
    for (n, frame) in input.frames.iter().enumerate() {
        let before = payloads.len();
        decoder.decode(
            input.linktype,
            frame.ts,
            frame.data,
            frame.orig_len,
            &mut |p: &DnsPayload<'_>| {
                check_payload(p, frame.ts, config);
                payloads.push(Payload {
                    ts: p.ts,
                    transport: p.transport,
                    server: p.server,
                    from_server: p.from_server,
                    data: p.data.to_vec(),
                });
            },
        );
        let stats = decoder.stats();
        assert_eq!(stats.frames, n as u64 + 1);
        assert_eq!(stats.dns_payloads, payloads.len() as u64);
        if !linktype::is_supported(input.linktype) {
            assert_eq!(stats.unsupported_linktype, stats.frames);
            assert_eq!(payloads.len(), before);
        }
        let usage = decoder.usage();
        assert!(
            usage.fragment_trains <= config.max_fragment_trains,
            "{usage:?}"
        );
        assert!(
            usage.fragment_bytes <= config.max_fragment_bytes,
            "{usage:?}"
        );
        assert!(usage.tcp_streams <= config.max_tcp_streams, "{usage:?}");
        assert!(usage.tcp_bytes <= config.max_tcp_bytes, "{usage:?}");
    }
    decoder.finish();
    let stats = decoder.stats();
    assert_eq!(decoder.usage(), Default::default(), "finish leaves state");
    assert_eq!(stats.dns_payloads, payloads.len() as u64);
    let from_server = payloads.iter().filter(|p| p.from_server).count();
    assert_eq!(stats.dns_from_server, from_server as u64);
    let tcp = payloads
        .iter()
        .filter(|p| p.transport == Transport::Tcp)
        .count();
    assert_eq!(stats.tcp_messages, tcp as u64, "{stats:?}");
    assert!(stats.reassembled_datagrams <= stats.ip_fragments);
    assert!(stats.tcp_streams_closed + stats.tcp_stream_timeouts <= stats.tcp_streams);
    payloads
}

fn check_payload(p: &DnsPayload<'_>, ts: Timestamp, config: &DecoderConfig) {
    assert!(p.data.len() >= 12, "payload shorter than a DNS header");
    assert!(
        p.data.len() <= usize::from(u16::MAX),
        "payload over 65535 bytes"
    );
    assert_eq!(p.ts, ts, "payload stamped with another frame's time");
    assert!(
        config.dns_ports.contains(&p.server.port()),
        "server side {} is not on a DNS port",
        p.server
    );
}

/// Runs one DNS message through a parser in both placements and checks every
/// observation. Above the resolver, the message is parsed as if from a root server,
/// then again from each address it taught (so the zones learned get used).
pub fn run_parse(msg: &[u8], time: u64) {
    if let Some(p) = peek(msg) {
        let name = Name::from_wire(&p.qname).expect("peeked qname is a canonical name");
        assert_eq!(name.as_wire(), &p.qname[..], "peeked qname not canonical");
    }

    // Below the resolver.
    let mut parser = Parser::new();
    let below = parse_checked(&mut parser, msg, time, &mut Context::default(), None);
    // The same parser again (its buffers are reused) and a fresh one agree.
    let again = parse_checked(&mut parser, msg, time, &mut Context::default(), None);
    assert_eq!(below, again, "reusing the parser changed the result");
    assert_eq!(parser.stats().messages, 2);
    if let Some((qname, _)) = parser.question() {
        Name::from_wire(qname).expect("question is a canonical name");
    }

    // Above the resolver, learning zone cuts.
    let mut cuts = ZoneCuts::with_root_hints().bounded(16, 3_600);
    let root: std::net::IpAddr = [198, 41, 0, 4].into();
    let mut servers = vec![root];
    let mut seen = vec![root];
    let mut parser = Parser::new();
    while let Some(server) = servers.pop() {
        let mut ctx = Context {
            server: Some(server),
            zones: Some(&mut cuts),
        };
        let (_, keys) = parse_checked(&mut parser, msg, time, &mut ctx, Some(server));
        for key in keys {
            let addr: Option<std::net::IpAddr> = match key.rrtype {
                RrType::A => <[u8; 4]>::try_from(&key.rdata[..]).ok().map(Into::into),
                RrType::AAAA => <[u8; 16]>::try_from(&key.rdata[..]).ok().map(Into::into),
                _ => None,
            };
            if let Some(a) = addr
                && !seen.contains(&a)
                && seen.len() < 6
            {
                seen.push(a);
                servers.push(a);
            }
        }
    }
}

/// Parses and checks; returns the outcome and the decoded observations.
fn parse_checked(
    parser: &mut Parser,
    msg: &[u8],
    time: u64,
    ctx: &mut Context<'_>,
    above: Option<std::net::IpAddr>,
) -> (Outcome, Vec<RecordKey>) {
    let mut keys = Vec::new();
    let outcome = parser.parse_in(msg, time, ctx, &mut |key: &[u8], t: u64| {
        assert_eq!(t, time);
        keys.push(check_key(key, above.is_some()));
    });
    match outcome {
        Outcome::Response { rcode, records } => {
            assert_eq!(records, keys.len());
            if rcode != 0 {
                assert!(keys.is_empty());
            }
        }
        Outcome::Query | Outcome::Ignored | Outcome::Rejected(_) => {
            assert!(keys.is_empty(), "{outcome:?} with observations");
        }
    }
    (outcome, keys)
}

/// Checks one observation's store key: it decodes and re-encodes to the same bytes, its
/// names are canonical, its type is data, and its rdata fits the type.
fn check_key(key: &[u8], above: bool) -> RecordKey {
    let k = RecordKey::decode(key).expect("observation key decodes");
    assert_eq!(k.encode(), key, "key does not re-encode to itself");
    let owner = &k.rrname;
    assert_canonical(owner);
    let text = owner.to_presentation();
    assert_eq!(
        Name::from_presentation(&text).as_ref(),
        Ok(owner),
        "owner {text} does not survive presentation form"
    );
    match &k.bailiwick {
        Bailiwick::Unknown => {}
        Bailiwick::Zone(zone) => {
            assert!(above, "bailiwick below the resolver");
            assert!(owner.is_within(zone));
        }
    }
    assert_ne!(k.rrtype, RrType::OPT);
    assert!(!k.rrtype.is_meta(), "meta type {} observed", k.rrtype);
    match k.rrtype {
        RrType::A => assert_eq!(k.rdata.len(), 4),
        RrType::AAAA => assert_eq!(k.rdata.len(), 16),
        _ => {}
    }
    if rdata::layout::layout(k.rrtype).is_some() {
        let names = rdata::layout::names_in(k.rrtype, &k.rdata).unwrap_or_else(|e| {
            panic!(
                "canonical {} rdata does not follow its layout: {e}",
                k.rrtype
            )
        });
        for name in &names {
            assert_canonical(name);
        }
    }
    // Whatever the bytes, presentation form renders (falling back to RFC 3597).
    let _ = rdata::present(k.rrtype, &k.rdata);
    k
}

/// Lowercase (length bytes are at most 63, below `A`, so the whole wire form can be
/// checked), within the RFC 1035 limits.
fn assert_canonical(name: &Name) {
    assert!(
        !name.as_wire().iter().any(u8::is_ascii_uppercase),
        "name {name} is not lowercase"
    );
    assert!(name.wire_len() <= hearsay_record::MAX_NAME_LEN);
    assert!(name.labels().all(|l| !l.is_empty() && l.len() <= 63));
}

/// Parses the payloads of one capture as a sensor would: one parser below the resolver,
/// one above it with zone cuts learned across the payloads (each from its own server).
pub fn run_pipeline(payloads: &[Payload]) {
    let mut below = Parser::new();
    let mut above = Parser::new();
    let mut cuts = ZoneCuts::with_root_hints().bounded(16, 3_600);
    for p in payloads {
        parse_checked(
            &mut below,
            &p.data,
            p.ts.secs,
            &mut Context::default(),
            None,
        );
        let server = p.server.ip();
        let mut ctx = Context {
            server: Some(server),
            zones: Some(&mut cuts),
        };
        parse_checked(&mut above, &p.data, p.ts.secs, &mut ctx, Some(server));
    }
    assert_eq!(below.stats().messages, payloads.len() as u64);
}
