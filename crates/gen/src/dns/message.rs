//! Queries and responses.

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Record, RecordType};

use super::name::IntoName;
use crate::error::Result;

/// A standard query (opcode QUERY, RD set, class IN) for `qname`/`qtype`.
pub fn query_message(id: u16, qname: impl IntoName, qtype: RecordType) -> Result<Message> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(qname.into_name()?, qtype));
    Ok(m)
}

/// The wire bytes of [`query_message`].
pub fn query(id: u16, qname: impl IntoName, qtype: RecordType) -> Result<Vec<u8>> {
    Ok(query_message(id, qname, qtype)?.to_vec()?)
}

/// A response under construction. Starts as NOERROR, not authoritative, RD echoed (set),
/// RA clear — an authoritative server's answer to a recursive resolver; see
/// [`Response::recursion`] for a resolver's answer to a stub.
#[derive(Clone, Debug)]
pub struct Response {
    message: Message,
}

impl Response {
    /// A response to the query `qname`/`qtype` with message ID `id`.
    pub fn new(id: u16, qname: impl IntoName, qtype: RecordType) -> Result<Self> {
        let mut message = Message::new(id, MessageType::Response, OpCode::Query);
        message.metadata.recursion_desired = true;
        message.add_query(Query::query(qname.into_name()?, qtype));
        Ok(Self { message })
    }

    /// Sets the response code.
    pub fn rcode(mut self, rcode: ResponseCode) -> Self {
        self.message.metadata.response_code = rcode;
        self
    }

    /// Sets the AA bit.
    pub fn authoritative(mut self, aa: bool) -> Self {
        self.message.metadata.authoritative = aa;
        self
    }

    /// Sets the RD and RA bits.
    pub fn recursion(mut self, desired: bool, available: bool) -> Self {
        self.message.metadata.recursion_desired = desired;
        self.message.metadata.recursion_available = available;
        self
    }

    /// Appends a record to the answer section.
    pub fn answer(mut self, record: Record) -> Self {
        self.message.add_answer(record);
        self
    }

    /// Appends records to the answer section.
    pub fn answers(mut self, records: impl IntoIterator<Item = Record>) -> Self {
        self.message.answers.extend(records);
        self
    }

    /// Appends a record to the authority section.
    pub fn authority(mut self, record: Record) -> Self {
        self.message.add_authority(record);
        self
    }

    /// Appends records to the authority section.
    pub fn authorities(mut self, records: impl IntoIterator<Item = Record>) -> Self {
        self.message.authorities.extend(records);
        self
    }

    /// Appends a record to the additional section.
    pub fn additional(mut self, record: Record) -> Self {
        self.message.add_additional(record);
        self
    }

    /// Appends records to the additional section.
    pub fn additionals(mut self, records: impl IntoIterator<Item = Record>) -> Self {
        self.message.additionals.extend(records);
        self
    }

    /// The message built so far.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The hickory message.
    pub fn into_message(self) -> Message {
        self.message
    }

    /// The wire bytes (names compressed as hickory does).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.message.to_vec()?)
    }
}
