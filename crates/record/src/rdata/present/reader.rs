//! A cursor over rdata bytes whose every read is checked: reading past the end gives
//! `None`, never a panic.

use crate::Name;
use crate::rdata::layout::wire_name_len;

/// Reads the fields of one rdata front to back.
#[derive(Debug, Clone, Default)]
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(rdata: &'a [u8]) -> Self {
        Reader { rest: rdata }
    }

    /// Nothing left to read?
    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The bytes left, without consuming them.
    pub(super) fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }

    /// Everything left (possibly nothing).
    pub(super) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    /// Everything left, which must be at least one byte.
    pub(super) fn rest_nonempty(&mut self) -> Option<&'a [u8]> {
        (!self.is_empty()).then(|| self.rest())
    }

    /// The next `N` bytes as an array.
    pub(super) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub(super) fn u8(&mut self) -> Option<u8> {
        let (&first, tail) = self.rest.split_first()?;
        self.rest = tail;
        Some(first)
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// An uncompressed domain name.
    pub(super) fn name(&mut self) -> Option<Name> {
        let len = wire_name_len(self.rest).ok()?;
        Name::from_wire(self.take(len)?).ok()
    }

    /// A `<character-string>`: a length byte and that many bytes.
    pub(super) fn char_string(&mut self) -> Option<&'a [u8]> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let mut r = Reader::new(&[0, 1, 2, 3, 4]);
        assert_eq!(r.u16(), Some(1));
        assert_eq!(r.u32(), None);
        assert_eq!(r.char_string(), Some(&[3, 4][..]));
        assert!(r.is_empty());
        assert_eq!(r.u8(), None);
        assert_eq!(r.rest_nonempty(), None);
    }

    #[test]
    fn names() {
        let mut r = Reader::new(b"\x01a\x00\x01b");
        assert_eq!(r.name().map(|n| n.to_string()), Some("a.".to_owned()));
        assert_eq!(r.name(), None);
    }
}
