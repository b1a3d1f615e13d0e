//! Sensors: each live interface or capture file runs on its own thread through the
//! ingest pipeline into the store. Capture never waits on the store: a live sensor drops
//! (and counts) a window when the writer is behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hearsay_capture::{DecoderConfig, FileSource, LiveConfig, LiveSource, LiveStats, Timestamp};
use hearsay_ingest::{IngestStats, Pipeline, PipelineConfig};
use hearsay_store::Store;
use serde::Serialize;

use crate::config::SensorConfig;

/// What a sensor reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SensorStatus {
    /// The sensor's name.
    pub name: String,
    /// `interface` or `file`.
    pub kind: &'static str,
    /// The interface or file.
    pub source: String,
    /// Still capturing?
    pub running: bool,
    /// Frames read so far.
    pub frames: u64,
    /// Capture files imported (spool directories).
    pub files: u64,
    /// Pipeline counters (decoding, parsing, the writer).
    pub ingest: IngestStats,
    /// libpcap's counters (live only): received, dropped by the buffer, by the interface.
    pub pcap: Option<LiveStats>,
    /// Why it stopped, if it failed.
    pub error: Option<String>,
}

/// A running sensor.
#[derive(Debug)]
pub struct Sensor {
    stop: Arc<AtomicBool>,
    status: Arc<Mutex<SensorStatus>>,
    thread: Option<JoinHandle<()>>,
}

impl Sensor {
    /// Starts a sensor thread.
    pub fn start(
        config: &SensorConfig,
        store: Arc<Store>,
        flush_interval: Duration,
        window_max_bytes: usize,
    ) -> Result<Sensor> {
        let pipeline = PipelineConfig {
            flush_interval,
            window_max_bytes,
            decoder: DecoderConfig {
                dns_ports: config.dns_ports.clone(),
                ..DecoderConfig::default()
            },
            placement: config.placement,
            require_query: config.require_query.unwrap_or(config.interface.is_some()),
            nxdomain: config.nxdomain,
            max_new_names_per_zone: config.max_new_names_per_zone,
            ..PipelineConfig::default()
        };
        let stop = Arc::new(AtomicBool::new(false));
        let status = Arc::new(Mutex::new(SensorStatus {
            name: config.name.clone(),
            running: true,
            ..SensorStatus::default()
        }));
        let (thread_stop, thread_status, cfg) = (stop.clone(), status.clone(), config.clone());
        let thread = match (&config.interface, &config.file) {
            (Some(interface), _) => {
                let live = LiveConfig {
                    interface: interface.clone(),
                    promiscuous: config.promiscuous,
                    snaplen: config.snaplen,
                    immediate: config.immediate,
                    // At most 2048 MiB (validated), so this fits.
                    buffer_size: i32::try_from(u64::from(config.buffer_mb) << 20)
                        .unwrap_or(i32::MAX),
                    filter: config.filter.clone(),
                    dns_ports: config.dns_ports.clone(),
                    ..LiveConfig::default()
                };
                // Open here so that a bad interface or filter fails the start.
                let source =
                    LiveSource::open(&live).with_context(|| format!("sensor {}", config.name))?;
                lock(&status).kind = "interface";
                lock(&status).source = interface.clone();
                let pipeline =
                    Pipeline::new(store, pipeline, false).context("starting the store writer")?;
                std::thread::Builder::new()
                    .name(format!("sensor-{}", cfg.name))
                    .spawn(move || run_live(source, pipeline, &thread_stop, &thread_status))?
            }
            (None, Some(file)) => {
                let source =
                    FileSource::open(file).with_context(|| format!("sensor {}", config.name))?;
                lock(&status).kind = "file";
                lock(&status).source = file.display().to_string();
                let pipeline =
                    Pipeline::new(store, pipeline, true).context("starting the store writer")?;
                std::thread::Builder::new()
                    .name(format!("sensor-{}", cfg.name))
                    .spawn(move || run_file(source, pipeline, &thread_stop, &thread_status))?
            }
            (None, None) => {
                let Some(dir) = config.directory.clone() else {
                    anyhow::bail!("sensor {}: no interface, file or directory", config.name);
                };
                lock(&status).kind = "directory";
                lock(&status).source = dir.display().to_string();
                let pipeline =
                    Pipeline::new(store, pipeline, true).context("starting the store writer")?;
                std::thread::Builder::new()
                    .name(format!("sensor-{}", cfg.name))
                    .spawn(move || run_spool(&dir, pipeline, &thread_stop, &thread_status))?
            }
        };
        Ok(Sensor {
            stop,
            status,
            thread: Some(thread),
        })
    }

    /// Its status now.
    pub fn status(&self) -> SensorStatus {
        lock(&self.status).clone()
    }

    /// Stops capturing, flushes the window and waits for the writer.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!(sensor = %lock(&self.status).name, "sensor thread panicked");
        }
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock(m: &Mutex<SensorStatus>) -> std::sync::MutexGuard<'_, SensorStatus> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How often a sensor publishes its counters.
const REPORT_EVERY: Duration = Duration::from_millis(500);

