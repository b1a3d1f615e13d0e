//! The workload iterator.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::config::SynthConfig;
use super::population::{Kind, MAX_VARIANTS, Population, stream};
use super::responses;
use super::scheduled::Scheduled;
use super::tcp_session::{Ends, tcp_exchange};
use super::transport::{FRAGMENT_PAYLOAD, Transport};
use super::zipf::Zipf;
use crate::dns::{mix_qname_case, question_end, set_id};
use crate::error::{Error, Result};
use crate::frame::{Link, udp_fragment_frames, udp_frame_into};
use crate::time::{Packet, Timestamp};

/// Counts of what was generated so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Frames emitted.
    pub packets: u64,
    /// Queries sent (over UDP, one frame each).
    pub queries: u64,
    /// Responses sent (over UDP, one frame each; fragmented, several; over TCP, inside a
    /// connection's segments).
    pub responses: u64,
    /// Responses with RCODE NXDOMAIN.
    pub nxdomain: u64,
    /// NOERROR responses with an empty answer section.
    pub nodata: u64,
    /// Frames over IPv6 (counted when built: a connection's or a fragment train's frames
    /// all at once).
    pub ipv6_packets: u64,
    /// DNS messages with a 0x20-mixed-case name.
    pub mixed_case_packets: u64,
    /// Bytes of all frames.
    pub frame_bytes: u64,
    /// Distinct responses built with hickory (cache misses).
    pub distinct_responses: u64,
    /// IP fragments built ([`Transport::Fragmented`]).
    pub fragments: u64,
    /// TCP connections built ([`Transport::Tcp`]).
    pub tcp_connections: u64,
    /// TCP segments built, handshakes and closes included ([`Transport::Tcp`]).
    pub tcp_segments: u64,
}

/// A built response and where its question ends.
#[derive(Debug)]
struct Cached {
    bytes: Box<[u8]>,
    question_end: usize,
}

/// Which cached response an exchange uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// Index `entry * MAX_VARIANTS + variant`.
    Name(usize),
    /// Index into the non-existent names.
    Nx(usize),
}

/// A query sent, its response not yet emitted.
#[derive(Debug, PartialEq, Eq)]
struct Pending {
    due: u64,
    seq: u64,
    slot: Slot,
    id: u16,
    client: SocketAddr,
    server: SocketAddr,
    case_bits: u64,
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The workload as an iterator of frames in time order. See the [module docs](super).
#[derive(Debug)]
pub struct Synth {
    cfg: SynthConfig,
    pop: Population,
    zipf: Zipf,
    nx_zipf: Zipf,
    cache: Vec<Option<Cached>>,
    nx_cache: Vec<Option<Cached>>,
    rng: ChaCha8Rng,
    /// Draws of the fragmented and TCP transports only, so that `rng` (and with it every
    /// exchange) is the same whatever the transport.
    wire_rng: ChaCha8Rng,
    clients_v4: Vec<IpAddr>,
    clients_v6: Vec<IpAddr>,
    resolvers_v4: Vec<IpAddr>,
    resolvers_v6: Vec<IpAddr>,
    link_response: Link,
    pending: BinaryHeap<Reverse<Pending>>,
    scheduled: Scheduled,
    exchanges: u64,
    started: u64,
    next_query_us: u64,
    scratch: Vec<u8>,
    /// The response of a TCP exchange, built while `scratch` holds its query.
    response_scratch: Vec<u8>,
    stats: SynthStats,
}

/// Client addresses: the three IPv4 documentation /24s, then 100.64.0.0/10 (CGNAT space)
/// for larger pools; IPv6 from 2001:db8:c000::/36.
fn client_pools(rng: &mut ChaCha8Rng, n: usize) -> (Vec<IpAddr>, Vec<IpAddr>) {
    let doc: [[u8; 3]; 3] = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];
    let v4 = (0..n)
        .map(|i| {
            let a = if i < 3 * 250 {
                let p = doc[i / 250];
                Ipv4Addr::new(p[0], p[1], p[2], 1 + (i % 250) as u8)
            } else {
                let k = (i - 750) as u32 % (1 << 22);
                Ipv4Addr::from((100u32 << 24) | (64 << 16) | k)
            };
            IpAddr::V4(a)
        })
        .collect();
    let v6 = (0..n)
        .map(|_| {
            let w: [u16; 4] = [rng.random(), rng.random(), rng.random(), rng.random()];
            let sub = 0xc000 | (rng.random::<u16>() & 0x0fff);
            IpAddr::V6(Ipv6Addr::new(
                0x2001, 0x0db8, sub, 0, w[0], w[1], w[2], w[3],
            ))
        })
        .collect();
    (v4, v6)
}

