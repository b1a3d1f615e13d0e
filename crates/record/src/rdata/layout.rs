//! Where the domain names sit inside the rdata of each type.
//!
//! Names inside rdata may be compressed on the wire for the classic types (RFC 3597 §4
//! lists which a receiver must decompress), and they are lowercased in canonical form
//! (RFC 4034 §6.2). Both the parser (to decompress and canonicalise) and the store (to
//! index the target names for reverse lookups) need to know the layout.

use crate::{Error, Name, RrType};

/// One field of an rdata layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A fixed number of opaque bytes.
    Bytes(usize),
    /// A domain name (possibly compressed on the wire).
    Name,
    /// A `<character-string>`: one length byte and that many bytes.
    CharString,
    /// Everything up to the end of the rdata (possibly nothing).
    Rest,
}

use Field::{Bytes, CharString, Name as N, Rest};

/// Types whose rdata contains domain names, with their layout.
const LAYOUTS: &[(u16, &[Field])] = &[
    (2, &[N]),                                                // NS
    (3, &[N]),                                                // MD
    (4, &[N]),                                                // MF
    (5, &[N]),                                                // CNAME
    (6, &[N, N, Bytes(20)]),                                  // SOA
    (7, &[N]),                                                // MB
    (8, &[N]),                                                // MG
    (9, &[N]),                                                // MR
    (12, &[N]),                                               // PTR
    (14, &[N, N]),                                            // MINFO
    (15, &[Bytes(2), N]),                                     // MX
    (17, &[N, N]),                                            // RP
    (18, &[Bytes(2), N]),                                     // AFSDB
    (21, &[Bytes(2), N]),                                     // RT
    (24, &[Bytes(18), N, Rest]),                              // SIG
    (26, &[Bytes(2), N, N]),                                  // PX
    (30, &[N, Rest]),                                         // NXT
    (33, &[Bytes(6), N]),                                     // SRV
    (35, &[Bytes(4), CharString, CharString, CharString, N]), // NAPTR
    (36, &[Bytes(2), N]),                                     // KX
    (39, &[N]),                                               // DNAME
    (46, &[Bytes(18), N, Rest]),                              // RRSIG
    (47, &[N, Rest]),                                         // NSEC
    (58, &[N, N]),                                            // TALINK
    (64, &[Bytes(2), N, Rest]),                               // SVCB
    (65, &[Bytes(2), N, Rest]),                               // HTTPS
];

/// The layout of types whose rdata contains domain names; `None` for types whose rdata
/// is opaque to name handling.
pub fn layout(rrtype: RrType) -> Option<&'static [Field]> {
    LAYOUTS
        .binary_search_by_key(&rrtype.0, |(code, _)| *code)
        .ok()
        .map(|i| LAYOUTS[i].1)
}

/// Every type with names in its rdata.
pub fn types_with_names() -> impl Iterator<Item = RrType> {
    LAYOUTS.iter().map(|(code, _)| RrType(*code))
}

/// Whether the names of this type's rdata are targets worth a reverse index (the name
/// server of an NS, the canonical name of a CNAME, the exchange of an MX, …). Signer
/// names and NSEC chains are not: they would only repeat the zone.
pub fn indexes_names(rrtype: RrType) -> bool {
    layout(rrtype).is_some() && !matches!(rrtype.0, 24 | 30 | 46 | 47)
}

/// The domain names inside canonical (uncompressed) rdata, in order. Errors if the rdata
/// does not follow the type's layout.
pub fn names_in(rrtype: RrType, rdata: &[u8]) -> Result<Vec<Name>, Error> {
    let Some(fields) = layout(rrtype) else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    let mut pos = 0usize;
    for field in fields {
        match field {
            Bytes(n) => pos += n,
            CharString => pos += 1 + *rdata.get(pos).ok_or(Error::RdataTruncated)? as usize,
            Rest => pos = rdata.len(),
            N => {
                let len = wire_name_len(rdata.get(pos..).ok_or(Error::RdataTruncated)?)?;
                names.push(Name::from_wire(&rdata[pos..pos + len])?);
                pos += len;
            }
        }
        if pos > rdata.len() {
            return Err(Error::RdataTruncated);
        }
    }
    if pos != rdata.len() {
        return Err(Error::TrailingBytes);
    }
    Ok(names)
}

/// Length of the uncompressed wire name at the front of `bytes`.
pub fn wire_name_len(bytes: &[u8]) -> Result<usize, Error> {
    let mut pos = 0usize;
    loop {
        let len = *bytes.get(pos).ok_or(Error::NameTruncated)? as usize;
        if len > crate::name::MAX_LABEL_LEN {
            return Err(Error::LabelTooLong(len));
        }
        pos += 1 + len;
        if len == 0 {
            return Ok(pos);
        }
        if pos > crate::name::MAX_NAME_LEN {
            return Err(Error::NameTooLong);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mx_target() {
        let mut rdata = vec![0, 10];
        rdata.extend_from_slice(b"\x04mail\x07example\x03com\x00");
        let names = names_in(RrType::MX, &rdata).unwrap();
        assert_eq!(
            names,
            vec![Name::from_presentation("mail.example.com").unwrap()]
        );
        assert!(names_in(RrType::MX, &rdata[..5]).is_err());
        rdata.push(1);
        assert!(names_in(RrType::MX, &rdata).is_err());
    }

    #[test]
    fn table_is_sorted() {
        assert!(LAYOUTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn opaque_types_have_no_names() {
        assert!(names_in(RrType::A, &[1, 2, 3, 4]).unwrap().is_empty());
        assert!(!indexes_names(RrType::RRSIG));
        assert!(indexes_names(RrType::SRV));
    }
}
