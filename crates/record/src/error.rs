use thiserror::Error;

/// Errors of the data model: malformed names, keys, values or rdata.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    #[error("label of {0} bytes (at most 63)")]
    LabelTooLong(usize),
    #[error("name longer than 255 bytes")]
    NameTooLong,
    #[error("empty label in {0:?}")]
    EmptyLabel(String),
    #[error("bad escape in {0:?}")]
    BadEscape(String),
    #[error("name ends early")]
    NameTruncated,
    #[error("rdata ends early")]
    RdataTruncated,
    #[error("trailing bytes")]
    TrailingBytes,
    #[error("unknown record type {0:?}")]
    UnknownType(String),
    #[error("bailiwick does not contain the owner name")]
    OutOfBailiwick,
    #[error("malformed store key")]
    BadKey,
    #[error("malformed varint")]
    BadVarint,
    #[error("malformed record value: {0}")]
    BadValue(&'static str),
}
