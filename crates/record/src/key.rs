//! The identity of a record and its byte encoding as a store key.
//!
//! A record is `(rrname, rrtype, bailiwick, rdata)`. Its key is
//!
//! ```text
//! reversed rrname (length-prefixed labels from the root, then 0x00) | rrtype (u16 BE)
//!   | bailiwick (u8: number of labels of the zone, 0xFF = unknown) | canonical rdata
//! ```
//!
//! so that all records of a name and of its subdomains are one prefix scan, and the
//! bailiwick, which is always the rrname itself or one of its ancestors, costs one byte.

use std::fmt;

use crate::{Error, Name, RrType};

/// The zone a record was served from, as far as the sensor knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bailiwick {
    /// Seen below a recursive resolver, or otherwise not known.
    Unknown,
    /// The zone (an ancestor of the rrname, or the rrname itself).
    Zone(Name),
}

const UNKNOWN_BAILIWICK: u8 = 0xFF;

impl Bailiwick {
    /// The zone, if known.
    pub fn zone(&self) -> Option<&Name> {
        match self {
            Bailiwick::Unknown => None,
            Bailiwick::Zone(z) => Some(z),
        }
    }
}

impl fmt::Display for Bailiwick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bailiwick::Unknown => f.write_str("-"),
            Bailiwick::Zone(z) => z.fmt(f),
        }
    }
}

/// A record's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordKey {
    /// Owner name.
    pub rrname: Name,
    /// Type.
    pub rrtype: RrType,
    /// Zone it was served from.
    pub bailiwick: Bailiwick,
    /// Canonical wire-form rdata.
    pub rdata: Vec<u8>,
}

impl RecordKey {
    /// Builds a key, checking that the bailiwick contains the rrname.
    pub fn new(
        rrname: Name,
        rrtype: RrType,
        bailiwick: Bailiwick,
        rdata: Vec<u8>,
    ) -> Result<Self, Error> {
        if let Bailiwick::Zone(zone) = &bailiwick
            && !rrname.is_within(zone)
        {
            return Err(Error::OutOfBailiwick);
        }
        Ok(RecordKey {
            rrname,
            rrtype,
            bailiwick,
            rdata,
        })
    }

    /// The store key bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rrname.wire_len() + 4 + self.rdata.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the store key bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        self.rrname.write_reversed_prefix(out);
        out.push(0);
        out.extend_from_slice(&self.rrtype.0.to_be_bytes());
        out.push(match &self.bailiwick {
            Bailiwick::Unknown => UNKNOWN_BAILIWICK,
            Bailiwick::Zone(z) => z.label_count() as u8,
        });
        out.extend_from_slice(&self.rdata);
    }

    /// Checks store key bytes as [`RecordKey::decode`] does (it accepts exactly the keys
    /// `decode` accepts), without building the key: no allocation. A snapshot's receiver
    /// checks every key a peer sends this way.
    pub fn validate(bytes: &[u8]) -> Result<(), Error> {
        let parts = KeyParts::split(bytes)?;
        // The checks `Name::from_reversed` makes, without building the name.
        let (_, labels) = crate::name::check_reversed(parts.reversed_name)?;
        match parts.bailiwick_labels() {
            Some(n) if n > labels => Err(Error::OutOfBailiwick),
            _ => Ok(()),
        }
    }

    /// Decodes store key bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let parts = KeyParts::split(bytes)?;
        let (rrname, _) = Name::from_reversed(parts.reversed_name)?;
        let bailiwick = match parts.bailiwick {
            UNKNOWN_BAILIWICK => Bailiwick::Unknown,
            n => Bailiwick::Zone(rrname.suffix(n as usize).ok_or(Error::OutOfBailiwick)?),
        };
        Ok(RecordKey {
            rrname,
            rrtype: parts.rrtype,
            bailiwick,
            rdata: parts.rdata.to_vec(),
        })
    }
}

