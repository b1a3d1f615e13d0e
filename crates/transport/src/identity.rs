//! A node's identity: its origin name, carried in its certificate as the SAN URI
//! `urn:hearsay:origin:<name>`.
//!
//! The identity of a peer is read only from the SAN URI of its *verified* end-entity
//! certificate, never from anything it sends afterwards.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::X509Certificate;

/// The prefix of the SAN URI that names a node's origin.
pub const ORIGIN_URI_PREFIX: &str = "urn:hearsay:origin:";

/// Whether `name` is a valid origin name: 1–64 characters of `a-z 0-9 . - _`.
///
/// The same rule as `hearsay_store::validate_origin_name` (copied rather than depended
/// on, so that the transport does not pull in the database).
pub fn is_valid_origin_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}

/// The SAN URI that names `origin`.
pub fn origin_uri(origin: &str) -> String {
    format!("{ORIGIN_URI_PREFIX}{origin}")
}

/// Why a certificate names no usable origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The bytes are not an X.509 certificate.
    #[error("not a parseable X.509 certificate")]
    Unparseable,
    /// No `urn:hearsay:origin:` SAN URI.
    #[error("no {ORIGIN_URI_PREFIX}<name> subject alternative name")]
    Missing,
    /// More than one origin URI: ambiguous, refused.
    #[error("more than one {ORIGIN_URI_PREFIX} subject alternative name")]
    Ambiguous,
    /// The URI's name is not a valid origin name.
    #[error("origin name {0:?} is not 1-64 characters of a-z 0-9 . - _")]
    BadName(String),
}

/// The origin named by a parsed certificate's SAN URI.
pub(crate) fn origin_of_parsed(cert: &X509Certificate<'_>) -> Result<String, IdentityError> {
    let san = cert
        .subject_alternative_name()
        .map_err(|_| IdentityError::Unparseable)?
        .ok_or(IdentityError::Missing)?;
    let mut found: Option<&str> = None;
    for name in &san.value.general_names {
        if let GeneralName::URI(uri) = name
            && let Some(origin) = uri.strip_prefix(ORIGIN_URI_PREFIX)
        {
            if found.is_some() {
                return Err(IdentityError::Ambiguous);
            }
            found = Some(origin);
        }
    }
    let origin = found.ok_or(IdentityError::Missing)?;
    if !is_valid_origin_name(origin) {
        return Err(IdentityError::BadName(origin.to_owned()));
    }
    Ok(origin.to_owned())
}

/// The origin named by a DER certificate's SAN URI.
pub fn origin_of(cert_der: &[u8]) -> Result<String, IdentityError> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(cert_der).map_err(|_| IdentityError::Unparseable)?;
    origin_of_parsed(&cert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_names() {
        for ok in ["a", "cert-a", "team_b.example", "0", &"x".repeat(64)] {
            assert!(is_valid_origin_name(ok), "{ok}");
        }
        for bad in ["", "A", "a b", "a/b", "é", &"x".repeat(65), "a:b"] {
            assert!(!is_valid_origin_name(bad), "{bad}");
        }
    }
}
