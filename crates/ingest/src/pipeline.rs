//! Frames → DNS payloads → observations → the aggregation window → the store writer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_capture::{DecodeStats, Decoder, DecoderConfig, DnsPayload, Timestamp};
use hearsay_parse::{Context, Outcome, ParseStats, Parser, ZoneCuts, peek};
use hearsay_store::{Store, Window};

use crate::matcher::QueryMatcher;
use serde::Serialize;

use crate::writer::{StoreWriter, WriterStats};

/// Tuning of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Hand the window to the writer at least this often.
    pub flush_interval: Duration,
    /// … or as soon as it holds this many bytes.
    pub window_max_bytes: usize,
    /// Windows the writer may have queued.
    pub writer_queue: usize,
    /// Packet decoding (ports, reassembly bounds).
    pub decoder: DecoderConfig,
    /// Where the sensor sits.
    pub placement: Placement,
    /// Drop responses that answer no query seen by this sensor (a sensor that sees both
    /// directions); off for response-only traffic and file imports.
    pub require_query: bool,
    /// Keep NXDOMAIN names (with first, last, count), apart from the records.
    pub nxdomain: bool,
    /// New names a zone may bring into one window; more are counted and dropped.
    pub max_new_names_per_zone: u32,
}

/// Where a sensor sits relative to the recursive resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Between the resolver and its clients: the bailiwick is unknown (recorded as
    /// such), and the question decides what is believable.
    #[default]
    Below,
    /// Between the resolver and the authoritative servers: each response's bailiwick is
    /// the zone its server is known to serve (learned from referrals, seeded with the
    /// root servers), and records outside it are dropped.
    Above,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            flush_interval: Duration::from_secs(5),
            window_max_bytes: 48 << 20,
            writer_queue: 1,
            decoder: DecoderConfig::default(),
            placement: Placement::Below,
            require_query: false,
            nxdomain: false,
            max_new_names_per_zone: 20_000,
        }
    }
}

/// What went through a pipeline.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestStats {
    /// Packet decoding counters.
    pub decode: DecodeStats,
    /// DNS parsing counters.
    pub parse: ParseStats,
    /// Store writer counters.
    pub writer: WriterStats,
    /// Sightings folded into windows.
    pub sightings: u64,
    /// Responses dropped because they answered no query this sensor saw.
    pub unmatched_responses: u64,
    /// New records refused by the per-zone cap (random-subdomain floods).
    pub capped_names: u64,
    /// NXDOMAIN answers seen (with NXDOMAIN tracking on).
    pub nxdomain_responses: u64,
    /// Zones whose servers are known (above the resolver).
    pub zones_known: usize,
}

/// One ingest pipeline (one per capture thread).
pub struct Pipeline {
    decoder: Decoder,
    parser: Parser,
    window: Window,
    nxdomain: Window,
    zones: Option<ZoneCuts>,
    matcher: Option<QueryMatcher>,
    counters: Counters,
    writer: StoreWriter,
    config: PipelineConfig,
    last_flush: Instant,
    sightings: u64,
    /// Blocking hand-off (files) or drop-when-behind (live capture).
    blocking: bool,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("window", &self.window.len())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline writing to `store`. `blocking` decides what happens when the writer
    /// falls behind: wait (file import, lose nothing) or drop the window and count it
    /// (live capture must never stall).
    pub fn new(store: Arc<Store>, config: PipelineConfig, blocking: bool) -> std::io::Result<Self> {
        Ok(Pipeline {
            decoder: Decoder::new(config.decoder.clone()),
            parser: Parser::new(),
            window: Window::new(),
            nxdomain: Window::new(),
            zones: (config.placement == Placement::Above).then(ZoneCuts::with_root_hints),
            matcher: config.require_query.then(|| QueryMatcher::new(200_000, 15)),
            counters: Counters::default(),
            writer: StoreWriter::spawn(store, config.writer_queue)?,
            config,
            last_flush: Instant::now(),
            sightings: 0,
            blocking,
        })
    }

