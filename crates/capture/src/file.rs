//! Capture files (pcap and pcapng) read through libpcap.

use std::path::{Path, PathBuf};

use crate::{CaptureError, Decoder, DnsPayload, Timestamp};

/// One captured frame, borrowed from the source until the next read.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time.
    pub ts: Timestamp,
    /// The captured bytes (possibly cut short by the snaplen).
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub orig_len: u32,
}

/// Converts a libpcap header timestamp; out-of-range values become 0 (µs clamped to the second).
pub(crate) fn timestamp(h: &pcap::PacketHeader) -> Timestamp {
    let secs = u64::try_from(h.ts.tv_sec).unwrap_or(0);
    let micros = u32::try_from(h.ts.tv_usec).unwrap_or(0).min(999_999);
    Timestamp { secs, micros }
}

/// A pcap or pcapng file opened through libpcap (`-` reads standard input).
pub struct FileSource {
    path: PathBuf,
    capture: pcap::Capture<pcap::Offline>,
    linktype: i32,
    frames: u64,
    done: bool,
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("path", &self.path)
            .field("linktype", &self.linktype)
            .field("frames", &self.frames)
            .field("done", &self.done)
            .finish()
    }
}

impl FileSource {
    /// Opens a capture file.
    pub fn open(path: impl AsRef<Path>) -> Result<FileSource, CaptureError> {
        let path = path.as_ref().to_path_buf();
        let Some(name) = path.to_str() else {
            return Err(CaptureError::BadPath { path });
        };
        let capture = match pcap::Capture::from_file(name) {
            Ok(c) => c,
            Err(source) => return Err(CaptureError::Open { path, source }),
        };
        let linktype = capture.get_datalink().0;
        tracing::debug!(path = %path.display(), linktype, "opened capture file");
        Ok(FileSource {
            path,
            capture,
            linktype,
            frames: 0,
            done: false,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's link type, as libpcap reports it (`DLT_*`; e.g. raw IP reads as 12 on Linux).
    pub fn linktype(&self) -> i32 {
        self.linktype
    }

    /// Frames read so far.
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// The next frame: `None` at the end of the file, or after an error was returned once.
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, CaptureError>> {
        if self.done {
            return None;
        }
        match self.capture.next_packet() {
            Ok(p) => {
                self.frames += 1;
                Some(Ok(Frame {
                    ts: timestamp(p.header),
                    data: p.data,
                    orig_len: p.header.len,
                }))
            }
            Err(pcap::Error::NoMorePackets) => {
                self.done = true;
                None
            }
            Err(source) => {
                self.done = true;
                tracing::warn!(path = %self.path.display(), frames = self.frames, error = %source, "capture file read error");
                Some(Err(CaptureError::Read {
                    path: self.path.clone(),
                    frames: self.frames,
                    source,
                }))
            }
        }
    }
}

/// What [`decode_file`] read.
#[derive(Debug)]
pub struct FileSummary {
    /// The file.
    pub path: PathBuf,
    /// Its link type.
    pub linktype: i32,
    /// Frames read and decoded.
    pub frames: u64,
    /// Captured bytes of those frames.
    pub bytes: u64,
    /// The error that ended reading early (truncated or corrupt file), if any.
    pub error: Option<CaptureError>,
}

impl FileSummary {
    /// True if the file was read to its end without error.
    pub fn ended_cleanly(&self) -> bool {
        self.error.is_none()
    }
}

/// Reads a whole capture file through `decoder`, passing every DNS message to `sink`.
///
/// Fails only if the file cannot be opened. A read error part-way (a truncated file)
/// ends the file early: it is returned in [`FileSummary::error`] and counted in
/// `source_errors`. Reassembly state is kept (call [`Decoder::finish`] after the last file).
pub fn decode_file(
    path: &Path,
    decoder: &mut Decoder,
    sink: &mut dyn FnMut(&DnsPayload<'_>),
) -> Result<FileSummary, CaptureError> {
    let mut source = FileSource::open(path)?;
    let linktype = source.linktype();
    let mut bytes = 0u64;
    let mut error = None;
    while let Some(frame) = source.next_frame() {
        match frame {
            Ok(frame) => {
                bytes += frame.data.len() as u64;
                decoder.decode(linktype, frame.ts, frame.data, frame.orig_len, sink);
            }
            Err(e) => {
                decoder.count_source_error();
                error = Some(e);
            }
        }
    }
    Ok(FileSummary {
        path: path.to_path_buf(),
        linktype,
        frames: source.frames_read(),
        bytes,
        error,
    })
}
