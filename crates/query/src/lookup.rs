//! What can be asked: owner-name patterns, rdata matches, type filters and time fences.

use std::net::IpAddr;

use hearsay_record::{Name, RrType};
use ipnet::IpNet;

use crate::QueryError;

/// A name, a name's subdomains, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePattern {
    /// Exactly this name.
    Exact(Name),
    /// Names strictly below this one (`*.example.com`).
    Below(Name),
    /// This name and every name below it (`example.com` with `--subdomains`).
    AtOrBelow(Name),
    /// Names whose leftmost labels are these, followed by at least one more label: the
    /// right-hand wildcard `www.example.*` (held as the name `www.example.`). Served by
    /// the store's forward `names` keyspace, so only owner names can be matched this way.
    StartsWith(Name),
}

impl NamePattern {
    /// Parses `example.com`, `*.example.com` (left-hand wildcard) or `www.example.*`
    /// (right-hand wildcard); `subdomains` widens an exact name to the name and its
    /// subdomains.
    pub fn parse(text: &str, subdomains: bool) -> Result<Self, QueryError> {
        let bad = |e: hearsay_record::Error| QueryError::BadName(text.to_owned(), e.to_string());
        if let Some(rest) = text.strip_prefix("*.") {
            if rest.ends_with(".*") || rest == "*" {
                return Err(QueryError::BadName(
                    text.to_owned(),
                    "a name takes a left-hand or a right-hand wildcard, not both".into(),
                ));
            }
            return Ok(NamePattern::Below(
                Name::from_presentation(rest).map_err(bad)?,
            ));
        }
        if text == "*" {
            return Ok(NamePattern::Below(Name::root()));
        }
        if let Some(rest) = text.strip_suffix(".*")
            && !rest.is_empty()
            && !rest.contains('*')
            && !rest.ends_with('.')
        {
            return Ok(NamePattern::StartsWith(
                Name::from_presentation(rest).map_err(bad)?,
            ));
        }
        if text.contains('*') {
            return Err(QueryError::BadName(
                text.to_owned(),
                "only a leading '*.' or a trailing '.*' wildcard is supported".into(),
            ));
        }
        let name = Name::from_presentation(text).map_err(bad)?;
        Ok(if subdomains {
            NamePattern::AtOrBelow(name)
        } else {
            NamePattern::Exact(name)
        })
    }

    /// The name the pattern is anchored at.
    pub fn name(&self) -> &Name {
        match self {
            NamePattern::Exact(n)
            | NamePattern::Below(n)
            | NamePattern::AtOrBelow(n)
            | NamePattern::StartsWith(n) => n,
        }
    }

    /// An exact name given as wire-format hex (DNSDB's `rrset/raw/HEX`): uncompressed
    /// labels ending in the root label.
    pub fn from_wire_hex(hex: &str) -> Result<Self, QueryError> {
        let bytes = parse_hex(hex)?;
        Name::from_wire(&bytes)
            .map(NamePattern::Exact)
            .map_err(|e| QueryError::BadName(hex.to_owned(), e.to_string()))
    }

    /// Key prefix (reversed encoding) covering the pattern. A right-hand wildcard cannot
    /// be covered by one reversed prefix: its prefix is empty (see
    /// [`Self::forward_prefix`]).
    pub fn prefix(&self) -> Vec<u8> {
        match self {
            NamePattern::Exact(n) => n.reversed(),
            NamePattern::Below(n) | NamePattern::AtOrBelow(n) => n.reversed_prefix(),
            NamePattern::StartsWith(_) => Vec::new(),
        }
    }

    /// For a right-hand wildcard, the prefix of the wire form (leaf first, without the
    /// root label) that every matching name starts with.
    pub fn forward_prefix(&self) -> Option<&[u8]> {
        match self {
            NamePattern::StartsWith(n) => n.as_wire().split_last().map(|(_, labels)| labels),
            _ => None,
        }
    }

    /// Does a name in wire form (leaf first) starting with [`Self::forward_prefix`]
    /// match? It must have at least one more label.
    pub fn accepts_forward(&self, wire: &[u8]) -> bool {
        match self.forward_prefix() {
            Some(p) => wire.starts_with(p) && wire.get(p.len()).is_some_and(|&b| b != 0),
            None => false,
        }
    }

