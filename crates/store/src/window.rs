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
    /// New names per parent zone in this window (for the flood cap).
    per_zone: HashMap<Box<[u8]>, u32>,
    capped: u64,
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

    /// Like [`Window::observe`], but a record not yet in the window is refused (and
    /// counted) once its owner's parent zone already brought `cap` new names into this
    /// window: a random-subdomain flood (`x1.victim.example`, `x2.victim.example`, …)
    /// cannot grow the window or the store without limit. Returns whether it was taken.
    pub fn observe_capped(&mut self, key: &[u8], time: u64, cap: u32) -> bool {
        if let Some(s) = self.map.get_mut(key) {
            self.sightings += 1;
            s.add(&Sighting::once(time));
            return true;
        }
        let parent = parent_zone(key);
        let n = self.per_zone.entry(parent.into()).or_default();
        if *n >= cap {
            self.capped += 1;
            return false;
        }
        *n += 1;
        self.bytes += parent.len() + 16;
        self.observe(key, time);
        true
    }

    /// Records refused by the per-zone cap since the window was last taken.
    pub fn capped(&self) -> u64 {
        self.capped
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
        self.capped = 0;
        self.per_zone.clear();
        self.map.drain().collect()
    }
}

/// The reversed-name prefix of a record key's owner without its leftmost label: the
/// owner's parent zone.
fn parent_zone(key: &[u8]) -> &[u8] {
    let mut pos = 0usize;
    let mut last_start = 0usize;
    while let Some(&len) = key.get(pos) {
        if len == 0 {
            break;
        }
        last_start = pos;
        pos += 1 + len as usize;
    }
    key.get(..last_start).unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_subdomain_flood_is_capped_per_zone() {
        use hearsay_record::{Bailiwick, Name, RecordKey, RrType};
        let key = |n: &str| {
            RecordKey::new(
                Name::from_presentation(n).unwrap(),
                RrType::A,
                Bailiwick::Unknown,
                vec![1, 2, 3, 4],
            )
            .unwrap()
            .encode()
        };
        let mut w = Window::new();
        for i in 0..1000 {
            w.observe_capped(&key(&format!("x{i}.victim.example")), 1, 100);
        }
        assert!(
            w.observe_capped(&key("www.other.example"), 1, 100),
            "other zones are unaffected"
        );
        assert!(
            w.observe_capped(&key("x5.victim.example"), 2, 100),
            "records already held still fold"
        );
        assert_eq!(w.len(), 101);
        assert_eq!(w.capped(), 900);
        w.take();
        assert_eq!(w.capped(), 0);
        assert!(
            w.observe_capped(&key("x999.victim.example"), 3, 100),
            "the cap is per window"
        );
    }

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
