//! The federation's certificates: a team (or federation) CA, node certificates naming
//! an origin, fingerprints that partners pin, and deliberately bad certificates for tests.
//!
//! A node certificate carries its origin name as Subject CN and as the SAN URI
//! `urn:hearsay:origin:<name>`; only the URI counts as identity. It has EKU serverAuth
//! and clientAuth (nodes both dial and accept), key usage digitalSignature, and an
//! ECDSA P-256 key unless asked for Ed25519. A CA is self-signed, `CA:true`, path
//! length 0 (it signs node certificates only), key usage keyCertSign and cRLSign.
//!
//! ```
//! use hearsay_transport::certs;
//!
//! let ca = certs::create_ca("CERT-A federation CA", 3650)?;
//! let node = certs::issue_node(&ca.cert_pem, &ca.key_pem, "cert-a", 825)?;
//! let fp = certs::fingerprint(node.cert_pem.as_bytes())?;
//! assert!(fp.starts_with("sha256:") && fp.len() == 7 + 64);
//! assert_eq!(certs::origin_of_pem(&node.cert_pem)?, "cert-a");
//! # Ok::<(), hearsay_transport::CertError>(())
//! ```

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use ring::digest;
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use crate::error::CertError;
use crate::identity::{self, is_valid_origin_name, origin_uri};
use crate::pem::{certs_from_pem, key_from_pem};

/// Default validity of a node certificate, in days (the CA/Browser Forum's old maximum).
pub const DEFAULT_NODE_DAYS: i64 = 825;
/// Default validity of a CA certificate, in days.
pub const DEFAULT_CA_DAYS: i64 = 3650;

/// A certificate and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    /// The certificate (only this one certificate, not a chain).
    pub cert_pem: String,
    /// Its private key (PKCS#8). Secret: never commit it, write it with mode 0600.
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"[secret]")
            .finish()
    }
}

/// The key algorithm of a new certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlg {
    /// ECDSA on P-256 with SHA-256.
    #[default]
    EcdsaP256,
    /// Ed25519.
    Ed25519,
}

/// The extended key usages of a node certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Eku {
    /// serverAuth and clientAuth: what a node needs.
    #[default]
    Both,
    /// serverAuth only (refused when the node acts as a client).
    ServerOnly,
    /// clientAuth only (refused when the node acts as a server).
    ClientOnly,
}

/// How to make a node certificate. [`NodeOptions::new`] gives a good one; the other
/// fields exist to make bad certificates in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOptions {
    /// The origin the node speaks for (SAN URI and CN).
    pub origin: String,
    /// Days of validity from now.
    pub days: i64,
    /// Make a certificate whose validity ended yesterday (tests).
    pub expired: bool,
    /// Extended key usages.
    pub eku: Eku,
    /// Key algorithm.
    pub key: KeyAlg,
}

impl NodeOptions {
    /// A node certificate for `origin`, valid [`DEFAULT_NODE_DAYS`], both EKUs, P-256.
    pub fn new(origin: impl Into<String>) -> Self {
        NodeOptions {
            origin: origin.into(),
            days: DEFAULT_NODE_DAYS,
            expired: false,
            eku: Eku::Both,
            key: KeyAlg::EcdsaP256,
        }
    }
}

fn check_days(days: i64) -> Result<(), CertError> {
    if (1..=36_500).contains(&days) {
        Ok(())
    } else {
        Err(CertError::BadDays(days))
    }
}

fn new_key(alg: KeyAlg) -> Result<KeyPair, CertError> {
    Ok(match alg {
        KeyAlg::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?,
        KeyAlg::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519)?,
    })
}

/// Creates a self-signed CA valid for `days`: `CA:true`, path length 0, keyCertSign.
pub fn create_ca(name: &str, days: i64) -> Result<Issued, CertError> {
    if name.trim().is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(CertError::BadCaName(name.into()));
    }
    check_days(days)?;
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    // An hour of slack for partners whose clocks run a little behind.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
    let key = new_key(KeyAlg::EcdsaP256)?;
    let cert = params.self_signed(&key)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn node_params(opts: &NodeOptions) -> Result<CertificateParams, CertError> {
    if !is_valid_origin_name(&opts.origin) {
        return Err(CertError::BadOrigin(opts.origin.clone()));
    }
    check_days(opts.days)?;
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, opts.origin.as_str());
    params.subject_alt_names = vec![SanType::URI(origin_uri(&opts.origin).try_into()?)];
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = match opts.eku {
        Eku::Both => vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
        Eku::ServerOnly => vec![ExtendedKeyUsagePurpose::ServerAuth],
        Eku::ClientOnly => vec![ExtendedKeyUsagePurpose::ClientAuth],
    };
    params.use_authority_key_identifier_extension = true;
    if opts.expired {
        params.not_before = now - Duration::days(opts.days + 1);
        params.not_after = now - Duration::days(1);
    } else {
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(opts.days);
    }
    Ok(params)
}

