//! One pass over a response: header, question, and every record with its owner and
//! canonical rdata, or a [`Reject`] for the whole message.

use crate::Reject;
use crate::canon::canonical_rdata;
use crate::wire::{HEADER_LEN, Header, NameBuf, RrHead, read_header, read_name, read_rr};

/// Which section a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Answer,
    Authority,
    Additional,
}

/// A record of the message, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Rr {
    pub section: Section,
    pub owner: NameBuf,
    pub head: RrHead,
    /// Range of the canonical rdata in [`Decoded::rdata`].
    pub rdata: std::ops::Range<usize>,
}

/// Reusable buffers holding one decoded message.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    pub header: Option<Header>,
    pub qname: Option<NameBuf>,
    /// `qname`, `qtype` and `qclass` hold the question of the message decoded last
    /// (false for queries and while or after failing to read it: `qname` may then hold
    /// part of a name, or an earlier message's).
    pub has_question: bool,
    pub qtype: u16,
    pub qclass: u16,
    pub records: Vec<Rr>,
    pub rdata: Vec<u8>,
    scratch: Option<NameBuf>,
}

/// Smallest question (root name, type, class) and record (root owner, fixed fields).
const MIN_QUESTION: usize = 5;
const MIN_RR: usize = 11;

impl Decoded {
    pub(crate) fn rdata_of(&self, rr: &Rr) -> &[u8] {
        &self.rdata[rr.rdata.clone()]
    }

    /// Decodes the header and, for responses, the question. Returns the position after
    /// the question, or `None` for queries.
    pub(crate) fn decode_head(&mut self, msg: &[u8]) -> Result<Option<usize>, Reject> {
        self.records.clear();
        self.rdata.clear();
        self.has_question = false;
        let header = read_header(msg)?;
        self.header = Some(header);
        if !header.response {
            return Ok(None);
        }
        if header.qdcount != 1 {
            return Err(Reject::QuestionCount);
        }
        let rr_count =
            usize::from(header.ancount) + usize::from(header.nscount) + usize::from(header.arcount);
        if !header.truncated && MIN_QUESTION + MIN_RR * rr_count > msg.len() - HEADER_LEN {
            return Err(Reject::CountsExceedMessage);
        }
        let qname = self.qname.get_or_insert_with(NameBuf::new);
        let pos = read_name(msg, HEADER_LEN, qname)?;
        let fixed = msg.get(pos..pos + 4).ok_or(Reject::RecordTruncated)?;
        self.qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        self.qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
        self.has_question = true;
        Ok(Some(pos + 4))
    }

    /// Decodes every record after the question. A message cut short is malformed unless
    /// it says so (TC=1): then the complete records are kept.
    pub(crate) fn decode_records(&mut self, msg: &[u8], mut pos: usize) -> Result<(), Reject> {
        let Some(header) = self.header else {
            return Ok(());
        };
        let sections = [
            (Section::Answer, header.ancount),
            (Section::Authority, header.nscount),
            (Section::Additional, header.arcount),
        ];
        let mut owner = NameBuf::new();
        let scratch = self.scratch.get_or_insert_with(NameBuf::new);
        for (section, count) in sections {
            for _ in 0..count {
                let (head, next) = match read_rr(msg, pos, &mut owner) {
                    Ok(rr) => rr,
                    Err(Reject::NameTruncated | Reject::RecordTruncated) if header.truncated => {
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                };
                let start = self.rdata.len();
                canonical_rdata(msg, &head, scratch, &mut self.rdata)?;
                self.records.push(Rr {
                    section,
                    owner: owner.clone(),
                    head,
                    rdata: start..self.rdata.len(),
                });
                pos = next;
            }
        }
        Ok(())
    }
}
