//! Importing capture files into a store.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_capture::{CaptureError, FileSource};
use hearsay_store::Store;
use serde::Serialize;
use thiserror::Error;

use crate::pipeline::{IngestStats, Pipeline, PipelineConfig};

/// How one file went.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    /// The file.
    pub path: PathBuf,
    /// Frames read.
    pub frames: u64,
    /// Why reading stopped early (truncated file, read error), if it did.
    pub error: Option<String>,
}

/// The result of an import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Per file.
    pub files: Vec<FileOutcome>,
    /// Pipeline counters.
    pub stats: IngestStats,
    /// Wall time.
    #[serde(with = "secs")]
    pub elapsed: Duration,
    /// Peak resident memory of the process so far (Linux), bytes.
    pub peak_rss_bytes: Option<u64>,
}

/// The process's peak resident set size (`VmHWM` in `/proc/self/status`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// Why an import could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A capture file could not be opened.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The store writer thread could not be started.
    #[error("cannot start the store writer thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Progress callback input.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// File being read.
    pub path: &'a Path,
    /// Approximate bytes of the file consumed.
    pub bytes: u64,
    /// Frames read so far (all files).
    pub frames: u64,
}

/// Imports capture files, in order, into `store` (one pipeline, windows written on a
/// writer thread). A file that cannot be opened is an error before anything is
/// imported; a file that ends early (truncated, corrupt) keeps what was read and is
/// reported in its [`FileOutcome`].
pub fn import_files(
    store: Arc<Store>,
    files: &[PathBuf],
    config: PipelineConfig,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let mut sources = Vec::with_capacity(files.len());
    for path in files {
        sources.push(FileSource::open(path)?);
    }
    let mut pipeline = Pipeline::new(store, config, true).map_err(ImportError::Thread)?;
    let mut outcomes = Vec::with_capacity(files.len());
    let mut total_frames = 0u64;
    for (path, mut source) in files.iter().zip(sources) {
        let linktype = source.linktype();
        let mut frames = 0u64;
        let mut bytes = 24u64;
        let mut error = None;
        let mut last_ts = None;
        while let Some(frame) = source.next_frame() {
            match frame {
                Ok(frame) => {
                    frames += 1;
                    bytes += 16 + frame.data.len() as u64;
                    last_ts = Some(frame.ts);
                    pipeline.frame(linktype, frame.ts, frame.data, frame.orig_len);
                    if frames.is_multiple_of(4096) {
                        pipeline.tick(last_ts);
                        progress(Progress {
                            path,
                            bytes,
                            frames: total_frames + frames,
                        });
                    }
                }
                Err(e) => {
                    pipeline.count_source_error();
                    tracing::warn!(file = %path.display(), error = %e, "capture file ends early");
                    error = Some(e.to_string());
                    break;
                }
            }
        }
        total_frames += frames;
        pipeline.tick(last_ts);
        progress(Progress {
            path,
            bytes,
            frames: total_frames,
        });
        outcomes.push(FileOutcome {
            path: path.clone(),
            frames,
            error,
        });
    }
    let stats = pipeline.finish();
    Ok(ImportReport {
        files: outcomes,
        stats,
        elapsed: started.elapsed(),
        peak_rss_bytes: peak_rss_bytes(),
    })
}