/// Issues a node certificate for `origin` signed by the CA, valid for `days`.
pub fn issue_node(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    origin: &str,
    days: i64,
) -> Result<Issued, CertError> {
    let opts = NodeOptions {
        days,
        ..NodeOptions::new(origin)
    };
    issue_node_with(ca_cert_pem, ca_key_pem, &opts)
}

/// Issues a node certificate as `opts` says, signed by the CA. The certificate never
/// outlives its CA: its end is clamped to the CA's.
pub fn issue_node_with(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    opts: &NodeOptions,
) -> Result<Issued, CertError> {
    let ca_der = certs_from_pem(ca_cert_pem.as_bytes(), "CA certificate")?
        .into_iter()
        .next()
        .ok_or_else(|| CertError::NoCertificate {
            what: "CA certificate".into(),
        })?;
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der)
        .map_err(|e| CertError::parse("CA certificate", e))?;
    if !ca.is_ca() {
        return Err(CertError::parse(
            "CA certificate",
            "not a CA certificate (basicConstraints CA:true missing)",
        ));
    }
    // Parse the key with the same PEM reader as everything else for a clear error,
    // then hand it to rcgen.
    key_from_pem(ca_key_pem.as_bytes(), "CA key")?;
    let ca_key = KeyPair::from_pem(ca_key_pem).map_err(|e| CertError::parse("CA key", e))?;
    if ca_key.public_key_raw() != ca.public_key().subject_public_key.data.as_ref() {
        return Err(CertError::parse(
            "CA key",
            "does not belong to the CA certificate",
        ));
    }
    let mut params = node_params(opts)?;
    let ca_end = OffsetDateTime::from_unix_timestamp(ca.validity().not_after.timestamp())
        .map_err(|e| CertError::parse("CA certificate", e))?;
    if params.not_after > ca_end {
        if params.not_after - ca_end > Duration::days(1) {
            tracing::warn!(origin = %opts.origin, ca_not_after = %ca_end, "node certificate clamped to its CA's validity");
        }
        params.not_after = ca_end;
    }
    let issuer = Issuer::from_ca_cert_der(&ca_der, ca_key)?;
    let key = new_key(opts.key)?;
    let cert = params.signed_by(&key, &issuer)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A self-signed node certificate (no CA), for partners that pin by fingerprint.
pub fn self_signed_node(opts: &NodeOptions) -> Result<Issued, CertError> {
    let params = node_params(opts)?;
    let key = new_key(opts.key)?;
    let cert = params.self_signed(&key)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Test helper: a node certificate for `origin` that expired yesterday.
pub fn issue_expired(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    origin: &str,
) -> Result<Issued, CertError> {
    let opts = NodeOptions {
        expired: true,
        ..NodeOptions::new(origin)
    };
    issue_node_with(ca_cert_pem, ca_key_pem, &opts)
}

/// Test helper: a node certificate for `origin` with only the serverAuth EKU.
pub fn issue_server_auth_only(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    origin: &str,
) -> Result<Issued, CertError> {
    let opts = NodeOptions {
        eku: Eku::ServerOnly,
        ..NodeOptions::new(origin)
    };
    issue_node_with(ca_cert_pem, ca_key_pem, &opts)
}

/// SHA-256 of a DER certificate: what a fingerprint pin holds.
pub fn fingerprint_der(cert_der: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, cert_der).as_ref());
    out
}

/// `sha256:` and the lowercase hex of the digest.
pub fn format_fingerprint(digest: &[u8; 32]) -> String {
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The fingerprint partners pin: `sha256:` + lowercase hex of the SHA-256 of the DER
/// end-entity certificate. `cert` is PEM (the first certificate is taken, i.e. the leaf
/// of a chain file) or DER.
pub fn fingerprint(cert: &[u8]) -> Result<String, CertError> {
    Ok(format_fingerprint(&fingerprint_der(&leaf_der(cert)?)))
}

/// The first certificate of PEM text, or DER bytes as they are (checked to parse).
fn leaf_der(cert: &[u8]) -> Result<CertificateDer<'static>, CertError> {
    let is_pem = cert
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| cert[i..].starts_with(b"-----BEGIN"));
    if is_pem {
        let mut certs = certs_from_pem(cert, "certificate")?;
        Ok(certs.swap_remove(0))
    } else {
        x509_parser::parse_x509_certificate(cert)
            .map_err(|e| CertError::parse("not a PEM or DER certificate", e))?;
        Ok(CertificateDer::from(cert.to_vec()))
    }
}

