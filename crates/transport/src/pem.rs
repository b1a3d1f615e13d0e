//! Reading certificates, keys and pins from PEM files. Every error names the file.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Pin;
use crate::error::CertError;

/// All `CERTIFICATE` blocks of PEM text, in order. `what` names the input in errors.
pub fn certs_from_pem(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertError::parse(what, format!("bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(CertError::NoCertificate { what: what.into() });
    }
    for cert in &certs {
        x509_parser::parse_x509_certificate(cert)
            .map_err(|e| CertError::parse(what, format!("bad certificate: {e}")))?;
    }
    Ok(certs)
}

/// The first private key (PKCS#8, SEC1 or PKCS#1) of PEM text.
pub fn key_from_pem(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, CertError> {
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(key) => Ok(key),
        Err(rustls_pki_types::pem::Error::NoItemsFound) => {
            Err(CertError::NoKey { what: what.into() })
        }
        Err(e) => Err(CertError::parse(what, format!("bad PEM: {e}"))),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|e| CertError::io(path, e))
}

/// A node's certificate chain (its certificate first, then any CA certificates) from a
/// PEM file such as the `node.pem` that `hearsay certs node` writes.
pub fn load_pem_chain(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let path = path.as_ref();
    certs_from_pem(&read(path)?, &path.display().to_string())
}

/// A node's private key from a PEM file such as `node.key`.
pub fn load_pem_key(path: impl AsRef<Path>) -> Result<PrivateKeyDer<'static>, CertError> {
    let path = path.as_ref();
    key_from_pem(&read(path)?, &path.display().to_string())
}

/// A partner pinned by its CA: every certificate in the PEM file (usually its `ca.pem`)
/// becomes a trust anchor for that partner only. Each must be usable as a trust anchor.
pub fn load_pin_ca(path: impl AsRef<Path>) -> Result<Pin, CertError> {
    let path = path.as_ref();
    let what = path.display().to_string();
    let certs = certs_from_pem(&read(path)?, &what)?;
    for cert in &certs {
        webpki::anchor_from_trusted_cert(cert)
            .map_err(|e| CertError::parse(&what, format!("not usable as a CA: {e:?}")))?;
    }
    Ok(Pin::Ca(certs))
}
