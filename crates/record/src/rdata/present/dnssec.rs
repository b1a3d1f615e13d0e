//! DNSSEC and other key material: DS, DNSKEY, RRSIG, NSEC, NSEC3, type bitmaps, and the
//! types that carry digests, keys or certificates (SSHFP, TLSA, CERT, ZONEMD, …).

use super::reader::Reader;
use super::{encode, put};
use crate::RrType;

/// Key flags meaning "no key" (RFC 2535 §3.1.2), honoured for KEY only.
const NO_KEY: u16 = 0xc000;
/// Algorithm whose key data starts with a domain name (RFC 4034 Appendix A.1.1).
const PRIVATE_DNS: u8 = 253;

/// DS, CDS, TA, DLV: `tag algorithm digest-type DIGEST`. A digest of a type BIND knows
/// (SHA-1, SHA-256, SHA-384) must have that type's length.
pub(super) fn ds(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (tag, algorithm, digest_type) = (r.u16()?, r.u8()?, r.u8()?);
    let digest = r.rest_nonempty()?;
    let expected = match digest_type {
        1 => Some(20),
        2 => Some(32),
        4 => Some(48),
        _ => None,
    };
    if expected.is_some_and(|len| len != digest.len()) {
        return None;
    }
    put!(out, "{tag} {algorithm} {digest_type} ");
    encode::hex_chunked(out, digest);
    Some(())
}

/// SSHFP (RFC 4255): `algorithm type FINGERPRINT`; SHA-1 and SHA-256 fingerprints must
/// have their length, and an empty fingerprint prints nothing.
pub(super) fn sshfp(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (algorithm, fp_type) = (r.u8()?, r.u8()?);
    let fingerprint = r.rest();
    let expected = match fp_type {
        1 => Some(20),
        2 => Some(32),
        _ => None,
    };
    if expected.is_some_and(|len| len != fingerprint.len()) {
        return None;
    }
    put!(out, "{algorithm} {fp_type}");
    if !fingerprint.is_empty() {
        out.push(' ');
        encode::hex_chunked(out, fingerprint);
    }
    Some(())
}

/// TLSA, SMIMEA (RFC 6698, RFC 8162): `usage selector matching-type DATA`.
pub(super) fn tlsa(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {} {} ", r.u8()?, r.u8()?, r.u8()?);
    encode::hex_chunked(out, r.rest_nonempty()?);
    Some(())
}

/// KEY (RFC 2535): like DNSKEY, but flags with the "no key" bits set carry no key data.
pub(super) fn key(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let flags = r.u16()?;
    let (protocol, algorithm) = (r.u8()?, r.u8()?);
    put!(out, "{flags} {protocol} {algorithm}");
    if flags & NO_KEY == NO_KEY {
        return Some(());
    }
    key_data(r, out, algorithm)
}

/// DNSKEY, CDNSKEY (RFC 4034, RFC 7344): `flags protocol algorithm KEY`.
pub(super) fn dnskey(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let flags = r.u16()?;
    let (protocol, algorithm) = (r.u8()?, r.u8()?);
    put!(out, "{flags} {protocol} {algorithm}");
    key_data(r, out, algorithm)
}

/// RKEY: a DNSKEY whose flags must be zero.
pub(super) fn rkey(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    if r.peek_rest().get(..2)? != [0, 0] {
        return None;
    }
    dnskey(r, out)
}

/// The key of a KEY-like record: at least one byte, starting with a name for the
/// PRIVATEDNS algorithm.
fn key_data(r: &mut Reader<'_>, out: &mut String, algorithm: u8) -> Option<()> {
    let key = r.rest_nonempty()?;
    if algorithm == PRIVATE_DNS {
        Reader::new(key).name()?;
    }
    out.push(' ');
    encode::base64_chunked(out, key);
    Some(())
}

/// RRSIG (RFC 4034): `covered algorithm labels ttl expiration inception tag signer SIG`.
pub(super) fn rrsig(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let covered = r.u16()?;
    put!(out, "{}", RrType(covered));
    signature(r, out)
}

/// SIG (RFC 2535): as RRSIG, but BIND prints a type covered without a mnemonic as a
/// bare number.
pub(super) fn sig(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let covered = RrType(r.u16()?);
    match covered.mnemonic() {
        Some(mnemonic) => out.push_str(mnemonic),
        None => put!(out, "{}", covered.code()),
    }
    signature(r, out)
}

