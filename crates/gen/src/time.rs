//! Timestamps and timed frames.

use std::fmt;

/// A capture timestamp: seconds since the Unix epoch and microseconds within the second.
///
/// Ordered chronologically. `micros` is always below 1 000 000 when made through
/// [`Timestamp::new`] or the arithmetic helpers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub secs: u64,
    /// Microseconds within the second (0..1 000 000).
    pub micros: u32,
}

impl Timestamp {
    /// A timestamp; excess microseconds carry into the seconds.
    pub fn new(secs: u64, micros: u32) -> Self {
        Self {
            secs: secs + u64::from(micros / 1_000_000),
            micros: micros % 1_000_000,
        }
    }

    /// A whole second.
    pub fn from_secs(secs: u64) -> Self {
        Self { secs, micros: 0 }
    }

    /// From microseconds since the epoch.
    pub fn from_micros(micros: u64) -> Self {
        Self {
            secs: micros / 1_000_000,
            // The remainder is below 1 000 000 and fits.
            micros: (micros % 1_000_000) as u32,
        }
    }

    /// Microseconds since the epoch.
    pub fn as_micros(self) -> u64 {
        self.secs * 1_000_000 + u64::from(self.micros)
    }

    /// This timestamp plus `micros` microseconds.
    pub fn plus_micros(self, micros: u64) -> Self {
        Self::from_micros(self.as_micros() + micros)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}", self.secs, self.micros)
    }
}

/// One captured frame (link layer and up) with its capture time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// When the frame was seen.
    pub ts: Timestamp,
    /// The frame bytes, starting with the link-layer header.
    pub frame: Vec<u8>,
}

impl Packet {
    /// A packet.
    pub fn new(ts: Timestamp, frame: Vec<u8>) -> Self {
        Self { ts, frame }
    }
}