fn run_file(
    mut source: FileSource,
    mut pipeline: Pipeline,
    stop: &AtomicBool,
    status: &Mutex<SensorStatus>,
) {
    let linktype = source.linktype();
    let mut frames = 0u64;
    let mut last_report = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match source.next_frame() {
            Some(Ok(frame)) => {
                frames += 1;
                pipeline.frame(linktype, frame.ts, frame.data, frame.orig_len);
                if frames.is_multiple_of(4096) {
                    pipeline.tick(Some(frame.ts));
                }
            }
            Some(Err(e)) => {
                pipeline.count_source_error();
                tracing::warn!(error = %e, "capture file ends early");
                lock(status).error = Some(e.to_string());
                break;
            }
            None => break,
        }
        if last_report.elapsed() >= REPORT_EVERY {
            last_report = Instant::now();
            let mut s = lock(status);
            s.frames = frames;
            s.ingest = pipeline.stats();
        }
    }
    let stats = pipeline.finish();
    let mut s = lock(status);
    s.frames = frames;
    s.ingest = stats;
    s.running = false;
    tracing::info!(sensor = %s.name, frames, "capture file done");
}

fn run_live(
    mut source: LiveSource,
    mut pipeline: Pipeline,
    stop: &AtomicBool,
    status: &Mutex<SensorStatus>,
) {
    let linktype = source.linktype();
    let mut frames = 0u64;
    let mut last_report = Instant::now();
    let mut last_ts = None;
    while !stop.load(Ordering::Relaxed) {
        match source.next_frame() {
            Ok(Some(frame)) => {
                frames += 1;
                last_ts = Some(frame.ts);
                pipeline.frame(linktype, frame.ts, frame.data, frame.orig_len);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "live capture failed");
                lock(status).error = Some(e.to_string());
                break;
            }
        }
        if last_report.elapsed() >= REPORT_EVERY {
            last_report = Instant::now();
            // Live packets carry the wall clock: expire reassembly state by it, so a
            // flow that went quiet is let go even while the whole link is quiet.
            pipeline.tick(last_ts.map(|_| wall_clock()));
            let pcap = source.stats().ok();
            let mut s = lock(status);
            s.frames = frames;
            s.ingest = pipeline.stats();
            s.pcap = pcap;
        }
    }
    if lock(status).error.is_none() {
        frames += drain(&mut source, &mut pipeline, linktype);
    }
    let pcap = source.stats().ok();
    let stats = pipeline.finish();
    let mut s = lock(status);
    s.frames = frames;
    s.ingest = stats;
    s.pcap = pcap;
    s.running = false;
}

/// On shutdown, takes what the kernel still holds: in block mode the last packets wait in
/// a block that is handed over only when its timeout passes. Reads until a wait for the
/// descriptor comes back empty (the second "nothing"; the first may only mean the ring
/// was read to its end), for at most two seconds.
fn drain(source: &mut LiveSource, pipeline: &mut Pipeline, linktype: i32) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut frames = 0;
    let mut empty = 0;
    while empty < 2 && Instant::now() < deadline {
        match source.next_frame() {
            Ok(Some(frame)) => {
                frames += 1;
                pipeline.frame(linktype, frame.ts, frame.data, frame.orig_len);
            }
            Ok(None) => empty += 1,
            Err(_) => break,
        }
    }
    frames
}

/// Capture files in a spool directory that are ready: not hidden, a capture extension,
/// unchanged for a second (still being written otherwise), in name order.
fn ready_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let capture = matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            );
            let settled = p
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= Duration::from_secs(1)));
            capture && !name.starts_with('.') && p.is_file() && settled
        })
        .collect();
    files.sort();
    files
}

/// Imports every capture file that appears in `dir`; each is renamed `<name>.done` once
/// read and its window handed to the writer (`<name>.bad` if it cannot be opened). A
/// crash between the two may import a file twice: counts grow, first and last seen do
/// not change.
fn run_spool(
    dir: &std::path::Path,
    mut pipeline: Pipeline,
    stop: &AtomicBool,
    status: &Mutex<SensorStatus>,
) {
    let (mut frames, mut files) = (0u64, 0u64);
    while !stop.load(Ordering::Relaxed) {
        for path in ready_files(dir) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let mut source = match FileSource::open(&path) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "not a capture file; renamed *.bad");
                    let _ = std::fs::rename(&path, path.with_extension("bad"));
                    continue;
                }
            };
            let linktype = source.linktype();
            while let Some(frame) = source.next_frame() {
                match frame {
                    Ok(frame) => {
                        frames += 1;
                        pipeline.frame(linktype, frame.ts, frame.data, frame.orig_len);
                        if frames.is_multiple_of(4096) {
                            pipeline.tick(Some(frame.ts));
                        }
                    }
                    Err(e) => {
                        pipeline.count_source_error();
                        tracing::warn!(file = %path.display(), error = %e, "capture file ends early");
                        break;
                    }
                }
            }
            pipeline.flush();
            files += 1;
            let mut done = path.clone().into_os_string();
            done.push(".done");
            if let Err(e) = std::fs::rename(&path, &done) {
                tracing::error!(file = %path.display(), error = %e, "cannot mark the file imported; stopping this sensor");
                lock(status).error = Some(format!("renaming {}: {e}", path.display()));
                return;
            }
            tracing::info!(file = %path.display(), "capture file imported");
        }
        pipeline.tick(None);
        {
            let mut s = lock(status);
            s.frames = frames;
            s.files = files;
            s.ingest = pipeline.stats();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let stats = pipeline.finish();
    let mut s = lock(status);
    s.frames = frames;
    s.files = files;
    s.ingest = stats;
    s.running = false;
}

/// Now, as a capture timestamp.
fn wall_clock() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(d.as_secs(), d.subsec_micros())
}