    /// Does a reversed-encoded name (with its terminator) under [`Self::prefix`] match?
    pub fn accepts_reversed(&self, reversed: &[u8]) -> bool {
        match self {
            NamePattern::Below(n) => reversed.len() != n.wire_len(),
            NamePattern::StartsWith(_) => Name::from_reversed(reversed)
                .is_ok_and(|(name, _)| self.accepts_forward(name.as_wire())),
            _ => true,
        }
    }
}

/// Which types a lookup returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TypeFilter {
    /// Every type.
    #[default]
    All,
    /// One type.
    One(RrType),
    /// DNSDB's `ANY`: every type except DNSSEC ones.
    AnyButDnssec,
    /// DNSDB's `ANY-DNSSEC`: only DNSSEC types.
    Dnssec,
}

impl TypeFilter {
    /// Parses a type mnemonic, `TYPEnnn`, `ANY` or `ANY-DNSSEC`.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        match text.to_ascii_uppercase().as_str() {
            "ANY" => Ok(TypeFilter::AnyButDnssec),
            "ANY-DNSSEC" => Ok(TypeFilter::Dnssec),
            _ => text
                .parse::<RrType>()
                .map(TypeFilter::One)
                .map_err(|_| QueryError::BadType(text.to_owned())),
        }
    }

    /// Does a record of this type pass?
    pub fn accepts(&self, t: RrType) -> bool {
        match self {
            TypeFilter::All => true,
            TypeFilter::One(x) => *x == t,
            TypeFilter::AnyButDnssec => !t.is_dnssec(),
            TypeFilter::Dnssec => t.is_dnssec(),
        }
    }
}

/// An address range: one address, a CIDR network, or `first-last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpMatch {
    /// First address.
    pub first: IpAddr,
    /// Last address (inclusive), same family.
    pub last: IpAddr,
}

impl IpMatch {
    /// Parses `192.0.2.1`, `192.0.2.0/24`, `2001:db8::/32` or `192.0.2.10-192.0.2.20`.
    /// DNSDB's `ADDR,PFXLEN` form is accepted too.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let bad = || QueryError::BadAddress(text.to_owned());
        let t = text.trim();
        if let Some((a, b)) = t.split_once('-') {
            let first: IpAddr = a.parse().map_err(|_| bad())?;
            let last: IpAddr = b.parse().map_err(|_| bad())?;
            if first.is_ipv4() != last.is_ipv4() || first > last {
                return Err(bad());
            }
            return Ok(IpMatch { first, last });
        }
        let t = t.replacen(',', "/", 1);
        if t.contains('/') {
            let net: IpNet = t.parse().map_err(|_| bad())?;
            return Ok(IpMatch {
                first: net.network(),
                last: net.broadcast(),
            });
        }
        let addr: IpAddr = t.parse().map_err(|_| bad())?;
        Ok(IpMatch {
            first: addr,
            last: addr,
        })
    }

    /// The bytes of the first and last address.
    pub(crate) fn bounds(&self) -> (Vec<u8>, Vec<u8>) {
        (ip_bytes(self.first), ip_bytes(self.last))
    }
}

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// What to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Records by owner name.
    Rrset {
        /// Owner pattern.
        owner: NamePattern,
        /// Types.
        rrtype: TypeFilter,
        /// Only records served from this zone.
        bailiwick: Option<Name>,
    },
    /// A/AAAA records whose address lies in a range.
    RdataIp(IpMatch),
    /// Records whose rdata names a target (NS, CNAME, MX, PTR, SRV, SOA, …).
    RdataName {
        /// Target pattern.
        name: NamePattern,
        /// Types.
        rrtype: TypeFilter,
    },
    /// Records whose canonical rdata is exactly these bytes.
    RdataRaw {
        /// Rdata bytes.
        rdata: Vec<u8>,
        /// Types.
        rrtype: TypeFilter,
    },
}

impl Lookup {
    /// Is this an rdata (reverse) lookup?
    pub fn is_rdata(&self) -> bool {
        !matches!(self, Lookup::Rrset { .. })
    }
}