/// A store key split into its parts without allocating.
#[derive(Debug, Clone, Copy)]
pub struct KeyParts<'a> {
    /// The reversed rrname including its terminating zero.
    pub reversed_name: &'a [u8],
    /// Type.
    pub rrtype: RrType,
    /// Raw bailiwick byte (label count of the zone, 0xFF unknown).
    pub bailiwick: u8,
    /// Canonical rdata.
    pub rdata: &'a [u8],
}

impl<'a> KeyParts<'a> {
    /// Splits key bytes.
    pub fn split(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut pos = 0usize;
        loop {
            let len = *bytes.get(pos).ok_or(Error::NameTruncated)? as usize;
            pos += 1 + len;
            if len == 0 {
                break;
            }
            if pos > crate::name::MAX_NAME_LEN {
                return Err(Error::NameTooLong);
            }
        }
        let rest = bytes.get(pos..pos + 3).ok_or(Error::BadKey)?;
        Ok(KeyParts {
            reversed_name: &bytes[..pos],
            rrtype: RrType(u16::from_be_bytes([rest[0], rest[1]])),
            bailiwick: rest[2],
            rdata: &bytes[pos + 3..],
        })
    }

    /// Bailiwick as the number of the zone's labels, `None` if unknown.
    pub fn bailiwick_labels(&self) -> Option<usize> {
        (self.bailiwick != UNKNOWN_BAILIWICK).then_some(self.bailiwick as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Key-like bytes: a run of labels (some too long, some past the name limit), a
    /// type, a bailiwick byte (some beyond the labels), some rdata; or anything at all.
    fn key_like() -> impl Strategy<Value = Vec<u8>> {
        let label = prop_oneof![
            8 => proptest::collection::vec(b'a'..=b'z', 1..12),
            1 => proptest::collection::vec(any::<u8>(), 62..66),
        ];
        let structured = (
            proptest::collection::vec(label, 0..30),
            any::<u16>(),
            prop_oneof![0u8..8, Just(UNKNOWN_BAILIWICK), any::<u8>()],
            proptest::collection::vec(any::<u8>(), 0..8),
            0usize..4,
        )
            .prop_map(|(labels, t, bw, rdata, cut)| {
                let mut k = Vec::new();
                for l in &labels {
                    k.push(l.len() as u8);
                    k.extend_from_slice(l);
                }
                k.push(0);
                k.extend_from_slice(&t.to_be_bytes());
                k.push(bw);
                k.extend_from_slice(&rdata);
                k.truncate(k.len().saturating_sub(cut));
                k
            });
        prop_oneof![4 => structured, 1 => proptest::collection::vec(any::<u8>(), 0..40)]
    }

    proptest! {
        #[test]
        fn validate_accepts_exactly_what_decode_accepts(bytes in key_like()) {
            prop_assert_eq!(
                RecordKey::validate(&bytes).is_ok(),
                RecordKey::decode(&bytes).is_ok(),
                "{:?}", bytes
            );
        }
    }

    #[test]
    fn round_trip() {
        let name = Name::from_presentation("www.example.com").unwrap();
        let zone = Name::from_presentation("example.com").unwrap();
        for bw in [
            Bailiwick::Unknown,
            Bailiwick::Zone(zone.clone()),
            Bailiwick::Zone(Name::root()),
        ] {
            let key = RecordKey::new(name.clone(), RrType::A, bw, vec![192, 0, 2, 1]).unwrap();
            let bytes = key.encode();
            assert_eq!(RecordKey::decode(&bytes).unwrap(), key);
            assert!(bytes.starts_with(&zone.reversed_prefix()));
        }
        let bad = RecordKey::new(
            name,
            RrType::A,
            Bailiwick::Zone(Name::from_presentation("org").unwrap()),
            vec![],
        );
        assert!(matches!(bad, Err(Error::OutOfBailiwick)));
    }

    #[test]
    fn decode_rejects_garbage() {
        assert!(RecordKey::decode(b"").is_err());
        assert!(RecordKey::decode(b"\x03com").is_err());
        assert!(RecordKey::decode(b"\x03com\x00\x00").is_err());
        // bailiwick deeper than the name
        assert!(RecordKey::decode(b"\x03com\x00\x00\x01\x05").is_err());
    }
}