    /// Feeds one captured frame.
    pub fn frame(&mut self, linktype: i32, ts: Timestamp, data: &[u8], orig_len: u32) {
        let Pipeline {
            decoder,
            parser,
            window,
            nxdomain,
            zones,
            matcher,
            counters,
            config,
            ..
        } = self;
        let cap = config.max_new_names_per_zone;
        let track_nx = config.nxdomain;
        decoder.decode(linktype, ts, data, orig_len, &mut |p: &DnsPayload<'_>| {
            if let Some(m) = matcher.as_mut() {
                let Some(q) = peek(p.data) else { return };
                if !q.response {
                    if !p.from_server {
                        m.query(p.flow, &q, p.ts.as_micros());
                    }
                    return;
                }
                if !m.response(p.flow, &q, p.ts.as_micros()) {
                    counters.unmatched += 1;
                    return;
                }
            }
            let mut ctx = Context {
                server: Some(p.server.ip()),
                zones: zones.as_mut(),
            };
            let outcome =
                parser.parse_in(p.data, p.ts.secs, &mut ctx, &mut |key: &[u8], time: u64| {
                    if !window.observe_capped(key, time, cap) {
                        counters.capped += 1;
                    }
                });
            if track_nx
                && outcome
                    == (Outcome::Response {
                        rcode: 3,
                        records: 0,
                    })
                && let Some((qname, qtype)) = parser.question()
            {
                counters.nxdomain += 1;
                if let Ok(name) = hearsay_record::Name::from_wire(qname) {
                    let mut key = name.reversed();
                    key.extend_from_slice(&qtype.to_be_bytes());
                    nxdomain.observe(&key, p.ts.secs);
                }
            }
        });
        if self.window.approx_bytes() + self.nxdomain.approx_bytes() >= self.config.window_max_bytes
        {
            self.flush();
        }
    }

    /// Flushes the window if the interval has passed; call regularly (also when no
    /// traffic arrives). Expires reassembly state older than `now` minus its timeouts.
    pub fn tick(&mut self, now: Option<Timestamp>) {
        if let Some(now) = now {
            self.decoder.expire(now);
        }
        if self.last_flush.elapsed() >= self.config.flush_interval {
            self.flush();
        }
    }

    /// Hands the current window to the writer.
    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.window.is_empty() && self.nxdomain.is_empty() {
            return;
        }
        self.sightings += self.window.stats().sightings;
        self.writer.send_nxdomain(self.nxdomain.take());
        let batch = self.window.take();
        if self.blocking {
            self.writer.send(batch);
        } else {
            self.writer.try_send(batch);
        }
    }

    /// Counts a source read error (a truncated capture file).
    pub fn count_source_error(&mut self) {
        self.decoder.count_source_error();
    }

    /// Counters so far.
    pub fn stats(&self) -> IngestStats {
        self.report(
            self.writer.stats(),
            self.sightings + self.window.stats().sightings,
        )
    }

    fn report(&self, writer: WriterStats, sightings: u64) -> IngestStats {
        IngestStats {
            decode: self.decoder.stats().clone(),
            parse: self.parser.stats().clone(),
            writer,
            sightings,
            unmatched_responses: self.counters.unmatched,
            capped_names: self.counters.capped,
            nxdomain_responses: self.counters.nxdomain,
            zones_known: self.zones.as_ref().map_or(0, ZoneCuts::len),
        }
    }

    /// Flushes, waits for the writer and returns the final counters.
    pub fn finish(mut self) -> IngestStats {
        // Incomplete fragment trains and TCP streams are dropped (and counted).
        self.decoder.finish();
        self.flush();
        let sightings = self.sightings;
        let writer = std::mem::replace(&mut self.writer, StoreWriter::closed());
        let writer = writer.finish();
        self.report(writer, sightings)
    }
}

/// Counters kept by the pipeline itself.
#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    unmatched: u64,
    capped: u64,
    nxdomain: u64,
}