/// The part of RRSIG and SIG after the type covered.
fn signature(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (algorithm, labels, ttl) = (r.u8()?, r.u8()?, r.u32()?);
    let (expiration, inception, tag) = (r.u32()?, r.u32()?, r.u16()?);
    put!(out, " {algorithm} {labels} {ttl} ");
    encode::timestamp(out, expiration);
    out.push(' ');
    encode::timestamp(out, inception);
    put!(out, " {tag} {} ", r.name()?);
    encode::base64_chunked(out, r.rest_nonempty()?);
    Some(())
}

/// NSEC (RFC 4034): `next TYPES…`, with at least one type.
pub(super) fn nsec(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{}", r.name()?);
    let types = bitmap_types(r.rest(), false)?;
    write_types(out, &types);
    Some(())
}

/// NSEC3 (RFC 5155): `algorithm flags iterations SALT NEXT TYPES…`; the salt in hex or
/// `-`, the next hashed owner in base32hex. A SHA-1 hash must be 20 bytes, any other
/// 1 to 39.
pub(super) fn nsec3(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let algorithm = r.u8()?;
    nsec3_parameters(r, out, algorithm)?;
    let hash = r.char_string()?;
    let hash_ok = match algorithm {
        1 => hash.len() == 20,
        _ => (1..=39).contains(&hash.len()),
    };
    if !hash_ok {
        return None;
    }
    out.push(' ');
    encode::base32hex(out, hash);
    let types = bitmap_types(r.rest(), true)?;
    write_types(out, &types);
    Some(())
}

/// NSEC3PARAM (RFC 5155): `algorithm flags iterations SALT`.
pub(super) fn nsec3param(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let algorithm = r.u8()?;
    nsec3_parameters(r, out, algorithm)
}

/// The fields NSEC3 and NSEC3PARAM share, after the algorithm.
fn nsec3_parameters(r: &mut Reader<'_>, out: &mut String, algorithm: u8) -> Option<()> {
    let (flags, iterations) = (r.u8()?, r.u16()?);
    let salt = r.char_string()?;
    put!(out, "{algorithm} {flags} {iterations} ");
    if salt.is_empty() {
        out.push('-');
    } else {
        encode::hex(out, salt);
    }
    Some(())
}

/// CSYNC (RFC 7477): `serial flags TYPES…`, possibly without types.
pub(super) fn csync(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{} {}", r.u32()?, r.u16()?);
    let types = bitmap_types(r.rest(), true)?;
    write_types(out, &types);
    Some(())
}

/// NXT (RFC 2535): `next TYPES…` from the old flat bitmap of types 1 to 127; BIND
/// prints a type without a mnemonic as a bare number.
pub(super) fn nxt(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    put!(out, "{}", r.name()?);
    let bitmap = r.rest();
    if let (Some(first), Some(last)) = (bitmap.first(), bitmap.last())
        && (first & 0x80 != 0 || bitmap.len() > 16 || *last == 0)
    {
        return None;
    }
    for code in set_bits(bitmap, 0) {
        let rrtype = RrType(code);
        match rrtype.mnemonic() {
            Some(mnemonic) => put!(out, " {mnemonic}"),
            None => put!(out, " {code}"),
        }
    }
    Some(())
}

/// The types in an RFC 4034 §4.1.2 type bitmap, checked as BIND's wire parser does:
/// windows in increasing order, each 1 to 32 bytes long with a non-zero last byte.
fn bitmap_types(bitmap: &[u8], allow_empty: bool) -> Option<Vec<u16>> {
    let mut r = Reader::new(bitmap);
    let mut types = Vec::new();
    let mut last_window: Option<u8> = None;
    while !r.is_empty() {
        let (window, len) = (r.u8()?, r.u8()?);
        if last_window.is_some_and(|last| window <= last) || !(1..=32).contains(&len) {
            return None;
        }
        let block = r.take(usize::from(len))?;
        if block.last() == Some(&0) {
            return None;
        }
        types.extend(set_bits(block, u16::from(window) << 8));
        last_window = Some(window);
    }
    (allow_empty || last_window.is_some()).then_some(types)
}

