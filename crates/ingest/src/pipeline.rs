//! Frames → DNS payloads → observations → the aggregation window → the store writer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_capture::{DecodeStats, Decoder, DecoderConfig, DnsPayload, Timestamp};
use hearsay_parse::{ParseStats, Parser};
use hearsay_store::{Store, Window};
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
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            flush_interval: Duration::from_secs(5),
            window_max_bytes: 48 << 20,
            writer_queue: 1,
            decoder: DecoderConfig::default(),
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
}

/// One ingest pipeline (one per capture thread).
pub struct Pipeline {
    decoder: Decoder,
    parser: Parser,
    window: Window,
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
            ..
        } = self;
        decoder.decode(linktype, ts, data, orig_len, &mut |p: &DnsPayload<'_>| {
            parser.parse(p.data, p.ts.secs, &mut |key: &[u8], time: u64| {
                window.observe(key, time)
            });
        });
        if self.window.approx_bytes() >= self.config.window_max_bytes {
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
        if self.window.is_empty() {
            return;
        }
        self.sightings += self.window.stats().sightings;
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
        IngestStats {
            decode: self.decoder.stats().clone(),
            parse: self.parser.stats().clone(),
            writer: self.writer.stats(),
            sightings: self.sightings + self.window.stats().sightings,
        }
    }

    /// Flushes, waits for the writer and returns the final counters.
    pub fn finish(mut self) -> IngestStats {
        // Incomplete fragment trains and TCP streams are dropped (and counted).
        self.decoder.finish();
        self.flush();
        let Pipeline {
            decoder,
            parser,
            writer,
            sightings,
            ..
        } = self;
        let writer = writer.finish();
        IngestStats {
            decode: decoder.stats().clone(),
            parse: parser.stats().clone(),
            writer,
            sightings,
        }
    }
}
