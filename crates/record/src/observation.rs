use crate::{RecordKey, Sighting};

/// One resource record seen in one DNS response at one time. It carries no client
/// address: nothing about who asked is ever part of an observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The record seen.
    pub key: RecordKey,
    /// Packet timestamp, seconds since the epoch.
    pub time: u64,
}

impl Observation {
    /// This observation as a single sighting.
    pub fn sighting(&self) -> Sighting {
        Sighting::once(self.time)
    }
}