/// Time fences on first and last seen (inclusive, epoch seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fences {
    /// Only records first seen at or after this time.
    pub first_after: Option<u64>,
    /// Only records first seen at or before this time.
    pub first_before: Option<u64>,
    /// Only records last seen at or after this time.
    pub last_after: Option<u64>,
    /// Only records last seen at or before this time.
    pub last_before: Option<u64>,
}

impl Fences {
    /// Does a record seen from `first` to `last` pass?
    pub fn accepts(&self, first: u64, last: u64) -> bool {
        self.first_after.is_none_or(|t| first >= t)
            && self.first_before.is_none_or(|t| first <= t)
            && self.last_after.is_none_or(|t| last >= t)
            && self.last_before.is_none_or(|t| last <= t)
    }
}

/// Parses a hex string (whitespace allowed) into bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, QueryError> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(QueryError::BadHex(text.to_owned()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|_| QueryError::BadHex(text.to_owned()))?;
            u8::from_str_radix(s, 16).map_err(|_| QueryError::BadHex(text.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches!(
            NamePattern::parse("*.example.com", false).unwrap(),
            NamePattern::Below(_)
        ));
        assert!(matches!(
            NamePattern::parse("example.com", true).unwrap(),
            NamePattern::AtOrBelow(_)
        ));
        assert!(
            matches!(NamePattern::parse("Example.COM.", false).unwrap(), NamePattern::Exact(n) if n.to_string() == "example.com.")
        );
        assert!(NamePattern::parse("www.*.com", false).is_err());
        assert!(NamePattern::parse("*.example.*", false).is_err());
        assert!(NamePattern::parse(".*", false).is_err());
        let rhs = NamePattern::parse("WWW.Example.*", false).unwrap();
        assert_eq!(rhs.forward_prefix(), Some(&b"\x03www\x07example"[..]));
        assert!(rhs.accepts_forward(b"\x03www\x07example\x03com\x00"));
        assert!(!rhs.accepts_forward(b"\x03www\x07example\x00"));
        assert!(!rhs.accepts_forward(b"\x03www\x08examples\x03com\x00"));
        assert!(rhs.accepts_reversed(&n("www.example.co.uk").reversed()));
        assert!(!rhs.accepts_reversed(&n("www.example").reversed()));
        assert_eq!(
            NamePattern::from_wire_hex("03777777076578616d706c6503636f6d00").unwrap(),
            NamePattern::Exact(n("www.example.com"))
        );
        assert!(NamePattern::from_wire_hex("03777777").is_err());
    }

    fn n(s: &str) -> Name {
        Name::from_presentation(s).unwrap()
    }

    #[test]
    fn ip_forms() {
        let m = IpMatch::parse("192.0.2.0/24").unwrap();
        assert_eq!(m.bounds(), (vec![192, 0, 2, 0], vec![192, 0, 2, 255]));
        let m = IpMatch::parse("192.0.2.0,25").unwrap();
        assert_eq!(m.bounds().1, vec![192, 0, 2, 127]);
        let m = IpMatch::parse("10.0.0.5-10.0.1.1").unwrap();
        assert_eq!(m.bounds(), (vec![10, 0, 0, 5], vec![10, 0, 1, 1]));
        assert!(IpMatch::parse("10.0.1.1-10.0.0.5").is_err());
        assert!(IpMatch::parse("10.0.0.1-::1").is_err());
        assert!(IpMatch::parse("300.1.1.1").is_err());
        assert!(IpMatch::parse("2001:db8::/129").is_err());
        assert_eq!(IpMatch::parse("2001:db8::1").unwrap().bounds().0.len(), 16);
    }

    #[test]
    fn types_and_fences() {
        assert!(TypeFilter::parse("any").unwrap().accepts(RrType::A));
        assert!(!TypeFilter::parse("ANY").unwrap().accepts(RrType::RRSIG));
        assert!(
            TypeFilter::parse("ANY-DNSSEC")
                .unwrap()
                .accepts(RrType::NSEC3)
        );
        assert!(TypeFilter::parse("bogus").is_err());
        let f = Fences {
            first_after: Some(10),
            last_before: Some(20),
            ..Default::default()
        };
        assert!(f.accepts(10, 20));
        assert!(!f.accepts(9, 20));
        assert!(!f.accepts(10, 21));
        assert_eq!(parse_hex("c0 00 02 01").unwrap(), vec![192, 0, 2, 1]);
        assert!(parse_hex("abc").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
