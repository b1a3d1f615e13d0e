//! The bytes two keys share at their start: what prefix compression (sync batches, the
//! store's bulk-load runs) leaves out of each key. Keys are compared eight bytes at a
//! time; a byte-by-byte loop was a tenth of a bulk write's run writing.

/// How many leading bytes `a` and `b` have in common.
///
/// ```
/// use hearsay_record::prefix::common_prefix;
/// assert_eq!(common_prefix(b"\x03com\x07example", b"\x03com\x04test"), 4);
/// assert_eq!(common_prefix(b"abc", b"abc"), 3);
/// ```
pub fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut done = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let (Ok(x), Ok(y)) = (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) else {
            break;
        };
        let diff = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
        if diff != 0 {
            // Little-endian: the first differing byte holds the lowest set bit.
            return done + (diff.trailing_zeros() / 8) as usize;
        }
        done += 8;
    }
    done + a[done..]
        .iter()
        .zip(&b[done..])
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(a: &[u8], b: &[u8]) -> usize {
        a.iter().zip(b).take_while(|(x, y)| x == y).count()
    }

    #[test]
    fn edges() {
        assert_eq!(common_prefix(b"", b""), 0);
        assert_eq!(common_prefix(b"", b"x"), 0);
        assert_eq!(common_prefix(b"12345678", b"12345678"), 8);
        assert_eq!(common_prefix(b"12345678a", b"12345678b"), 8);
        assert_eq!(common_prefix(b"1234567", b"12345678"), 7);
        assert_eq!(common_prefix(b"x2345678", b"12345678"), 0);
        assert_eq!(common_prefix(b"1234567x", b"12345678"), 7);
    }

    proptest! {
        /// The same as comparing byte by byte, for keys that share 0 to 40 bytes and
        /// differ (or end) anywhere after.
        #[test]
        fn equals_the_byte_loop(
            shared in proptest::collection::vec(any::<u8>(), 0..40),
            a in proptest::collection::vec(0u8..3, 0..20),
            b in proptest::collection::vec(0u8..3, 0..20),
        ) {
            let a = [shared.as_slice(), &a].concat();
            let b = [shared.as_slice(), &b].concat();
            prop_assert_eq!(common_prefix(&a, &b), naive(&a, &b));
        }
    }
}
