//! The aggregation window: repeats of a record within a few seconds of traffic are
//! folded in memory into one (first, last, count), so the store sees one read and one
//! write per distinct record per flush instead of one per sighting.

use std::collections::HashMap;

use hearsay_record::Sighting;

/// Per-entry overhead of the map beyond the key bytes (hash slot, box header,
/// sighting), used for the memory bound.
const ENTRY_OVERHEAD: usize = 64;

/// Counters of a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WindowStats {
    /// Sightings folded in.
    pub sightings: u64,
    /// Distinct records held.
    pub records: u64,
}

/// Sightings folded by record key, with a memory estimate.
#[derive(Debug, Default)]
pub struct Window {
    map: HashMap<Box<[u8]>, Sighting>,
    bytes: usize,
    sightings: u64,
}

impl Window {
    /// An empty window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one sighting of `key` at `time`. Allocates only for a record not yet in
    /// the window.
    pub fn observe(&mut self, key: &[u8], time: u64) {
        self.sightings += 1;
        if let Some(s) = self.map.get_mut(key) {
            s.add(&Sighting::once(time));
            return;
        }
        self.bytes += key.len() + ENTRY_OVERHEAD;
        self.map.insert(key.into(), Sighting::once(time));
    }

    /// Folds a sighting summary of `key`.
    pub fn add(&mut self, key: &[u8], sighting: Sighting) {
        self.sightings += sighting.count;
        if let Some(s) = self.map.get_mut(key) {
            s.add(&sighting);
            return;
        }
        self.bytes += key.len() + ENTRY_OVERHEAD;
        self.map.insert(key.into(), sighting);
    }

    /// Distinct records held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Nothing held?
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Estimated memory held, in bytes.
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    /// Counters since the window was last taken.
    pub fn stats(&self) -> WindowStats {
        WindowStats {
            sightings: self.sightings,
            records: self.map.len() as u64,
        }
    }

    /// Empties the window, returning its content for [`crate::Store::apply_local`].
    pub fn take(&mut self) -> Vec<(Box<[u8]>, Sighting)> {
        self.bytes = 0;
        self.sightings = 0;
        self.map.drain().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_repeats() {
        let mut w = Window::new();
        w.observe(b"k1", 10);
        w.observe(b"k1", 5);
        w.observe(b"k2", 7);
        w.add(
            b"k1",
            Sighting {
                time_first: 20,
                time_last: 30,
                count: 4,
            },
        );
        assert_eq!(w.len(), 2);
        assert_eq!(w.stats().sightings, 7);
        assert!(w.approx_bytes() >= 2 * ENTRY_OVERHEAD);
        let mut content = w.take();
        content.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            content[0].1,
            Sighting {
                time_first: 5,
                time_last: 30,
                count: 6
            }
        );
        assert!(w.is_empty());
        assert_eq!(w.approx_bytes(), 0);
    }
}
