//! The per-origin entry and its merge: the record CRDT.
//!
//! A record's value maps each **origin** (the node whose sensors saw it) to
//! `{time_first, time_last, count, seq}`. Only the origin writes its own entry; replicas
//! merge entries of the same origin with `(min, max, max, max)`, which is commutative,
//! associative and idempotent, so updates may arrive in any order, twice, or relayed
//! through any path and every replica ends in the same state.

use crate::{Error, varint};

/// A node's local number for an origin name (the mapping lives in the store's meta).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OriginId(pub u32);

/// What one origin knows about one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// First time seen (seconds since the epoch, from packet timestamps).
    pub time_first: u64,
    /// Last time seen.
    pub time_last: u64,
    /// How many times the origin saw it.
    pub count: u64,
    /// The origin's sequence number of the update that produced this state.
    pub seq: u64,
}

impl Entry {
    /// Merges another replica's state of the same origin's entry. Returns whether `self`
    /// changed.
    pub fn merge(&mut self, other: &Entry) -> bool {
        let before = *self;
        self.time_first = self.time_first.min(other.time_first);
        self.time_last = self.time_last.max(other.time_last);
        self.count = self.count.max(other.count);
        self.seq = self.seq.max(other.seq);
        *self != before
    }

    /// The origin's own update: folds new sightings into its entry under a new sequence
    /// number. Counts add up here (new observations), unlike in [`Entry::merge`].
    pub fn observe(&mut self, sighting: &Sighting, seq: u64) {
        self.time_first = self.time_first.min(sighting.time_first);
        self.time_last = self.time_last.max(sighting.time_last);
        self.count = self.count.saturating_add(sighting.count);
        self.seq = seq;
    }

    /// `true` if `self` already contains everything `other` says (merging it would change
    /// nothing).
    pub fn covers(&self, other: &Entry) -> bool {
        let mut copy = *self;
        !copy.merge(other)
    }
}

/// Sightings folded in memory before they reach the store: first, last and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sighting {
    /// Earliest time in the window.
    pub time_first: u64,
    /// Latest time in the window.
    pub time_last: u64,
    /// Number of sightings in the window.
    pub count: u64,
}

impl Sighting {
    /// One sighting at `time`.
    pub fn once(time: u64) -> Self {
        Sighting {
            time_first: time,
            time_last: time,
            count: 1,
        }
    }

    /// Folds another window's sightings of the same record into this one.
    pub fn add(&mut self, other: &Sighting) {
        self.time_first = self.time_first.min(other.time_first);
        self.time_last = self.time_last.max(other.time_last);
        self.count = self.count.saturating_add(other.count);
    }
}

/// The folded view of a record over all origins, as queries show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Earliest first-seen of any origin.
    pub time_first: u64,
    /// Latest last-seen of any origin.
    pub time_last: u64,
    /// Sum of the origins' counts.
    pub count: u64,
}

/// A record's value: one [`Entry`] per origin, kept sorted by origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordValue {
    entries: Vec<(OriginId, Entry)>,
}

impl RecordValue {
    /// A value with no entry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entries, sorted by origin.
    pub fn entries(&self) -> &[(OriginId, Entry)] {
        &self.entries
    }

