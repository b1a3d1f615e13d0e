//! Typed errors: certificates and files ([`CertError`]), starting an endpoint
//! ([`TransportError`]) and using a link ([`LinkError`]).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Making, reading or parsing certificates, keys and pins. Errors about a file name it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Not a valid origin name.
    #[error("invalid origin name {0:?}: 1-64 characters of a-z 0-9 . - _")]
    BadOrigin(String),
    /// A CA name that is empty or too long for a certificate.
    #[error("invalid CA name {0:?}: 1-64 printable characters")]
    BadCaName(String),
    /// A validity period that is zero or absurd.
    #[error("invalid validity of {0} days (1 to 36500)")]
    BadDays(i64),
    /// rcgen could not build or sign the certificate.
    #[error("generating the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// No PEM `CERTIFICATE` block where one was expected.
    #[error("{what}: no PEM certificate found")]
    NoCertificate {
        /// The file, or a description of the input.
        what: String,
    },
    /// No PEM private key where one was expected.
    #[error("{what}: no PEM private key found (PKCS#8, SEC1 or PKCS#1)")]
    NoKey {
        /// The file, or a description of the input.
        what: String,
    },
    /// Input that does not parse.
    #[error("{what}: {reason}")]
    Parse {
        /// The file, or a description of the input.
        what: String,
        /// Why.
        reason: String,
    },
    /// A pin that is not `sha256:` followed by 64 hex digits.
    #[error("invalid fingerprint {0:?}: expected sha256: followed by 64 hex digits")]
    BadFingerprint(String),
}

impl CertError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CertError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn parse(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        CertError::Parse {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

/// Starting a [`Transport`](crate::Transport).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The configuration is inconsistent (the message says how).
    #[error("transport configuration: {0}")]
    Config(String),
    /// A certificate, key or pin is unusable.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// rustls refused the certificate/key or the TLS configuration.
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The UDP socket could not be made or bound.
    #[error("binding UDP {addr}: {source}")]
    Bind {
        /// The listen address.
        addr: SocketAddr,
        /// What went wrong.
        source: std::io::Error,
    },
    /// `Transport::start` was called outside a tokio runtime.
    #[error("Transport::start must be called from within a tokio runtime")]
    NoRuntime,
}

/// Sending or receiving on a [`Link`](crate::Link).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The connection is gone: closed by either side, timed out, or the endpoint shut
    /// down. The link is dead; the transport reconnects if it dials this partner.
    #[error("link closed: {0}")]
    Closed(String),
    /// The peer stopped reading (its receiving half was dropped).
    #[error("peer stopped reading (code {0})")]
    Stopped(u64),
    /// The peer abandoned its sending half without finishing it.
    #[error("peer reset its stream (code {0})")]
    Reset(u64),
    /// The local half was already finished.
    #[error("stream already finished")]
    Finished,
}

impl From<quinn::WriteError> for LinkError {
    fn from(e: quinn::WriteError) -> Self {
        match e {
            quinn::WriteError::Stopped(code) => LinkError::Stopped(code.into_inner()),
            quinn::WriteError::ConnectionLost(e) => LinkError::Closed(e.to_string()),
            quinn::WriteError::ClosedStream => LinkError::Finished,
            other => LinkError::Closed(other.to_string()),
        }
    }
}

impl From<quinn::ReadError> for LinkError {
    fn from(e: quinn::ReadError) -> Self {
        match e {
            quinn::ReadError::Reset(code) => LinkError::Reset(code.into_inner()),
            quinn::ReadError::ConnectionLost(e) => LinkError::Closed(e.to_string()),
            quinn::ReadError::ClosedStream => LinkError::Finished,
            other => LinkError::Closed(other.to_string()),
        }
    }
}

impl From<quinn::StoppedError> for LinkError {
    fn from(e: quinn::StoppedError) -> Self {
        match e {
            quinn::StoppedError::ConnectionLost(e) => LinkError::Closed(e.to_string()),
            other => LinkError::Closed(other.to_string()),
        }
    }
}
