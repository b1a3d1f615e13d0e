use std::path::PathBuf;

use thiserror::Error;

/// Errors of the store.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage engine failed (I/O, corruption).
    #[error("database {path}: {source}")]
    Engine {
        path: PathBuf,
        #[source]
        source: fjall::Error,
    },
    /// The directory holds a database of another schema version.
    #[error("database {path} has schema version {found}, this hearsay reads version {expected}")]
    SchemaMismatch {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// Stored bytes that do not decode (corruption or a bug).
    #[error("database {path}: corrupt {what}: {detail}")]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    /// An origin name that cannot be used.
    #[error("invalid origin name {0:?}: use 1-64 characters of a-z, 0-9, '.', '-' and '_'")]
    BadOriginName(String),
    /// More origins than the store can number.
    #[error("too many origins")]
    TooManyOrigins,
    /// Reading or writing a file of the store beside the database (a bulk load's runs).
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Creating the data directory failed.
    #[error("cannot create data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
