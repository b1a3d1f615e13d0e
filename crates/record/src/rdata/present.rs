//! Presentation form of rdata, as `dig` prints it.
//!
//! [`present`] renders canonical wire-form rdata (names uncompressed and lowercased) in
//! the text form that BIND 9's `dig` prints in the rdata column of its default,
//! single-line output: names fully qualified with the trailing dot and `dig`'s label
//! escapes, character strings in double quotes, numbers in decimal, type mnemonics
//! where the type has one.
//!
//! The reference is BIND itself (`named-rrchecker -p`, which formats with the very
//! routine and settings `dig` uses); `tests/data/present_vectors.txt` holds vectors made
//! with it and `tests/present.rs` checks every one. Points worth knowing:
//!
//! - **Long binary fields are split.** In single-line mode BIND still breaks base64 and
//!   hex fields (keys, signatures, digests, certificates, RFC 3597 data) into chunks of
//!   56 characters separated by one space (a 2048-bit RSA key prints as six base64
//!   words). We do the same, so our text and `dig`'s compare equal. Short fields that BIND never splits
//!   stay whole: NSEC3 salt and next hashed owner, the SVCB `ech` value, HIP and DOA data.
//! - **Unparseable rdata falls back to RFC 3597** (`\# <len> <HEX>`, see [`rfc3597`]):
//!   wrong length, truncation, trailing bytes, a bad name, or a value BIND's wire parser
//!   rejects (an NSEC bitmap out of order, an SVCB parameter of the wrong size, a DS
//!   digest of the wrong length for its digest type, …). We follow BIND's wire checks,
//!   because `dig` would never show such a record in text form. Types without a text
//!   form here (NULL, meta types, A6, EID, NIMLOC, ATMA, …) use the generic form too;
//!   `dig` prints NULL that way itself.
//! - **Timestamps** (RRSIG, SIG) are read as unsigned seconds since 1970, i.e. 1970 to
//!   2106. BIND picks the epoch closest to the current time instead; until 2038 that
//!   gives the same text for every value up to 68 years ahead, and we stay deterministic.
//! - **SVCB keys 7 and 8** print as `dohpath="…"` and `ohttp` (RFC 9461, RFC 9540),
//!   where BIND 9.18 prints `key7="…"` and `key8`. A `dohpath` must start with `/` and be
//!   UTF-8 (BIND also checks the URI template); an `ohttp` must be empty.
//! - **NAPTR** regular expressions are not validated (BIND rejects some malformed ones).
//! - Type mnemonics (RRSIG type covered, type bitmaps) come from [`RrType`]'s `Display`.

mod basic;
mod dnssec;
mod encode;
mod extra;
mod loc;
mod reader;
mod svcb;

use crate::RrType;
use reader::Reader;

/// `write!` into a `String`, which cannot fail.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($out, $($arg)*);
    }};
}
pub(crate) use put;

/// Renders canonical rdata of the given type as `dig` prints it; falls back to
/// [`rfc3597`] when the rdata does not parse as its type or the type has no text form
/// here. Never panics, whatever the bytes.
pub fn present(rrtype: RrType, rdata: &[u8]) -> String {
    typed(rrtype, rdata).unwrap_or_else(|| rfc3597(rdata))
}

/// The RFC 3597 §5 generic form as `dig` prints it: `\# <length> <HEX>`, the hex in
/// upper case and split into chunks of 56 digits; `\# 0` for empty rdata.
pub fn rfc3597(rdata: &[u8]) -> String {
    let mut out = format!("\\# {}", rdata.len());
    if !rdata.is_empty() {
        out.push(' ');
        encode::hex_chunked(&mut out, rdata);
    }
    out
}