    /// The entry of one origin.
    pub fn get(&self, origin: OriginId) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&origin, |(o, _)| *o)
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Merges one origin's entry; returns whether the value changed.
    pub fn merge_entry(&mut self, origin: OriginId, entry: &Entry) -> bool {
        match self.entries.binary_search_by_key(&origin, |(o, _)| *o) {
            Ok(i) => self.entries[i].1.merge(entry),
            Err(i) => {
                self.entries.insert(i, (origin, *entry));
                true
            }
        }
    }

    /// Merges a whole value (the union of origins, each merged); returns whether the value
    /// changed.
    pub fn merge(&mut self, other: &RecordValue) -> bool {
        let mut changed = false;
        for (origin, entry) in &other.entries {
            changed |= self.merge_entry(*origin, entry);
        }
        changed
    }

    /// The origin's own update (see [`Entry::observe`]); returns the previous sequence
    /// number of its entry, if it had one.
    pub fn observe(&mut self, origin: OriginId, sighting: &Sighting, seq: u64) -> Option<u64> {
        match self.entries.binary_search_by_key(&origin, |(o, _)| *o) {
            Ok(i) => {
                let old = self.entries[i].1.seq;
                self.entries[i].1.observe(sighting, seq);
                Some(old)
            }
            Err(i) => {
                let entry = Entry {
                    time_first: sighting.time_first,
                    time_last: sighting.time_last,
                    count: sighting.count,
                    seq,
                };
                self.entries.insert(i, (origin, entry));
                None
            }
        }
    }

    /// Folds the origins: first = min, last = max, count = sum. `None` if empty.
    pub fn summary(&self) -> Option<Summary> {
        self.summary_of(|_| true)
    }

    /// Like [`RecordValue::summary`] over the origins `keep` accepts.
    pub fn summary_of(&self, mut keep: impl FnMut(OriginId) -> bool) -> Option<Summary> {
        let mut out: Option<Summary> = None;
        for (origin, e) in &self.entries {
            if !keep(*origin) {
                continue;
            }
            let s = out.get_or_insert(Summary {
                time_first: e.time_first,
                time_last: e.time_last,
                count: 0,
            });
            s.time_first = s.time_first.min(e.time_first);
            s.time_last = s.time_last.max(e.time_last);
            s.count = s.count.saturating_add(e.count);
        }
        out
    }

    /// Compact encoding: entry count, then per entry origin, first, last − first, count
    /// and seq, all varints.
    pub fn encode(&self, out: &mut Vec<u8>) {
        varint::put(out, self.entries.len() as u64);
        for (origin, e) in &self.entries {
            varint::put(out, u64::from(origin.0));
            encode_entry(out, e);
        }
    }

    /// Encoded form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 16 * self.entries.len());
        self.encode(&mut out);
        out
    }

    /// Decodes [`RecordValue::encode`]'s output, checking bounds and order.
    pub fn decode(input: &[u8]) -> Result<Self, Error> {
        let mut entries = Vec::new();
        decode_entries(input, |origin, entry| entries.push((origin, entry)))?;
        Ok(RecordValue { entries })
    }
}

/// Decodes an encoded [`RecordValue`]'s entries, in origin order, handing each to
/// `each` instead of gathering them (a reader that turns them into something else
/// builds no `RecordValue` on the way). The same checks as [`RecordValue::decode`];
/// on an error, the entries before it have been handed over.
pub fn decode_entries(
    mut input: &[u8],
    mut each: impl FnMut(OriginId, Entry),
) -> Result<(), Error> {
    let n = varint::get(&mut input)?;
    if n > input.len() as u64 {
        return Err(Error::BadValue("entry count larger than the value"));
    }
    let mut last: Option<OriginId> = None;
    for _ in 0..n {
        let origin = OriginId(
            u32::try_from(varint::get(&mut input)?).map_err(|_| Error::BadValue("origin id"))?,
        );
        let entry = decode_entry(&mut input)?;
        if last.is_some_and(|l| l >= origin) {
            return Err(Error::BadValue("origins out of order"));
        }
        last = Some(origin);
        each(origin, entry);
    }
    if !input.is_empty() {
        return Err(Error::TrailingBytes);
    }
    Ok(())
}

/// Times are written relative to this epoch (2025-06-15), zigzag-encoded: dates within
/// about four years of it take 4 varint bytes instead of 5.
const TIME_EPOCH: u64 = 1_750_000_000;

fn zigzag(t: u64) -> u64 {
    let d = t.wrapping_sub(TIME_EPOCH) as i64;
    ((d << 1) ^ (d >> 63)) as u64
}

fn unzigzag(z: u64) -> u64 {
    let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
    (d as u64).wrapping_add(TIME_EPOCH)
}

/// Encodes one entry: first (relative to an epoch), last − first, count, seq as
/// varints.
pub fn encode_entry(out: &mut Vec<u8>, e: &Entry) {
    varint::put(out, zigzag(e.time_first));
    varint::put(out, e.time_last.saturating_sub(e.time_first));
    varint::put(out, e.count);
    varint::put(out, e.seq);
}

