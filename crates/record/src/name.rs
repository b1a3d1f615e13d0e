//! Canonical domain names.
//!
//! A [`Name`] is kept in uncompressed wire form (length-prefixed labels ending in the
//! root label) with ASCII letters lowercased: resolvers randomise the case of query
//! names (draft-vixie-dnsext-dns0x20), so `WwW.ExAmPlE.cOm` and `www.example.com` are
//! one name. Any byte may appear inside a label; only ASCII `A-Z` are folded.

use std::fmt;

use crate::Error;

/// Longest name on the wire, including length bytes and the root label (RFC 1035 §3.1).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// A fully qualified domain name in canonical (lowercase, uncompressed) wire form.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Box<[u8]>);

impl Name {
    /// The root name `.`.
    pub fn root() -> Self {
        Name(Box::new([0]))
    }

    /// Builds a name from uncompressed wire bytes, lowercasing it. The input must be
    /// exactly one name ending in the root label.
    pub fn from_wire(wire: &[u8]) -> Result<Self, Error> {
        let mut builder = NameBuilder::new();
        let mut pos = 0;
        loop {
            let len = *wire.get(pos).ok_or(Error::NameTruncated)? as usize;
            if len == 0 {
                if pos + 1 != wire.len() {
                    return Err(Error::TrailingBytes);
                }
                return Ok(builder.finish());
            }
            let label = wire
                .get(pos + 1..pos + 1 + len)
                .ok_or(Error::NameTruncated)?;
            builder.push_label(label)?;
            pos += 1 + len;
        }
    }

    /// Builds a name from labels given leaf first (`["www", "example", "com"]`).
    pub fn from_labels<'a, I: IntoIterator<Item = &'a [u8]>>(labels: I) -> Result<Self, Error> {
        let mut builder = NameBuilder::new();
        for label in labels {
            builder.push_label(label)?;
        }
        Ok(builder.finish())
    }