/// Parses `sha256:` followed by 64 hex digits (either case; `:` between byte pairs, as
/// OpenSSL prints them, is accepted).
pub fn parse_fingerprint(s: &str) -> Result<[u8; 32], CertError> {
    let bad = || CertError::BadFingerprint(s.to_owned());
    let t = s.trim();
    let hex = match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("sha256:") => &t[7..],
        _ => return Err(bad()),
    };
    let digits: Vec<u8> = hex.bytes().filter(|&b| b != b':').collect();
    if digits.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16).ok_or_else(bad)?;
        let lo = (pair[1] as char).to_digit(16).ok_or_else(bad)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Ok(out)
}

/// The origin named by the first certificate of PEM text.
pub fn origin_of_pem(cert_pem: &str) -> Result<String, CertError> {
    let der = leaf_der(cert_pem.as_bytes())?;
    identity::origin_of(&der).map_err(|e| CertError::parse("certificate", e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(pem: &str) -> x509_parser::certificate::X509Certificate<'static> {
        let der = certs_from_pem(pem.as_bytes(), "t").unwrap().remove(0);
        let der: &'static [u8] = Box::leak(der.to_vec().into_boxed_slice());
        x509_parser::parse_x509_certificate(der).unwrap().1
    }

    #[test]
    fn ca_is_a_constrained_ca() {
        let ca = create_ca("Team A CA", 10).unwrap();
        let c = parse(&ca.cert_pem);
        let bc = c.basic_constraints().unwrap().unwrap().value;
        assert!(bc.ca);
        assert_eq!(bc.path_len_constraint, Some(0));
        assert!(c.key_usage().unwrap().unwrap().value.key_cert_sign());
        assert_eq!(c.subject().to_string(), "CN=Team A CA");
        assert!(create_ca("", 10).is_err());
        assert!(create_ca("x", 0).is_err());
    }

    #[test]
    fn node_carries_origin_and_both_ekus() {
        let ca = create_ca("ca", 10).unwrap();
        let node = issue_node(&ca.cert_pem, &ca.key_pem, "cert-a", 825).unwrap();
        let c = parse(&node.cert_pem);
        assert_eq!(origin_of_pem(&node.cert_pem).unwrap(), "cert-a");
        assert_eq!(c.subject().to_string(), "CN=cert-a");
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
        assert!(c.key_usage().unwrap().unwrap().value.digital_signature());
        assert!(!c.is_ca());
        // Clamped to the CA's 10 days.
        let left = c.validity().not_after.timestamp() - OffsetDateTime::now_utc().unix_timestamp();
        assert!(left <= 10 * 86_400 + 5, "{left}");
        assert!(issue_node(&ca.cert_pem, &ca.key_pem, "Bad Name", 1).is_err());
        // A key that is not the CA's.
        let other = create_ca("other", 10).unwrap();
        let e = issue_node(&ca.cert_pem, &other.key_pem, "x", 1).unwrap_err();
        assert!(e.to_string().contains("does not belong"), "{e}");
        // A node certificate is not a CA.
        let e = issue_node(&node.cert_pem, &node.key_pem, "x", 1).unwrap_err();
        assert!(e.to_string().contains("not a CA"), "{e}");
    }

    #[test]
    fn bad_certificates_for_tests() {
        let ca = create_ca("ca", 100).unwrap();
        let expired = issue_expired(&ca.cert_pem, &ca.key_pem, "b").unwrap();
        let c = parse(&expired.cert_pem);
        assert!(c.validity().not_after.timestamp() < OffsetDateTime::now_utc().unix_timestamp());
        let server_only = issue_server_auth_only(&ca.cert_pem, &ca.key_pem, "b").unwrap();
        let parsed = parse(&server_only.cert_pem);
        let eku = parsed.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
        let ed = self_signed_node(&NodeOptions {
            key: KeyAlg::Ed25519,
            ..NodeOptions::new("solo")
        })
        .unwrap();
        assert_eq!(origin_of_pem(&ed.cert_pem).unwrap(), "solo");
    }

    #[test]
    fn fingerprints() {
        let node = self_signed_node(&NodeOptions::new("a")).unwrap();
        let fp = fingerprint(node.cert_pem.as_bytes()).unwrap();
        let der = certs_from_pem(node.cert_pem.as_bytes(), "t")
            .unwrap()
            .remove(0);
        assert_eq!(fingerprint(&der).unwrap(), fp);
        assert_eq!(format_fingerprint(&parse_fingerprint(&fp).unwrap()), fp);
        assert!(fp.starts_with("sha256:"));
        assert!(
            fp[7..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        // OpenSSL style.
        let colons: String = fp[7..]
            .to_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(
            parse_fingerprint(&format!("SHA256:{colons}")).unwrap(),
            parse_fingerprint(&fp).unwrap()
        );
        for bad in [
            "",
            "sha256:",
            "md5:00",
            &fp[..70],
            &format!("{fp}0"),
            "sha256:zz",
        ] {
            assert!(parse_fingerprint(bad).is_err(), "{bad}");
        }
        assert!(fingerprint(b"not a cert").is_err());
    }
}
