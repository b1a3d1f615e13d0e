//! Rdata: canonical wire form in, presentation form out.
//!
//! Stored rdata is the canonical wire form (names uncompressed and lowercased, RFC 4034
//! §6.2). [`present`] renders it as `dig` prints it; anything malformed or of a type
//! without a known text form is rendered in the RFC 3597 generic form `\# len hex`.

pub mod layout;
mod present;

pub use present::{present, rfc3597};