/// Decodes [`encode_entry`]'s output from the front of `input`.
pub fn decode_entry(input: &mut &[u8]) -> Result<Entry, Error> {
    let time_first = unzigzag(varint::get(input)?);
    let span = varint::get(input)?;
    let time_last = time_first
        .checked_add(span)
        .ok_or(Error::BadValue("time overflow"))?;
    let count = varint::get(input)?;
    let seq = varint::get(input)?;
    Ok(Entry {
        time_first,
        time_last,
        count,
        seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry() -> impl Strategy<Value = Entry> {
        (0u64..1_000_000, 0u64..1_000, 1u64..1_000, 0u64..1_000).prop_map(|(f, span, c, s)| Entry {
            time_first: f,
            time_last: f + span,
            count: c,
            seq: s,
        })
    }

    fn value() -> impl Strategy<Value = RecordValue> {
        proptest::collection::vec((0u32..5, entry()), 0..6).prop_map(|es| {
            let mut v = RecordValue::new();
            for (o, e) in es {
                v.merge_entry(OriginId(o), &e);
            }
            v
        })
    }

    fn merged(a: &RecordValue, b: &RecordValue) -> RecordValue {
        let mut out = a.clone();
        out.merge(b);
        out
    }

    proptest! {
        #[test]
        fn merge_is_commutative(a in value(), b in value()) {
            prop_assert_eq!(merged(&a, &b), merged(&b, &a));
        }

        #[test]
        fn merge_is_associative(a in value(), b in value(), c in value()) {
            prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
        }

        #[test]
        fn merge_is_idempotent(a in value(), b in value()) {
            let ab = merged(&a, &b);
            prop_assert_eq!(merged(&ab, &b), ab.clone());
            prop_assert_eq!(merged(&a, &a), a);
        }

        /// Any order and any duplication of a set of updates gives one state, and a replica
        /// never goes backwards while receiving them.
        #[test]
        fn any_delivery_order_converges(
            updates in proptest::collection::vec((0u32..4, entry()), 1..30),
            order in proptest::collection::vec(any::<prop::sample::Index>(), 1..90),
        ) {
            let mut reference = RecordValue::new();
            for (o, e) in &updates {
                reference.merge_entry(OriginId(*o), e);
            }
            // Deliver a random sequence (with repeats), then everything once more so that
            // each update arrived at least once.
            let mut replica = RecordValue::new();
            for idx in &order {
                let (o, e) = &updates[idx.index(updates.len())];
                let before = replica.clone();
                replica.merge_entry(OriginId(*o), e);
                for (origin, old) in before.entries() {
                    let new = replica.get(*origin).unwrap();
                    prop_assert!(new.covers(old), "entry went backwards");
                }
            }
            for (o, e) in updates.iter().rev() {
                replica.merge_entry(OriginId(*o), e);
            }
            prop_assert_eq!(replica, reference);
        }

        #[test]
        fn time_encoding_round_trips(t: u64) {
            prop_assert_eq!(unzigzag(zigzag(t)), t);
        }

        #[test]
        fn encoding_round_trips(v in value()) {
            prop_assert_eq!(RecordValue::decode(&v.to_bytes()).unwrap(), v);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = RecordValue::decode(&bytes);
        }
    }

    #[test]
    fn local_observations_add_counts() {
        let mut v = RecordValue::new();
        assert_eq!(
            v.observe(
                OriginId(1),
                &Sighting {
                    time_first: 100,
                    time_last: 200,
                    count: 3
                },
                1
            ),
            None
        );
        assert_eq!(
            v.observe(
                OriginId(1),
                &Sighting {
                    time_first: 50,
                    time_last: 150,
                    count: 2
                },
                7
            ),
            Some(1)
        );
        assert_eq!(
            v.get(OriginId(1)),
            Some(&Entry {
                time_first: 50,
                time_last: 200,
                count: 5,
                seq: 7
            })
        );
        v.merge_entry(
            OriginId(0),
            &Entry {
                time_first: 10,
                time_last: 20,
                count: 4,
                seq: 1,
            },
        );
        assert_eq!(
            v.summary(),
            Some(Summary {
                time_first: 10,
                time_last: 200,
                count: 9
            })
        );
        assert_eq!(v.summary_of(|o| o == OriginId(1)).unwrap().count, 5);
    }
}