    /// Parses presentation form (`www.example.com.`, with or without the trailing dot;
    /// `\.` and `\DDD` escapes as in RFC 1035 §5.1). `.` and the empty string are the root.
    pub fn from_presentation(text: &str) -> Result<Self, Error> {
        let bytes = text.as_bytes();
        if bytes.is_empty() || bytes == b"." {
            return Ok(Self::root());
        }
        let mut builder = NameBuilder::new();
        let mut label: Vec<u8> = Vec::with_capacity(MAX_LABEL_LEN);
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => {
                    if label.is_empty() {
                        return Err(Error::EmptyLabel(text.to_owned()));
                    }
                    builder.push_label(&label)?;
                    label.clear();
                    i += 1;
                }
                b'\\' => {
                    let rest = &bytes[i + 1..];
                    match rest {
                        [a, b, c, ..]
                            if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() =>
                        {
                            let value = u32::from(a - b'0') * 100
                                + u32::from(b - b'0') * 10
                                + u32::from(c - b'0');
                            let byte = u8::try_from(value)
                                .map_err(|_| Error::BadEscape(text.to_owned()))?;
                            label.push(byte);
                            i += 4;
                        }
                        [c, ..] if !c.is_ascii_digit() => {
                            label.push(*c);
                            i += 2;
                        }
                        _ => return Err(Error::BadEscape(text.to_owned())),
                    }
                }
                c => {
                    label.push(c);
                    i += 1;
                }
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(Error::LabelTooLong(label.len()));
            }
        }
        if !label.is_empty() {
            builder.push_label(&label)?;
        }
        Ok(builder.finish())
    }

    /// The wire bytes (canonical form, ending in the root label).
    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    /// Length of the wire form.
    #[allow(clippy::len_without_is_empty)] // a name is never empty: it has at least the root label
    pub fn wire_len(&self) -> usize {
        self.0.len()
    }

    /// Is this the root name?
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// The labels, leaf first, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels {
            wire: &self.0,
            pos: 0,
        }
    }

    /// Number of labels, not counting the root.
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// The name made of the last `n` labels (`n = 0` is the root). `None` if the name has
    /// fewer labels.
    pub fn suffix(&self, n: usize) -> Option<Name> {
        let count = self.label_count();
        let skip = count.checked_sub(n)?;
        let mut pos = 0;
        for _ in 0..skip {
            pos += 1 + self.0[pos] as usize;
        }
        Some(Name(self.0[pos..].into()))
    }

    /// The parent name, or `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        if self.is_root() {
            return None;
        }
        let skip = 1 + self.0[0] as usize;
        Some(Name(self.0[skip..].into()))
    }

    /// `true` if `self` equals `zone` or lies below it.
    pub fn is_within(&self, zone: &Name) -> bool {
        let (me, z) = (self.as_wire(), zone.as_wire());
        if z.len() > me.len() {
            return false;
        }
        if !me.ends_with(z) {
            return false;
        }
        // The match must start on a label boundary.
        let start = me.len() - z.len();
        let mut pos = 0;
        while pos < start {
            pos += 1 + me[pos] as usize;
        }
        pos == start
    }

    /// The reversed-label encoding used in store keys: labels from the root down, each
    /// length-prefixed, then a terminating zero byte. `www.example.com.` becomes
    /// `\x03com\x07example\x03www\x00`; every name below `example.com` starts with
    /// [`Name::reversed_prefix`] of `example.com`.
    pub fn reversed(&self) -> Vec<u8> {
        let mut out = self.reversed_prefix();
        out.push(0);
        out
    }

    /// [`Name::reversed`] without the terminating zero: the key prefix shared by the name
    /// and all names below it.
    pub fn reversed_prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len());
        self.write_reversed_prefix(&mut out);
        out
    }

    /// Appends [`Name::reversed_prefix`] to `out`.
    pub fn write_reversed_prefix(&self, out: &mut Vec<u8>) {
        let mut starts: [u8; 128] = [0; 128];
        let mut n = 0;
        let mut pos = 0usize;
        while self.0[pos] != 0 {
            starts[n] = pos as u8;
            n += 1;
            pos += 1 + self.0[pos] as usize;
        }
        for &start in starts[..n].iter().rev() {
            let start = start as usize;
            let len = self.0[start] as usize;
            out.extend_from_slice(&self.0[start..start + 1 + len]);
        }
    }

    /// Decodes a name from the front of a reversed encoding; returns the name and the
    /// number of bytes consumed (including the terminating zero).
    pub fn from_reversed(bytes: &[u8]) -> Result<(Name, usize), Error> {
        let len = reversed_len(bytes)?;
        let mut wire = Vec::with_capacity(len);
        write_mirrored(&bytes[..len], &mut wire);
        Ok((Name(wire.into_boxed_slice()), len))
    }

    /// Appends the wire form of the name at the front of a reversed encoding to `out`
    /// (what [`Name::from_reversed`] decodes, without building the name); returns the
    /// bytes consumed. On an error `out` is unchanged.
    pub fn write_wire_from_reversed(bytes: &[u8], out: &mut Vec<u8>) -> Result<usize, Error> {
        let len = reversed_len(bytes)?;
        write_mirrored(&bytes[..len], out);
        Ok(len)
    }

    /// Presentation form with the trailing dot, escaping as `dig` does.
    pub fn to_presentation(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for label in self.labels() {
            write_label(f, label)?;
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl std::str::FromStr for Name {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Name::from_presentation(s)
    }
}

/// Writes one label in presentation form: printable ASCII as is, the characters that
/// are special in master files (`. ; \ ( ) " @ $`) backslash-escaped, everything else
/// as `\DDD`.
pub(crate) fn write_label<W: fmt::Write>(out: &mut W, label: &[u8]) -> fmt::Result {
    for &b in label {
        match b {
            b'.' | b';' | b'\\' | b'(' | b')' | b'"' | b'@' | b'$' => {
                out.write_char('\\')?;
                out.write_char(b as char)?;
            }
            0x21..=0x7e => out.write_char(b as char)?,
            _ => write!(out, "\\{b:03}")?,
        }
    }
    Ok(())
}

/// Iterator over a name's labels, leaf first.
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    wire: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = *self.wire.get(self.pos)? as usize;
        if len == 0 {
            return None;
        }
        let label = self.wire.get(self.pos + 1..self.pos + 1 + len)?;
        self.pos += 1 + len;
        Some(label)
    }
}

/// Incremental construction of a [`Name`] from labels, leaf first, enforcing the RFC 1035
/// limits and lowercasing.
#[derive(Debug, Default)]
pub struct NameBuilder {
    wire: Vec<u8>,
}

impl NameBuilder {
    /// An empty builder (finishing it at once gives the root).
    pub fn new() -> Self {
        NameBuilder {
            wire: Vec::with_capacity(32),
        }
    }

