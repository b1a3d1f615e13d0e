//! Rows gathered for a bulk write, kept in one buffer: pushing a row copies it instead of
//! allocating it, and a batch's hundreds of thousands of rows are freed at once. A
//! snapshot's bulk writes used to spend about a tenth of their time allocating and
//! freeing rows one by one (often on another thread than the one that made them).

use crate::bulk::head;

/// Rows in one buffer, in the order pushed.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    bytes: Vec<u8>,
    /// Each row's start in `bytes` and its length.
    spans: Vec<(usize, u32)>,
}

impl Rows {
    /// Room for `rows` rows of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        Rows {
            bytes: Vec::with_capacity(bytes),
            spans: Vec::with_capacity(rows),
        }
    }

    /// Appends a row made of `parts`, one after the other.
    pub fn push(&mut self, parts: &[&[u8]]) {
        let start = self.bytes.len();
        for p in parts {
            self.bytes.extend_from_slice(p);
        }
        // Rows are keys and values of a few hundred bytes at most (a record key is at
        // most 64 kB): the length fits.
        let len = u32::try_from(self.bytes.len() - start).unwrap_or(u32::MAX);
        self.spans.push((start, len));
    }

    /// Appends a row that `write` writes into the buffer, if it says it did (`true`);
    /// otherwise whatever it wrote is taken back.
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>) -> bool) {
        let start = self.bytes.len();
        if !write(&mut self.bytes) {
            self.bytes.truncate(start);
            return;
        }
        let len = u32::try_from(self.bytes.len() - start).unwrap_or(u32::MAX);
        self.spans.push((start, len));
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// The `i`th row pushed.
    pub fn get(&self, i: usize) -> &[u8] {
        let (start, len) = self.spans[i];
        &self.bytes[start..start + len as usize]
    }

    /// The rows in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The rows in byte order. Each is sorted by its first 32 bytes as two numbers
    /// (zero-padded, which orders as the bytes do) and only ties compare the bytes: most
    /// comparisons are settled without reading the buffer, even for index keys that
    /// share a long target name. (Dealing the rows into buckets by their first two bytes
    /// first, and sorting each bucket, measured slower.)
    pub fn sorted(&self) -> impl Iterator<Item = &[u8]> {
        let mut order: Vec<(u128, u128, u32)> = (0..self.len())
            .map(|i| {
                let row = self.get(i);
                (head(row), head(row.get(16..).unwrap_or_default()), i as u32)
            })
            .collect();
        order.sort_unstable_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then_with(|| self.get(a.2 as usize).cmp(self.get(b.2 as usize)))
        });
        order.into_iter().map(|(_, _, i)| self.get(i as usize))
    }

    /// The rows ordered by their first `prefix` bytes (at most 16) alone, rows with
    /// equal prefixes in the order pushed.
    pub fn sorted_by_prefix(&self, prefix: usize) -> impl Iterator<Item = &[u8]> {
        let mut order: Vec<(u128, u32)> = (0..self.len())
            .map(|i| {
                let row = self.get(i);
                (head(&row[..row.len().min(prefix)]), i as u32)
            })
            .collect();
        order.sort_unstable();
        order.into_iter().map(|(_, i)| self.get(i as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_as_pushed_and_in_byte_order() {
        let mut rows = Rows::default();
        let long_a = [[7u8; 40].as_slice(), b"b"].concat();
        let long_b = [[7u8; 40].as_slice(), b"a"].concat();
        for r in [b"zeta".as_slice(), b"", b"alpha", &long_a, &long_b, b"alph"] {
            rows.push(&[r]);
        }
        rows.push_with(|b| {
            b.extend_from_slice(b"mid");
            true
        });
        rows.push_with(|b| {
            b.extend_from_slice(b"taken back");
            false
        });
        assert_eq!(rows.len(), 7);
        assert_eq!(rows.get(0), b"zeta");
        assert_eq!(rows.get(6), b"mid");
        let mut want: Vec<&[u8]> = rows.iter().collect();
        want.sort();
        assert_eq!(rows.sorted().collect::<Vec<_>>(), want);
    }

    proptest::proptest! {
        /// `sorted` is byte order, for rows that share long prefixes, are
        /// empty or one byte long, or differ only past 32 bytes.
        #[test]
        fn sorted_is_byte_order(rows in proptest::collection::vec(
            (0u8..3, proptest::collection::vec(0u8..4, 0..40)),
            0..300,
        )) {
            let mut r = Rows::default();
            for (lead, tail) in &rows {
                r.push(&[&[*lead; 1][..(*lead as usize).min(1)], &[7u8; 30][..usize::from(*lead) * 10], tail]);
            }
            let mut want: Vec<&[u8]> = r.iter().collect();
            want.sort();
            proptest::prop_assert_eq!(r.sorted().collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn ordering_by_a_prefix_keeps_the_order_of_equal_prefixes() {
        let mut rows = Rows::default();
        rows.push(&[b"bb", b"2"]);
        rows.push(&[b"aa", b"9"]);
        rows.push(&[b"bb", b"1"]);
        rows.push(&[b"aa", b"0"]);
        let got: Vec<&[u8]> = rows.sorted_by_prefix(2).collect();
        assert_eq!(got, [b"aa9", b"aa0", b"bb2", b"bb1"]);
    }
}