/// The numbers `base + i` for every bit `i` set in `bits`, most significant bit first
/// (type bitmaps, WKS port maps); numbers beyond 65535 are dropped.
pub(super) fn set_bits(bits: &[u8], base: u16) -> impl Iterator<Item = u16> + '_ {
    bits.iter().enumerate().flat_map(move |(index, &byte)| {
        (0..8usize)
            .filter(move |bit| byte & (0x80 >> bit) != 0)
            .filter_map(move |bit| u16::try_from(usize::from(base) + index * 8 + bit).ok())
    })
}

fn write_types(out: &mut String, types: &[u16]) {
    for &code in types {
        put!(out, " {}", RrType(code));
    }
}

/// CERT (RFC 4398): `type tag algorithm CERTIFICATE`, type and algorithm as mnemonics
/// where BIND has one.
pub(super) fn cert(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (cert_type, tag, algorithm) = (r.u16()?, r.u16()?, r.u8()?);
    match cert_type_mnemonic(cert_type) {
        Some(mnemonic) => out.push_str(mnemonic),
        None => put!(out, "{cert_type}"),
    }
    put!(out, " {tag} ");
    match algorithm_mnemonic(algorithm) {
        Some(mnemonic) => out.push_str(mnemonic),
        None => put!(out, "{algorithm}"),
    }
    out.push(' ');
    encode::base64_chunked(out, r.rest_nonempty()?);
    Some(())
}

fn cert_type_mnemonic(cert_type: u16) -> Option<&'static str> {
    Some(match cert_type {
        1 => "PKIX",
        2 => "SPKI",
        3 => "PGP",
        4 => "IPKIX",
        5 => "ISPKI",
        6 => "IPGP",
        7 => "ACPKIX",
        8 => "IACPKIX",
        253 => "URI",
        254 => "OID",
        _ => return None,
    })
}

/// DNSSEC algorithm mnemonics as BIND prints them in CERT records.
fn algorithm_mnemonic(algorithm: u8) -> Option<&'static str> {
    Some(match algorithm {
        1 => "RSAMD5",
        2 => "DH",
        3 => "DSA",
        5 => "RSASHA1",
        6 => "NSEC3DSA",
        7 => "NSEC3RSASHA1",
        8 => "RSASHA256",
        10 => "RSASHA512",
        12 => "ECCGOST",
        13 => "ECDSAP256SHA256",
        14 => "ECDSAP384SHA384",
        15 => "ED25519",
        16 => "ED448",
        252 => "INDIRECT",
        253 => "PRIVATEDNS",
        254 => "PRIVATEOID",
        _ => return None,
    })
}

/// DHCID (RFC 4701): base64.
pub(super) fn dhcid(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    encode::base64_chunked(out, r.rest_nonempty()?);
    Some(())
}

/// OPENPGPKEY (RFC 7929): base64.
pub(super) fn openpgpkey(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    encode::base64_chunked(out, r.rest_nonempty()?);
    Some(())
}

/// ZONEMD (RFC 8976): `serial scheme algorithm DIGEST`; a digest of at least 12 bytes,
/// exactly 48 for SHA-384 and 64 for SHA-512.
pub(super) fn zonemd(r: &mut Reader<'_>, out: &mut String) -> Option<()> {
    let (serial, scheme, algorithm) = (r.u32()?, r.u8()?, r.u8()?);
    let digest = r.rest();
    let length_ok = match algorithm {
        1 => digest.len() == 48,
        2 => digest.len() == 64,
        _ => digest.len() >= 12,
    };
    if !length_ok {
        return None;
    }
    put!(out, "{serial} {scheme} {algorithm} ");
    encode::hex_chunked(out, digest);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps() {
        // A, MX (window 0), CAA (257, window 1).
        let bitmap = [0, 2, 0x40, 0x01, 1, 1, 0x40];
        assert_eq!(bitmap_types(&bitmap, false), Some(vec![1, 15, 257]));
        assert_eq!(bitmap_types(&[], false), None);
        assert_eq!(bitmap_types(&[], true), Some(vec![]));
        assert_eq!(
            bitmap_types(&[1, 1, 0x40, 0, 1, 0x40], true),
            None,
            "windows out of order"
        );
        assert_eq!(
            bitmap_types(&[0, 2, 0x40, 0], true),
            None,
            "trailing zero byte"
        );
        assert_eq!(bitmap_types(&[0, 0], true), None, "empty window");
        assert_eq!(bitmap_types(&[0, 2, 0x40], true), None, "truncated");
    }
}
