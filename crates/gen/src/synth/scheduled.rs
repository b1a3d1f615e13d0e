//! Frames built ahead of their capture time — the later fragments of a fragmented response,
//! the rest of a TCP connection — held until the workload's clock reaches them.
//!
//! Building a whole fragment train or connection at once keeps its bookkeeping (sequence
//! numbers, fragment offsets) in one place; this queue then interleaves its frames with
//! the other exchanges' in time order, as a sensor would see them.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// One frame and when it is captured.
#[derive(Debug, PartialEq, Eq)]
struct Item {
    due: u64,
    seq: u64,
    frame: Vec<u8>,
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A time-ordered queue of frames; frames due at the same time leave in the order they
/// were pushed.
#[derive(Debug, Default)]
pub(super) struct Scheduled {
    heap: BinaryHeap<Reverse<Item>>,
    pushed: u64,
}

impl Scheduled {
    /// Queues `frame` for time `due` (µs).
    pub fn push(&mut self, due: u64, frame: Vec<u8>) {
        self.heap.push(Reverse(Item {
            due,
            seq: self.pushed,
            frame,
        }));
        self.pushed += 1;
    }

    /// When the next frame is due.
    pub fn next_due(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(i)| i.due)
    }

    /// The next frame and its time.
    pub fn pop(&mut self) -> Option<(u64, Vec<u8>)> {
        self.heap.pop().map(|Reverse(i)| (i.due, i.frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_leave_in_time_then_push_order() {
        let mut q = Scheduled::default();
        q.push(5, vec![1]);
        q.push(3, vec![2]);
        q.push(5, vec![3]);
        assert_eq!(q.next_due(), Some(3));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(3, vec![2]), (5, vec![1]), (5, vec![3])]);
        assert_eq!(q.next_due(), None);
    }
}