    /// Appends a label below which the previous ones sit (leaf first order).
    pub fn push_label(&mut self, label: &[u8]) -> Result<(), Error> {
        if label.is_empty() {
            return Err(Error::EmptyLabel(
                String::from_utf8_lossy(label).into_owned(),
            ));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(Error::LabelTooLong(label.len()));
        }
        if self.wire.len() + 1 + label.len() + 1 > MAX_NAME_LEN {
            return Err(Error::NameTooLong);
        }
        self.wire.push(label.len() as u8);
        self.wire.extend(label.iter().map(u8::to_ascii_lowercase));
        Ok(())
    }

    /// Wire length so far, excluding the root label.
    pub fn len(&self) -> usize {
        self.wire.len()
    }

    /// No label pushed yet?
    pub fn is_empty(&self) -> bool {
        self.wire.is_empty()
    }

    /// The finished name.
    pub fn finish(mut self) -> Name {
        self.wire.push(0);
        Name(self.wire.into_boxed_slice())
    }
}

/// The length of the reversed name at the front of `bytes` (including its terminating
/// zero), checked as a name: every label within the bytes and at most 63 bytes long, the
/// whole at most 255 bytes (the wire form is exactly as long).
fn reversed_len(bytes: &[u8]) -> Result<usize, Error> {
    check_reversed(bytes).map(|(len, _)| len)
}

/// [`reversed_len`], and the number of labels.
pub(crate) fn check_reversed(bytes: &[u8]) -> Result<(usize, usize), Error> {
    let (mut pos, mut labels) = (0, 0);
    loop {
        let len = *bytes.get(pos).ok_or(Error::NameTruncated)? as usize;
        if len == 0 {
            pos += 1;
            break;
        }
        if bytes.len() < pos + 1 + len {
            return Err(Error::NameTruncated);
        }
        if len > MAX_LABEL_LEN {
            return Err(Error::LabelTooLong(len));
        }
        labels += 1;
        pos += 1 + len;
    }
    if pos > MAX_NAME_LEN {
        return Err(Error::NameTooLong);
    }
    Ok((pos, labels))
}

