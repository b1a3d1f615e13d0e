//! Errors of packet sources.

use std::path::PathBuf;

/// What can go wrong opening or reading a packet source. Messages name the file or interface.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened as a pcap or pcapng capture.
    #[error("cannot open capture file {}: {source}", .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// libpcap's reason.
        #[source]
        source: pcap::Error,
    },
    /// libpcap cannot take this path (it is not valid UTF-8).
    #[error("cannot open capture file {}: path is not valid UTF-8", .path.display())]
    BadPath {
        /// The file.
        path: PathBuf,
    },
    /// Reading a frame failed (for instance a truncated file); no more frames follow.
    #[error("error reading capture file {} after {frames} frames: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Frames read successfully before the error.
        frames: u64,
        /// libpcap's reason.
        #[source]
        source: pcap::Error,
    },
    /// The interface could not be opened or configured for capture.
    #[error("cannot capture on interface {interface}: {source}")]
    LiveOpen {
        /// The interface.
        interface: String,
        /// libpcap's reason.
        #[source]
        source: pcap::Error,
    },
    /// The BPF filter did not compile or could not be installed.
    #[error("cannot set BPF filter {filter:?} on interface {interface}: {source}")]
    Filter {
        /// The interface.
        interface: String,
        /// The filter expression.
        filter: String,
        /// libpcap's reason.
        #[source]
        source: pcap::Error,
    },
    /// Reading from the interface failed.
    #[error("error capturing on interface {interface}: {source}")]
    LiveRead {
        /// The interface.
        interface: String,
        /// libpcap's reason.
        #[source]
        source: pcap::Error,
    },
    /// Waiting for packets on the interface failed.
    #[error("error waiting for packets on interface {interface}: {source}")]
    LivePoll {
        /// The interface.
        interface: String,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
}
