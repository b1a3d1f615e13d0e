//! Matching responses to the queries a sensor saw: where a live sensor sees both
//! directions, a response that answers no outstanding query (same client flow, ID and
//! question) is a spoofing attempt or noise, and is dropped.

use std::collections::{HashMap, VecDeque};

use hearsay_parse::Peek;

/// What identifies a query: client flow, ID, type, name.
type QueryKey = (u64, u16, u16, Vec<u8>);

/// Outstanding queries, bounded in number and age.
#[derive(Debug)]
pub struct QueryMatcher {
    pending: HashMap<QueryKey, u64>,
    order: VecDeque<(QueryKey, u64)>,
    max: usize,
    timeout_micros: u64,
}

impl QueryMatcher {
    /// At most `max` outstanding queries, each for `timeout_secs`.
    pub fn new(max: usize, timeout_secs: u64) -> Self {
        QueryMatcher {
            pending: HashMap::new(),
            order: VecDeque::new(),
            max: max.max(1),
            timeout_micros: timeout_secs * 1_000_000,
        }
    }

    fn expire(&mut self, now: u64) {
        while let Some((key, t)) = self.order.front() {
            let stale = now.saturating_sub(*t) > self.timeout_micros || self.order.len() > self.max;
            if !stale {
                break;
            }
            if self.pending.get(key) == Some(t) {
                self.pending.remove(key);
            }
            self.order.pop_front();
        }
    }

    /// A query went out at `now` (µs) on `flow`.
    pub fn query(&mut self, flow: u64, q: &Peek, now: u64) {
        let key = (flow, q.id, q.qtype, q.qname.clone());
        self.pending.insert(key.clone(), now);
        self.order.push_back((key, now));
        self.expire(now);
    }

    /// A response came in: does it answer an outstanding query? (The query is then
    /// answered.)
    pub fn response(&mut self, flow: u64, r: &Peek, now: u64) -> bool {
        self.expire(now);
        self.pending
            .remove(&(flow, r.id, r.qtype, r.qname.clone()))
            .is_some()
    }

    /// Queries waiting for an answer.
    pub fn outstanding(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: u16, name: &[u8]) -> Peek {
        Peek {
            id,
            response: false,
            qname: name.to_vec(),
            qtype: 1,
        }
    }

    #[test]
    fn matches_once_and_expires() {
        let mut m = QueryMatcher::new(1000, 10);
        m.query(7, &p(1, b"\x01a\x00"), 0);
        assert!(!m.response(8, &p(1, b"\x01a\x00"), 1), "another flow");
        assert!(!m.response(7, &p(2, b"\x01a\x00"), 1), "another id");
        assert!(m.response(7, &p(1, b"\x01a\x00"), 2));
        assert!(!m.response(7, &p(1, b"\x01a\x00"), 3), "answered already");
        m.query(7, &p(3, b"\x01a\x00"), 0);
        assert!(!m.response(7, &p(3, b"\x01a\x00"), 11_000_000), "too late");
    }

    #[test]
    fn bounded() {
        let mut m = QueryMatcher::new(100, 1000);
        for i in 0..10_000u16 {
            m.query(1, &p(i, b"\x01a\x00"), u64::from(i));
        }
        assert!(m.outstanding() <= 101);
    }
}