/// Appends the wire form of a checked reversed name (exactly one, with its terminating
/// zero): each label goes where its mirror image is, lowercased.
fn write_mirrored(reversed: &[u8], out: &mut Vec<u8>) {
    let total = reversed.len();
    let start = out.len();
    out.resize(start + total, 0);
    let wire = &mut out[start..];
    let mut pos = 0;
    while let Some(&len) = reversed.get(pos).filter(|l| **l != 0) {
        let len = usize::from(len);
        let end = total - 1 - pos;
        let begin = end - 1 - len;
        wire[begin] = len as u8;
        for (to, from) in wire[begin + 1..end].iter_mut().zip(&reversed[pos + 1..]) {
            *to = from.to_ascii_lowercase();
        }
        pos += 1 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `from_reversed` as it was: the labels gathered, then pushed leaf first.
    fn from_reversed_by_labels(bytes: &[u8]) -> Result<(Name, usize), Error> {
        let mut labels: Vec<&[u8]> = Vec::new();
        let mut pos = 0;
        loop {
            let len = *bytes.get(pos).ok_or(Error::NameTruncated)? as usize;
            if len == 0 {
                pos += 1;
                break;
            }
            labels.push(
                bytes
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(Error::NameTruncated)?,
            );
            pos += 1 + len;
        }
        Ok((Name::from_labels(labels.into_iter().rev())?, pos))
    }

    /// Reversed-name-like bytes: labels (mixed case, some too long, some past the name
    /// limit), a terminator, trailing bytes, sometimes cut short; or anything.
    fn reversed_like() -> impl Strategy<Value = Vec<u8>> {
        let label = prop_oneof![
            8 => proptest::collection::vec(prop_oneof![b'a'..=b'z', b'A'..=b'Z', Just(b'-')], 1..12),
            2 => proptest::collection::vec(any::<u8>(), 60..65),
        ];
        let structured = (
            proptest::collection::vec(label, 0..30),
            proptest::collection::vec(any::<u8>(), 0..4),
            0usize..3,
        )
            .prop_map(|(labels, tail, cut)| {
                let mut b = Vec::new();
                for l in &labels {
                    b.push(l.len() as u8);
                    b.extend_from_slice(l);
                }
                b.push(0);
                b.extend_from_slice(&tail);
                b.truncate(b.len().saturating_sub(cut));
                b
            });
        prop_oneof![4 => structured, 1 => proptest::collection::vec(any::<u8>(), 0..40)]
    }

    #[test]
    fn reversed_names_at_the_length_limits() {
        let reversed = |last: usize| {
            let mut b = Vec::new();
            for len in [63, 63, 63, last] {
                b.push(len as u8);
                b.extend(std::iter::repeat_n(b'a', len));
            }
            b.push(0);
            b
        };
        // 255 bytes: the longest name; 256: one too many; a label of 64: too long.
        let (name, used) = Name::from_reversed(&reversed(61)).unwrap();
        assert_eq!((name.wire_len(), used), (255, 255));
        assert!(matches!(
            Name::from_reversed(&reversed(62)),
            Err(Error::NameTooLong)
        ));
        let long = [&[64u8][..], &[b'a'; 64], &[0]].concat();
        assert!(matches!(
            Name::from_reversed(&long),
            Err(Error::LabelTooLong(64))
        ));
        assert!(matches!(
            Name::from_reversed(&[3, b'a', b'b']),
            Err(Error::NameTruncated)
        ));
    }

    proptest! {
        #[test]
        fn from_reversed_decodes_as_the_label_by_label_decoder_did(bytes in reversed_like()) {
            let got = Name::from_reversed(&bytes);
            let want = from_reversed_by_labels(&bytes);
            prop_assert_eq!(got.is_ok(), want.is_ok(), "{:?}", bytes);
            if let (Ok(got), Ok(want)) = (got, want) {
                prop_assert_eq!(&got, &want);
                let mut out = vec![7u8];
                prop_assert_eq!(Name::write_wire_from_reversed(&bytes, &mut out).ok(), Some(want.1));
                prop_assert_eq!(&out[1..], want.0.as_wire());
            } else {
                let mut out = vec![7u8];
                prop_assert!(Name::write_wire_from_reversed(&bytes, &mut out).is_err());
                prop_assert_eq!(out, vec![7u8]);
            }
        }
    }

    fn n(s: &str) -> Name {
        Name::from_presentation(s).unwrap()
    }

    #[test]
    fn lowercases_ascii_only() {
        let name = n("WwW.ExAmPlE.cOm");
        assert_eq!(name.to_string(), "www.example.com.");
        let odd = Name::from_labels([&b"\xC4x"[..]]).unwrap();
        assert_eq!(odd.as_wire(), b"\x02\xC4x\x00");
        assert_eq!(odd.to_string(), "\\196x.");
    }

    #[test]
    fn presentation_round_trip_with_escapes() {
        let name = Name::from_labels([&b"a.b"[..], b"c\\d", b"\x00\x7f ", b"com"]).unwrap();
        let text = name.to_string();
        assert_eq!(text, "a\\.b.c\\\\d.\\000\\127\\032.com.");
        assert_eq!(n(&text), name);
        assert_eq!(n("."), Name::root());
        assert_eq!(Name::root().to_string(), ".");
    }

    #[test]
    fn limits_are_enforced() {
        let long = "a".repeat(64);
        assert!(matches!(
            Name::from_presentation(&long),
            Err(Error::LabelTooLong(64))
        ));
        let many = vec!["abcdefghi"; 26].join(".");
        assert!(matches!(
            Name::from_presentation(&many),
            Err(Error::NameTooLong)
        ));
        let ok = vec!["abcdefghi"; 25].join(".");
        assert_eq!(n(&ok).wire_len(), 251);
        assert!(Name::from_presentation("a..b").is_err());
    }

    #[test]
    fn reversed_keys_nest() {
        let zone = n("example.com");
        let www = n("www.example.com");
        let other = n("wwwexample.com");
        assert_eq!(www.reversed(), b"\x03com\x07example\x03www\x00");
        assert!(www.reversed().starts_with(&zone.reversed_prefix()));
        assert!(!other.reversed().starts_with(&zone.reversed_prefix()));
        let (back, used) = Name::from_reversed(&www.reversed()).unwrap();
        assert_eq!(back, www);
        assert_eq!(used, www.wire_len());
        assert_eq!(Name::root().reversed(), b"\x00");
    }

    #[test]
    fn ancestry() {
        let www = n("www.example.com");
        assert!(www.is_within(&n("example.com")));
        assert!(www.is_within(&n("com")));
        assert!(www.is_within(&Name::root()));
        assert!(www.is_within(&www));
        assert!(!www.is_within(&n("ample.com")));
        assert!(!n("example.com").is_within(&www));
        assert_eq!(www.suffix(2), Some(n("example.com")));
        assert_eq!(www.suffix(0), Some(Name::root()));
        assert_eq!(www.suffix(4), None);
        assert_eq!(www.parent(), Some(n("example.com")));
        assert_eq!(www.label_count(), 3);
    }
}
