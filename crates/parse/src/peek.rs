//! A quick look at a message's header and question, for matching responses to the
//! queries a sensor saw (a spoofing defence) before parsing them in full.

use crate::wire::{HEADER_LEN, NameBuf, read_header, read_name};

/// A message's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Peek {
    /// The message ID.
    pub id: u16,
    /// QR=1?
    pub response: bool,
    /// The question name, canonical wire form.
    pub qname: Vec<u8>,
    /// The question type.
    pub qtype: u16,
}

/// The header and first question of a message, if they parse.
pub fn peek(msg: &[u8]) -> Option<Peek> {
    let header = read_header(msg).ok()?;
    if header.qdcount == 0 {
        return None;
    }
    let mut name = NameBuf::new();
    let pos = read_name(msg, HEADER_LEN, &mut name).ok()?;
    let fixed = msg.get(pos..pos + 2)?;
    Some(Peek {
        id: header.id,
        response: header.response,
        qname: name.wire().to_vec(),
        qtype: u16::from_be_bytes([fixed[0], fixed[1]]),
    })
}
