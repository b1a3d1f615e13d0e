//! An insertion-ordered queue of table entries for timeouts and oldest-first eviction.
//!
//! Entries are `(queued_at, key, generation)`. The owning table removes entries from its
//! map without touching the queue; stale queue entries (whose key is gone or carries
//! another generation) are skipped when popped, and the queue is compacted when stale
//! entries would make it grow past twice the table size.

use std::collections::VecDeque;

#[derive(Debug)]
pub(crate) struct ExpiryQueue<K> {
    entries: VecDeque<(u64, K, u64)>,
}

impl<K: Clone> ExpiryQueue<K> {
    pub(crate) fn new() -> Self {
        ExpiryQueue {
            entries: VecDeque::new(),
        }
    }

    pub(crate) fn push(&mut self, queued_at: u64, key: K, generation: u64) {
        self.entries.push_back((queued_at, key, generation));
    }

    /// Puts back an entry just popped, in its place at the front.
    pub(crate) fn push_front(&mut self, queued_at: u64, key: K, generation: u64) {
        self.entries.push_front((queued_at, key, generation));
    }

    /// The oldest entry, if queued before `cutoff` (any entry when `cutoff` is `None`).
    pub(crate) fn pop_before(&mut self, cutoff: Option<u64>) -> Option<(u64, K, u64)> {
        let (at, _, _) = self.entries.front()?;
        if cutoff.is_some_and(|c| *at >= c) {
            return None;
        }
        self.entries.pop_front()
    }

    /// Drops stale entries once the queue holds more than twice `live` (plus slack), so the
    /// queue stays proportional to the table it indexes.
    pub(crate) fn compact_if_needed(&mut self, live: usize, is_live: impl Fn(&K, u64) -> bool) {
        if self.entries.len() > live.saturating_mul(2).saturating_add(64) {
            self.entries.retain(|(_, k, g)| is_live(k, *g));
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_order_up_to_cutoff_and_compacts() {
        let mut q = ExpiryQueue::new();
        for i in 0..10u64 {
            q.push(i, i, i);
        }
        assert_eq!(q.pop_before(Some(2)).map(|e| e.1), Some(0));
        assert_eq!(q.pop_before(Some(2)).map(|e| e.1), Some(1));
        assert_eq!(q.pop_before(Some(2)), None);
        assert_eq!(q.pop_before(None).map(|e| e.1), Some(2));
        for i in 10..200u64 {
            q.push(i, i, i);
        }
        q.compact_if_needed(1, |k, _| *k == 150);
        assert_eq!(q.len(), 1);
        q.clear();
        assert_eq!(q.pop_before(None), None);
    }
}