/// Resolver addresses: `192.0.2.53`, `198.51.100.53`, `203.0.113.53`, `192.0.2.54`, … and
/// `2001:db8::53`, `2001:db8::1:53`, ….
fn resolver_pools(n: usize) -> (Vec<IpAddr>, Vec<IpAddr>) {
    let doc: [[u8; 3]; 3] = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];
    let v4 = (0..n)
        .map(|i| {
            let p = doc[i % 3];
            IpAddr::V4(Ipv4Addr::new(p[0], p[1], p[2], 53 + (i / 3) as u8))
        })
        .collect();
    let v6 = (0..n)
        .map(|i| IpAddr::V6(Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, i as u16, 0x53)))
        .collect();
    (v4, v6)
}

impl Synth {
    /// Validates `cfg` and builds the name population (responses are built lazily).
    pub fn new(cfg: SynthConfig) -> Result<Self> {
        cfg.validate()?;
        let pop = Population::build(&cfg);
        let zipf = Zipf::new(pop.entries.len(), cfg.zipf_s)?;
        let nx_zipf = Zipf::new(pop.nx.len(), cfg.zipf_s)?;
        let mut rng = stream(cfg.seed, 0, 0x7472_6166);
        let (clients_v4, clients_v6) = client_pools(&mut rng, cfg.clients);
        let (resolvers_v4, resolvers_v6) = resolver_pools(cfg.resolvers);
        let mut cache = Vec::new();
        cache.resize_with(pop.entries.len() * MAX_VARIANTS, || None);
        let mut nx_cache = Vec::new();
        nx_cache.resize_with(pop.nx.len(), || None);
        let cfg_seed = cfg.seed;
        let mut s = Self {
            link_response: cfg.link.reversed(),
            exchanges: cfg.packets.div_ceil(2),
            cfg,
            pop,
            zipf,
            nx_zipf,
            cache,
            nx_cache,
            rng,
            wire_rng: stream(cfg_seed, 0, 0x7769_7265),
            clients_v4,
            clients_v6,
            resolvers_v4,
            resolvers_v6,
            pending: BinaryHeap::new(),
            scheduled: Scheduled::default(),
            started: 0,
            next_query_us: 0,
            scratch: Vec::with_capacity(1024),
            response_scratch: Vec::new(),
            stats: SynthStats::default(),
        };
        s.next_query_us = s.query_time(0);
        Ok(s)
    }

    /// What has been generated so far.
    pub fn stats(&self) -> &SynthStats {
        &self.stats
    }

    /// Time of query `i`: evenly spread over the duration, jittered within its slot.
    fn query_time(&mut self, i: u64) -> u64 {
        let start = self.cfg.start_time * 1_000_000;
        let span = u128::from(self.cfg.duration_secs * 1_000_000);
        let n = u128::from(self.exchanges.max(1));
        let base = (u128::from(i) * span / n) as u64;
        let slot = (span / n) as u64;
        let jitter = if slot > 1 {
            self.rng.random_range(0..slot)
        } else {
            0
        };
        start + base + jitter
    }

    /// Builds the response for `slot` if it is not cached yet.
    fn ensure_cached(&mut self, slot: Slot) -> Result<()> {
        let (cell, built) = match slot {
            Slot::Name(i) => {
                if self.cache[i].is_some() {
                    return Ok(());
                }
                let b =
                    responses::build(&self.pop, self.cfg.seed, i / MAX_VARIANTS, i % MAX_VARIANTS)?;
                (&mut self.cache[i], b)
            }
            Slot::Nx(i) => {
                if self.nx_cache[i].is_some() {
                    return Ok(());
                }
                let b = responses::build_nx(&self.pop, self.cfg.seed, i)?;
                (&mut self.nx_cache[i], b)
            }
        };
        let question_end = question_end(&built)
            .ok_or_else(|| Error::Invalid("built response has no question".into()))?;
        *cell = Some(Cached {
            bytes: built.into_boxed_slice(),
            question_end,
        });
        self.stats.distinct_responses += 1;
        Ok(())
    }