/// A renderer reads the whole rdata of one type from the reader and writes its text;
/// `None` means the rdata is malformed for the type.
type Render = fn(&mut Reader<'_>, &mut String) -> Option<()>;

fn typed(rrtype: RrType, rdata: &[u8]) -> Option<String> {
    let render = renderer(rrtype)?;
    let mut reader = Reader::new(rdata);
    let mut out = String::new();
    render(&mut reader, &mut out)?;
    reader.is_empty().then_some(out)
}

/// The renderer of each type with a text form.
fn renderer(rrtype: RrType) -> Option<Render> {
    Some(match rrtype.0 {
        1 => basic::a,
        // NS MD MF CNAME MB MG MR PTR DNAME
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 => basic::name,
        6 => basic::soa,
        11 => extra::wks,
        13 => basic::hinfo,
        // MINFO RP TALINK
        14 | 17 | 58 => basic::two_names,
        // MX AFSDB RT KX LP
        15 | 18 | 21 | 36 | 107 => basic::preference_name,
        // TXT NINFO SPF AVC RESINFO WALLET
        16 | 56 | 99 | 258 | 261 | 262 => basic::txt,
        19 => extra::x25,
        20 => extra::isdn,
        22 => extra::nsap,
        24 => dnssec::sig,
        25 => dnssec::key,
        26 => basic::px,
        27 => extra::gpos,
        28 => basic::aaaa,
        29 => loc::loc,
        30 => dnssec::nxt,
        33 => basic::srv,
        35 => basic::naptr,
        37 => dnssec::cert,
        40 => extra::sink,
        42 => extra::apl,
        // DS CDS TA DLV
        43 | 59 | 32768 | 32769 => dnssec::ds,
        44 => dnssec::sshfp,
        45 => extra::ipseckey,
        46 => dnssec::rrsig,
        47 => dnssec::nsec,
        // DNSKEY CDNSKEY
        48 | 60 => dnssec::dnskey,
        49 => dnssec::dhcid,
        50 => dnssec::nsec3,
        51 => dnssec::nsec3param,
        // TLSA SMIMEA
        52 | 53 => dnssec::tlsa,
        55 => extra::hip,
        57 => dnssec::rkey,
        61 => dnssec::openpgpkey,
        62 => dnssec::csync,
        63 => dnssec::zonemd,
        // SVCB HTTPS
        64 | 65 => svcb::svcb,
        // NID L64
        104 | 106 => basic::locator64,
        105 => basic::l32,
        108 => basic::eui48,
        109 => basic::eui64,
        256 => basic::uri,
        257 => basic::caa,
        259 => extra::doa,
        260 => extra::amtrelay,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_form() {
        assert_eq!(rfc3597(&[]), "\\# 0");
        assert_eq!(rfc3597(&[0xab, 0x01]), "\\# 2 AB01");
        let long = rfc3597(&[0xff; 30]);
        assert_eq!(long, format!("\\# 30 {} FFFF", "F".repeat(56)));
        assert_eq!(present(RrType::NULL, &[1, 2]), "\\# 2 0102");
        assert_eq!(present(RrType(65280), &[]), "\\# 0");
    }

    #[test]
    fn malformed_falls_back() {
        assert_eq!(present(RrType::A, &[192, 0, 2]), "\\# 3 C00002");
        assert_eq!(present(RrType::A, &[192, 0, 2, 1, 0]), "\\# 5 C000020100");
        assert_eq!(present(RrType::NS, b"\x03com"), "\\# 4 03636F6D");
        assert_eq!(present(RrType::MX, b"\x00\x0a\x00\x00"), "\\# 4 000A0000");
    }

    #[test]
    fn common_types() {
        assert_eq!(present(RrType::A, &[192, 0, 2, 1]), "192.0.2.1");
        assert_eq!(
            present(RrType::MX, b"\x00\x0a\x04mail\x07example\x00"),
            "10 mail.example."
        );
        assert_eq!(present(RrType::TXT, b"\x03a\"b\x00"), "\"a\\\"b\" \"\"");
        assert_eq!(present(RrType::CNAME, b"\x00"), ".");
    }
}
