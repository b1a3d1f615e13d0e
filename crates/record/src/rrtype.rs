//! Resource record types.
//!
//! Mnemonics come from hickory-proto's [`RecordType`] table, completed with the IANA
//! registry entries hickory does not name (LOC, SPF, ZONEMD, …) so that `dig`-style
//! output names them; any other number prints as `TYPEnnn` (RFC 3597 §5).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use hickory_proto::rr::RecordType;

use crate::Error;

/// A resource record type number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RrType(pub u16);

/// IANA-registered types hickory-proto has no variant for.
const EXTRA: &[(u16, &str)] = &[
    (3, "MD"),
    (4, "MF"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (11, "WKS"),
    (14, "MINFO"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (22, "NSAP"),
    (23, "NSAP-PTR"),
    (26, "PX"),
    (27, "GPOS"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (34, "ATMA"),
    (36, "KX"),
    (38, "A6"),
    (40, "SINK"),
    (42, "APL"),
    (45, "IPSECKEY"),
    (49, "DHCID"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (63, "ZONEMD"),
    (66, "DSYNC"),
    (67, "HHIT"),
    (68, "BRID"),
    (99, "SPF"),
    (100, "UINFO"),
    (101, "UID"),
    (102, "GID"),
    (103, "UNSPEC"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (249, "TKEY"),
    (251, "IXFR"),
    (253, "MAILB"),
    (254, "MAILA"),
    (256, "URI"),
    (258, "AVC"),
    (259, "DOA"),
    (260, "AMTRELAY"),
    (261, "RESINFO"),
    (262, "WALLET"),
    (32768, "TA"),
    (32769, "DLV"),
];

impl RrType {
    pub const A: RrType = RrType(1);
    pub const NS: RrType = RrType(2);
    pub const CNAME: RrType = RrType(5);
    pub const SOA: RrType = RrType(6);
    pub const NULL: RrType = RrType(10);
    pub const PTR: RrType = RrType(12);
    pub const HINFO: RrType = RrType(13);
    pub const MX: RrType = RrType(15);
    pub const TXT: RrType = RrType(16);
    pub const AAAA: RrType = RrType(28);
    pub const SRV: RrType = RrType(33);
    pub const NAPTR: RrType = RrType(35);
    pub const DNAME: RrType = RrType(39);
    pub const OPT: RrType = RrType(41);
    pub const DS: RrType = RrType(43);
    pub const RRSIG: RrType = RrType(46);
    pub const NSEC: RrType = RrType(47);
    pub const DNSKEY: RrType = RrType(48);
    pub const NSEC3: RrType = RrType(50);
    pub const NSEC3PARAM: RrType = RrType(51);
    pub const CDS: RrType = RrType(59);
    pub const CDNSKEY: RrType = RrType(60);
    pub const SVCB: RrType = RrType(64);
    pub const HTTPS: RrType = RrType(65);
    pub const SPF: RrType = RrType(99);
    pub const TSIG: RrType = RrType(250);
    pub const ANY: RrType = RrType(255);
    pub const CAA: RrType = RrType(257);

    /// The type's number.
    pub fn code(self) -> u16 {
        self.0
    }

    /// The mnemonic, if the type has one.
    pub fn mnemonic(self) -> Option<&'static str> {
        if let Ok(i) = EXTRA.binary_search_by_key(&self.0, |&(code, _)| code) {
            return Some(EXTRA[i].1);
        }
        match RecordType::from(self.0) {
            // ANAME is a hickory-private code point, not an IANA type.
            RecordType::Unknown(_) | RecordType::ZERO | RecordType::ANAME => None,
            known => Some(<&'static str>::from(known)),
        }
    }

    /// DNSSEC record types (what DNSDB's `ANY` leaves out and `ANY-DNSSEC` selects).
    pub fn is_dnssec(self) -> bool {
        matches!(
            self.0,
            24 | 25 | 30 | 43 | 46 | 47 | 48 | 50 | 51 | 59 | 60 | 32769
        )
    }

    /// Meta and pseudo types (OPT, TSIG, TKEY, IXFR, AXFR, ANY, …) that never describe
    /// data and are never stored.
    pub fn is_meta(self) -> bool {
        self.0 == 0 || self.0 == 41 || (128..=255).contains(&self.0)
    }
}

impl fmt::Display for RrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

impl fmt::Debug for RrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RrType({self})")
    }
}

impl FromStr for RrType {
    type Err = Error;

    /// Accepts a mnemonic in any case (`a`, `AAAA`, `ZONEMD`) or `TYPEnnn`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let upper = s.to_ascii_uppercase();
        if let Some(num) = upper.strip_prefix("TYPE")
            && let Ok(n) = num.parse::<u16>()
        {
            return Ok(RrType(n));
        }
        by_mnemonic()
            .get(upper.as_str())
            .map(|&code| RrType(code))
            .ok_or_else(|| Error::UnknownType(s.to_owned()))
    }
}

/// Mnemonic → code for every type that has one, built once.
fn by_mnemonic() -> &'static HashMap<&'static str, u16> {
    static TABLE: OnceLock<HashMap<&'static str, u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for code in 0..=u16::MAX {
            if let Some(m) = RrType(code).mnemonic() {
                table.entry(m).or_insert(code);
            }
        }
        table
    })
}

impl serde::Serialize for RrType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_table_is_sorted() {
        assert!(EXTRA.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn mnemonics_round_trip() {
        for code in 0..=u16::MAX {
            let t = RrType(code);
            let text = t.to_string();
            assert_eq!(text.parse::<RrType>().unwrap(), t, "{text}");
        }
        assert_eq!(RrType(1).to_string(), "A");
        assert_eq!(RrType(63).to_string(), "ZONEMD");
        assert_eq!(RrType(65).to_string(), "HTTPS");
        assert_eq!(RrType(65280).to_string(), "TYPE65280");
        assert_eq!("aaaa".parse::<RrType>().unwrap(), RrType::AAAA);
        assert_eq!("type99".parse::<RrType>().unwrap(), RrType::SPF);
        assert!("BOGUS".parse::<RrType>().is_err());
    }
}