    fn cached(&self, slot: Slot) -> Result<&Cached> {
        let c = match slot {
            Slot::Name(i) => self.cache[i].as_ref(),
            Slot::Nx(i) => self.nx_cache[i].as_ref(),
        };
        c.ok_or_else(|| Error::Invalid("response not cached".into()))
    }

    /// Writes the next frame into `out` (cleared first) and returns its time, or `None`
    /// at the end of the workload.
    pub fn next_into(&mut self, out: &mut Vec<u8>) -> Result<Option<Timestamp>> {
        // Over UDP the workload stops at exactly `packets` frames (an odd count leaves the
        // last query unanswered); the other transports finish every exchange they start.
        if self.cfg.transport == Transport::Udp && self.stats.packets >= self.cfg.packets {
            return Ok(None);
        }
        let queries_left = self.started < self.exchanges;
        let pending_due = self.pending.peek().map(|Reverse(p)| p.due);
        // Ties go to frames already under way: scheduled ones, then responses, then a new
        // query. Over UDP nothing is ever scheduled.
        let scheduled_first = self.scheduled.next_due().is_some_and(|due| {
            pending_due.is_none_or(|p| due <= p) && (!queries_left || due <= self.next_query_us)
        });
        let response_first =
            pending_due.is_some_and(|due| !queries_left || due <= self.next_query_us);
        let t = if scheduled_first {
            match self.scheduled.pop() {
                Some((due, frame)) => {
                    *out = frame;
                    due
                }
                None => return Ok(None),
            }
        } else if response_first {
            match self.pending.pop() {
                Some(Reverse(p)) => self.emit_response(p, out)?,
                None => return Ok(None),
            }
        } else if queries_left {
            self.emit_query(out)?
        } else {
            return Ok(None);
        };
        self.stats.packets += 1;
        self.stats.frame_bytes += out.len() as u64;
        Ok(Some(Timestamp::from_micros(t)))
    }

    fn emit_query(&mut self, out: &mut Vec<u8>) -> Result<u64> {
        let t = self.next_query_us;
        let slot = if self.rng.random_bool(self.cfg.nxdomain_share) {
            Slot::Nx(self.nx_zipf.sample(&mut self.rng))
        } else {
            let idx = self.zipf.sample(&mut self.rng);
            Slot::Name(idx * MAX_VARIANTS + self.pop.variant_at(idx, t / 1_000_000))
        };
        self.ensure_cached(slot)?;
        let r = &mut self.rng;
        let v6 = r.random_bool(self.cfg.ipv6_share);
        let ci = r.random_range(0..self.cfg.clients);
        let (client, server) = if v6 {
            (
                self.clients_v6[ci],
                self.resolvers_v6[ci % self.cfg.resolvers],
            )
        } else {
            (
                self.clients_v4[ci],
                self.resolvers_v4[ci % self.cfg.resolvers],
            )
        };
        let port = r.random_range(1024..=u16::MAX);
        let id: u16 = r.random();
        let case_bits = if r.random_bool(self.cfg.case_randomization_share) {
            r.random::<u64>() | 1
        } else {
            0
        };
        let rtt = if r.random_bool(0.7) {
            r.random_range(150..2_000)
        } else {
            r.random_range(5_000..150_000)
        };
        let p = Pending {
            due: t + rtt,
            seq: self.started,
            slot,
            id,
            client: SocketAddr::new(client, port),
            server: SocketAddr::new(server, 53),
            case_bits,
        };

        let mut scratch = std::mem::take(&mut self.scratch);
        let cached = self.cached(slot)?;
        scratch.clear();
        scratch.extend_from_slice(&id.to_be_bytes());
        scratch.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        scratch.extend_from_slice(&cached.bytes[12..cached.question_end]);
        if case_bits != 0 {
            mix_qname_case(&mut scratch, case_bits);
            self.stats.mixed_case_packets += 1;
        }
        let res = match self.cfg.transport {
            Transport::Tcp => self.emit_connection(&p, t, &scratch, out),
            Transport::Udp | Transport::Fragmented => {
                udp_frame_into(out, &self.cfg.link, p.client, p.server, id ^ port, &scratch)
            }
        };
        self.scratch = scratch;
        res?;

        self.stats.queries += 1;
        if self.cfg.transport != Transport::Tcp {
            if v6 {
                self.stats.ipv6_packets += 1;
            }
            self.pending.push(Reverse(p));
        }
        self.started += 1;
        if self.started < self.exchanges {
            self.next_query_us = self.query_time(self.started);
        }
        Ok(t)
    }

