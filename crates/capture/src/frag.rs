//! IPv4 and IPv6 fragment reassembly with hard memory bounds.
//!
//! A train is keyed by (source, destination, identification, protocol). Fragments may
//! arrive in any order and more than once; bytes that overlap bytes already received must
//! be equal (and a final fragment must agree with the end already known), otherwise the
//! whole train is dropped (as RFC 5722 requires for IPv6; for IPv4 it defeats overlap
//! tricks the same way). Trains are bounded in number, total bytes and pieces, and expire
//! `fragment_timeout_secs` after their first fragment.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::DecodeStats;
use crate::DecoderConfig;
use crate::expiry::ExpiryQueue;
use crate::ip::Fragment;

/// Largest reassembled payload (IPv6 payload length and IPv4 total length are 16 bits).
pub(crate) const MAX_DATAGRAM: u32 = 65535;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub proto: u8,
}

#[derive(Debug)]
struct Train {
    generation: u64,
    /// Payload bytes at their offsets; holes are zero until filled.
    data: Vec<u8>,
    /// Received byte ranges, sorted, neither overlapping nor touching.
    ranges: Vec<(u32, u32)>,
    /// Payload length, once the final fragment has been seen.
    end: Option<u32>,
    /// The first fragment showed this datagram is of no interest: drop its fragments.
    ignored: bool,
}

impl Train {
    fn is_complete(&self) -> bool {
        self.end
            .is_some_and(|e| self.ranges.as_slice() == [(0, e)] && self.data.len() == e as usize)
    }
}

/// What became of a fragment.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Stored (or ignored); the datagram is not complete.
    Pending,
    /// The datagram is complete: its reassembled payload.
    Complete(Vec<u8>),
}

#[derive(Debug)]
pub(crate) struct FragTable {
    trains: HashMap<FragKey, Train>,
    queue: ExpiryQueue<FragKey>,
    /// Sum of the capacities of the trains' buffers.
    bytes: usize,
    next_generation: u64,
    max_trains: usize,
    max_bytes: usize,
    max_pieces: usize,
    timeout_micros: u64,
}

impl FragTable {
    pub(crate) fn new(config: &DecoderConfig) -> Self {
        FragTable {
            trains: HashMap::new(),
            queue: ExpiryQueue::new(),
            bytes: 0,
            next_generation: 0,
            max_trains: config.max_fragment_trains,
            max_bytes: config.max_fragment_bytes,
            max_pieces: config.max_fragments_per_train.max(1),
            timeout_micros: config.fragment_timeout_secs.saturating_mul(1_000_000),
        }
    }

