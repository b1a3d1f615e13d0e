//! The crate's error type.

use std::io;

use hickory_proto::ProtoError;

/// Everything that can go wrong while building packets or writing capture files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A domain name could not be parsed (bad label, too long, …).
    #[error("invalid domain name {name:?}: {source}")]
    Name {
        /// The name as given.
        name: String,
        /// Why hickory rejected it.
        #[source]
        source: ProtoError,
    },
    /// An IP address could not be parsed, or has the wrong family.
    #[error("invalid address {0:?}")]
    Address(String),
    /// hickory could not encode a message.
    #[error("cannot encode DNS message: {0}")]
    Encode(#[from] ProtoError),
    /// Source and destination of a packet are of different address families.
    #[error("source and destination address families differ")]
    MixedFamilies,
    /// A payload does not fit the protocol field that carries its length.
    #[error("{what} too large: {len} bytes (limit {limit})")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The largest length allowed.
        limit: usize,
    },
    /// An argument or configuration value is out of range.
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