    /// The whole exchange `p` as a TCP connection opened at `t`: its first frame (the SYN)
    /// into `out`, the others scheduled.
    fn emit_connection(
        &mut self,
        p: &Pending,
        t: u64,
        query: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let mut response = std::mem::take(&mut self.response_scratch);
        let built = self.response_into(p, &mut response);
        let frames = built.and_then(|()| {
            let ends = Ends {
                link: &self.cfg.link,
                back: &self.link_response,
                client: p.client,
                server: p.server,
            };
            tcp_exchange(&mut self.wire_rng, &ends, t, p.due - t, query, &response)
        });
        self.response_scratch = response;
        let frames = frames?;
        let n = frames.len() as u64;
        let mut frames = frames.into_iter();
        if let Some((_, first)) = frames.next() {
            *out = first;
        }
        for (due, frame) in frames {
            self.scheduled.push(due, frame);
        }
        self.stats.tcp_connections += 1;
        self.stats.tcp_segments += n;
        if p.server.is_ipv6() {
            self.stats.ipv6_packets += n;
        }
        self.count_response(p);
        Ok(())
    }

    fn emit_response(&mut self, p: Pending, out: &mut Vec<u8>) -> Result<u64> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let built = self.response_into(&p, &mut scratch);
        let ip_id = p.id.rotate_left(3) ^ p.client.port();
        let res = built.and_then(|()| match self.cfg.transport {
            Transport::Fragmented => self.fragment_response(&p, ip_id, &scratch, out),
            Transport::Udp | Transport::Tcp => udp_frame_into(
                out,
                &self.link_response,
                p.server,
                p.client,
                ip_id,
                &scratch,
            ),
        });
        self.scratch = scratch;
        res?;

        if p.server.is_ipv6() {
            self.stats.ipv6_packets += 1;
        }
        self.count_response(&p);
        Ok(p.due)
    }

    /// The response datagram of `p` as IP fragments of [`FRAGMENT_PAYLOAD`] bytes, back
    /// to back at the response's time: the first into `out`, the others scheduled.
    fn fragment_response(
        &mut self,
        p: &Pending,
        ip_id: u16,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let header = if p.server.is_ipv4() { 20 } else { 48 };
        // IPv4 uses the low 16 bits (the IP ID of the UDP workload); IPv6 gets 32 bits,
        // made unique per exchange by its sequence number (truncation intended).
        let ident = u32::from(p.seq as u16) << 16 | u32::from(ip_id);
        let frames = udp_fragment_frames(
            &self.link_response,
            p.server,
            p.client,
            ident,
            payload,
            header + FRAGMENT_PAYLOAD,
        )?;
        let n = frames.len() as u64;
        let mut frames = frames.into_iter();
        if let Some(first) = frames.next() {
            *out = first;
        }
        for frame in frames {
            self.scheduled.push(p.due, frame);
        }
        self.stats.fragments += n;
        if p.server.is_ipv6() {
            // The first one is counted with the response.
            self.stats.ipv6_packets += n.saturating_sub(1);
        }
        Ok(())
    }

    /// The response of `p` into `buf`: the cached message with the exchange's ID and
    /// 0x20 case.
    fn response_into(&mut self, p: &Pending, buf: &mut Vec<u8>) -> Result<()> {
        let cached = self.cached(p.slot)?;
        buf.clear();
        buf.extend_from_slice(&cached.bytes);
        set_id(buf, p.id);
        if p.case_bits != 0 {
            mix_qname_case(buf, p.case_bits);
            self.stats.mixed_case_packets += 1;
        }
        Ok(())
    }

    fn count_response(&mut self, p: &Pending) {
        match p.slot {
            Slot::Nx(_) => self.stats.nxdomain += 1,
            Slot::Name(i) => {
                if self.pop.entries[i / MAX_VARIANTS].kind == Kind::Nodata {
                    self.stats.nodata += 1;
                }
            }
        }
        self.stats.responses += 1;
    }
}

impl Iterator for Synth {
    type Item = Result<Packet>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut frame = Vec::new();
        match self.next_into(&mut frame) {
            Ok(Some(ts)) => Some(Ok(Packet::new(ts, frame))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