    pub(crate) fn trains(&self) -> usize {
        self.trains.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds one fragment. `interesting` is `Some(false)` when this is a first fragment whose
    /// transport ports show the datagram is not DNS: the train is then marked ignored.
    pub(crate) fn insert(
        &mut self,
        key: FragKey,
        frag: Fragment,
        payload: &[u8],
        interesting: Option<bool>,
        now: u64,
        stats: &mut DecodeStats,
    ) -> Outcome {
        let Ok(len) = u32::try_from(payload.len()) else {
            stats.malformed_fragments += 1;
            return Outcome::Pending;
        };
        let start = frag.offset;
        let end = start.saturating_add(len);
        if (frag.more && (len == 0 || len % 8 != 0)) || end > MAX_DATAGRAM {
            stats.malformed_fragments += 1;
            if end > MAX_DATAGRAM {
                // An oversized datagram ("ping of death"): the whole train goes.
                self.remove(&key);
            }
            return Outcome::Pending;
        }

        let mut train = match self.trains.remove(&key) {
            Some(t) => {
                self.bytes = self.bytes.saturating_sub(t.data.capacity());
                t
            }
            None => {
                // Make room for one more train.
                while self.trains.len() >= self.max_trains {
                    if !self.evict_oldest(None, stats) {
                        break;
                    }
                }
                if self.trains.len() >= self.max_trains {
                    stats.fragments_over_limit += 1;
                    return Outcome::Pending;
                }
                let generation = self.next_generation;
                self.next_generation += 1;
                self.queue.push(now, key.clone(), generation);
                let trains = &self.trains;
                self.queue.compact_if_needed(trains.len(), |k, g| {
                    trains.get(k).is_some_and(|t| t.generation == g)
                });
                Train {
                    generation,
                    data: Vec::new(),
                    ranges: Vec::new(),
                    end: None,
                    ignored: false,
                }
            }
        };

        if interesting == Some(false) && !train.ignored {
            train.ignored = true;
            train.data = Vec::new();
            train.ranges = Vec::new();
        }
        if train.ignored {
            stats.fragments_ignored += 1;
            self.put(key, train);
            return Outcome::Pending;
        }

        // The end of the datagram must be consistent.
        let conflict_end = if frag.more {
            train.end.is_some_and(|e| end > e)
        } else {
            train.end.is_some_and(|e| e != end) || train.data.len() > end as usize
        };
        if conflict_end || !overlaps_agree(&train, start, end, payload) {
            stats.fragment_overlap_conflicts += 1;
            return Outcome::Pending;
        }
        if !frag.more {
            train.end = Some(end);
        }
        if train.ranges.iter().any(|&(a, b)| a <= start && end <= b) {
            stats.fragment_duplicates += 1;
        }

        // Grow the buffer within the byte budget.
        let need = end as usize;
        if need > train.data.len() {
            let new_cap = need.max(train.data.capacity());
            // (A train dropped here was taken out of the map: its queue entry goes stale.)
            if new_cap > self.max_bytes {
                stats.fragments_over_limit += 1;
                return Outcome::Pending;
            }
            while self.bytes.saturating_add(new_cap) > self.max_bytes {
                if !self.evict_oldest(Some((&key, train.generation)), stats) {
                    break;
                }
            }
            if self.bytes.saturating_add(new_cap) > self.max_bytes {
                stats.fragments_over_limit += 1;
                return Outcome::Pending;
            }
            train.data.reserve_exact(need - train.data.len());
            train.data.resize(need, 0);
        }
        if let Some(dst) = train.data.get_mut(start as usize..end as usize) {
            dst.copy_from_slice(payload);
        }
        insert_range(&mut train.ranges, start, end);
        if train.ranges.len() > self.max_pieces {
            stats.fragments_over_limit += 1;
            return Outcome::Pending;
        }

        if train.is_complete() {
            stats.reassembled_datagrams += 1;
            return Outcome::Complete(train.data);
        }
        self.put(key, train);
        Outcome::Pending
    }

    /// Drops trains whose first fragment is older than `now - timeout`.
    pub(crate) fn expire(&mut self, now: u64, stats: &mut DecodeStats) {
        let cutoff = now.saturating_sub(self.timeout_micros);
        while let Some((_, key, generation)) = self.queue.pop_before(Some(cutoff)) {
            if self
                .trains
                .get(&key)
                .is_some_and(|t| t.generation == generation)
                && let Some(t) = self.remove(&key)
                && !t.ignored
            {
                stats.fragment_timeouts += 1;
            }
        }
    }

    /// Drops every train, counting the incomplete ones as timed out.
    pub(crate) fn clear(&mut self, stats: &mut DecodeStats) {
        let pending = self.trains.values().filter(|t| !t.ignored).count();
        stats.fragment_timeouts += pending as u64;
        self.trains.clear();
        self.queue.clear();
        self.bytes = 0;
    }

    fn put(&mut self, key: FragKey, train: Train) {
        self.bytes = self.bytes.saturating_add(train.data.capacity());
        self.trains.insert(key, train);
    }

    fn remove(&mut self, key: &FragKey) -> Option<Train> {
        let t = self.trains.remove(key)?;
        self.bytes = self.bytes.saturating_sub(t.data.capacity());
        Some(t)
    }

    /// Evicts the oldest train other than `keep`. Returns false if there was none.
    fn evict_oldest(&mut self, keep: Option<(&FragKey, u64)>, stats: &mut DecodeStats) -> bool {
        let mut held = None;
        let mut evicted = false;
        while let Some((at, key, generation)) = self.queue.pop_before(None) {
            if keep.is_some_and(|(k, g)| *k == key && g == generation) {
                held = Some((at, key, generation));
                continue;
            }
            if self
                .trains
                .get(&key)
                .is_some_and(|t| t.generation == generation)
            {
                self.remove(&key);
                stats.fragment_trains_evicted += 1;
                tracing::trace!(
                    trains = self.trains.len(),
                    "fragment table full: evicted the oldest train"
                );
                evicted = true;
                break;
            }
        }
        if let Some((at, key, generation)) = held {
            self.queue.push_front(at, key, generation);
        }
        evicted
    }
}

/// Whether the bytes of `payload` at `start..end` equal those already received there.
fn overlaps_agree(train: &Train, start: u32, end: u32, payload: &[u8]) -> bool {
    train
        .ranges
        .iter()
        .filter(|&&(a, b)| a < end && b > start)
        .all(|&(a, b)| {
            let lo = a.max(start);
            let hi = b.min(end);
            let old = train.data.get(lo as usize..hi as usize);
            let new = payload.get((lo - start) as usize..(hi - start) as usize);
            old.is_some() && old == new
        })
}

/// Adds `start..end` to sorted, disjoint, non-touching `ranges`, merging as needed.
fn insert_range(ranges: &mut Vec<(u32, u32)>, start: u32, end: u32) {
    let first = ranges.iter().position(|r| r.1 >= start);
    let last = ranges.iter().rposition(|r| r.0 <= end);
    match (first, last) {
        (Some(f), Some(l)) if f <= l => {
            let lo = ranges.get(f).map_or(start, |r| r.0.min(start));
            let hi = ranges.get(l).map_or(end, |r| r.1.max(end));
            ranges.splice(f..=l, [(lo, hi)]);
        }
        (f, _) => ranges.insert(f.unwrap_or(ranges.len()), (start, end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u32) -> FragKey {
        FragKey {
            src: "192.0.2.1".parse().unwrap(),
            dst: "192.0.2.2".parse().unwrap(),
            id,
            proto: 17,
        }
    }

    fn frag(offset: u32, more: bool) -> Fragment {
        Fragment {
            id: 1,
            offset,
            more,
        }
    }

    fn table() -> FragTable {
        FragTable::new(&DecoderConfig::default())
    }

    #[test]
    fn ranges_merge() {
        let mut r = Vec::new();
        insert_range(&mut r, 16, 24);
        insert_range(&mut r, 0, 8);
        assert_eq!(r, [(0, 8), (16, 24)]);
        insert_range(&mut r, 40, 48);
        insert_range(&mut r, 8, 16);
        assert_eq!(r, [(0, 24), (40, 48)]);
        insert_range(&mut r, 4, 44);
        assert_eq!(r, [(0, 48)]);
        insert_range(&mut r, 10, 20);
        assert_eq!(r, [(0, 48)]);
    }

    #[test]
    fn out_of_order_with_duplicates() {
        let mut t = table();
        let mut s = DecodeStats::default();
        let data: Vec<u8> = (0..40).collect();
        let parts = [(16, true), (0, true), (16, true), (32, false), (8, true)];
        let mut done = None;
        for (i, (off, more)) in parts.iter().enumerate() {
            let end = if *more { off + 8 } else { 40 };
            let out = t.insert(
                key(1),
                frag(*off, *more),
                &data[*off as usize..end as usize],
                None,
                i as u64,
                &mut s,
            );
            if let Outcome::Complete(d) = out {
                done = Some(d);
            }
        }
        // The 8..16 piece is missing until the last insert; then [24, 32) is still a hole.
        assert!(done.is_none());
        assert_eq!(s.fragment_duplicates, 1);
        let out = t.insert(key(1), frag(24, true), &data[24..32], None, 9, &mut s);
        match out {
            Outcome::Complete(d) => assert_eq!(d, data),
            Outcome::Pending => panic!("not complete"),
        }
        assert_eq!(t.trains(), 0);
        assert_eq!(t.bytes(), 0);
    }

    #[test]
    fn conflicting_overlap_drops_train() {
        let mut t = table();
        let mut s = DecodeStats::default();
        t.insert(key(1), frag(0, true), &[1; 16], None, 0, &mut s);
        t.insert(key(1), frag(8, true), &[2; 16], None, 0, &mut s);
        assert_eq!(s.fragment_overlap_conflicts, 1);
        assert_eq!(t.trains(), 0);
        // Equal overlap is fine.
        t.insert(key(2), frag(0, true), &[1; 16], None, 0, &mut s);
        t.insert(key(2), frag(8, true), &[1; 16], None, 0, &mut s);
        let out = t.insert(key(2), frag(24, false), &[1; 3], None, 0, &mut s);
        assert!(matches!(out, Outcome::Complete(d) if d == vec![1; 27]));
        // A second, different final fragment conflicts.
        t.insert(key(3), frag(8, false), &[1; 4], None, 0, &mut s);
        t.insert(key(3), frag(8, false), &[1; 5], None, 0, &mut s);
        assert_eq!(s.fragment_overlap_conflicts, 2);
        // Data beyond a known end conflicts.
        t.insert(key(4), frag(8, false), &[1; 4], None, 0, &mut s);
        t.insert(key(4), frag(16, true), &[1; 8], None, 0, &mut s);
        assert_eq!(s.fragment_overlap_conflicts, 3);
    }

    #[test]
    fn invalid_fragments() {
        let mut t = table();
        let mut s = DecodeStats::default();
        t.insert(key(1), frag(0, true), &[1; 7], None, 0, &mut s);
        t.insert(key(1), frag(65528, false), &[1; 16], None, 0, &mut s);
        t.insert(key(1), frag(0, true), &[], None, 0, &mut s);
        assert_eq!(s.malformed_fragments, 3);
        assert_eq!(t.trains(), 0);
    }

    #[test]
    fn limits_timeouts_and_ignored() {
        let config = DecoderConfig {
            max_fragment_trains: 3,
            max_fragment_bytes: 64,
            max_fragments_per_train: 2,
            fragment_timeout_secs: 1,
            ..DecoderConfig::default()
        };
        let mut t = FragTable::new(&config);
        let mut s = DecodeStats::default();
        for id in 0..5 {
            t.insert(key(id), frag(0, true), &[0; 8], None, u64::from(id), &mut s);
        }
        assert_eq!(t.trains(), 3);
        assert_eq!(s.fragment_trains_evicted, 2);
        // Too many bytes for the budget: others are evicted, then this one refused.
        t.insert(key(9), frag(64, true), &[0; 8], None, 10, &mut s);
        assert_eq!(s.fragments_over_limit, 1);
        assert!(t.bytes() <= 64);
        // Too many pieces.
        t.insert(key(10), frag(0, true), &[0; 8], None, 10, &mut s);
        t.insert(key(10), frag(16, true), &[0; 8], None, 10, &mut s);
        t.insert(key(10), frag(32, true), &[0; 8], None, 10, &mut s);
        assert_eq!(s.fragments_over_limit, 2);
        // Ignored trains swallow their fragments and do not count as timeouts.
        t.insert(key(11), frag(0, true), &[0; 8], Some(false), 10, &mut s);
        t.insert(key(11), frag(8, false), &[0; 8], None, 10, &mut s);
        assert_eq!(s.fragments_ignored, 2);
        assert_eq!(t.trains(), 3); // ids 3, 4 and the ignored 11
        t.expire(10 + 2_000_000, &mut s);
        assert_eq!(t.trains(), 0);
        assert_eq!(t.bytes(), 0);
        assert_eq!(s.fragment_timeouts, 2);
        t.insert(key(12), frag(0, true), &[0; 8], None, 3_000_000, &mut s);
        t.expire(3_500_000, &mut s);
        assert_eq!(t.trains(), 1);
        t.clear(&mut s);
        assert_eq!((t.trains(), t.bytes(), s.fragment_timeouts), (0, 0, 3));
    }
}
