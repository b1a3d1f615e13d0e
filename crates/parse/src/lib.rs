//! # hearsay-parse
//!
//! DNS messages in, passive DNS observations out. The parser walks the wire format
//! itself — strictly: compression pointers must point backwards, labels and names must
//! respect RFC 1035 limits, section counts must fit the message — so that a malformed
//! or hostile message is rejected with a reason ([`Reject`]) instead of panicking or
//! looping. Only responses (QR=1, opcode QUERY, rcode NOERROR) yield records; the OPT
//! pseudo-record and meta types never do; records outside the question's bailiwick are
//! dropped (see the `filter` module). Names are lowercased and rdata canonicalised, so an
//! observation is already the record's store key ([`hearsay_record::RecordKey`]
//! encoding). Client addresses never reach this crate.
//!
//! ```
//! use hearsay_parse::{Outcome, Parser};
//! use hearsay_record::RecordKey;
//!
//! // A response for www.example.com A 192.0.2.1 (ID 1, QR=1, RD, RA).
//! let mut msg = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
//! msg.extend_from_slice(b"\x03WWW\x07example\x03com\x00\x00\x01\x00\x01");
//! msg.extend_from_slice(b"\xC0\x0C\x00\x01\x00\x01\x00\x00\x0E\x10\x00\x04\xC0\x00\x02\x01");
//!
//! let mut parser = Parser::new();
//! let mut seen = Vec::new();
//! let outcome = parser.parse(&msg, 1_100_000_000, &mut |key: &[u8], time: u64| {
//!     seen.push((RecordKey::decode(key).unwrap(), time));
//! });
//! assert_eq!(outcome, Outcome::Response { rcode: 0, records: 1 });
//! assert_eq!(seen[0].0.rrname.to_string(), "www.example.com.");
//! assert_eq!(seen[0].0.rdata, [192, 0, 2, 1]);
//! ```

mod canon;
mod filter;
mod message;
mod peek;
mod stats;
mod wire;
pub mod zones;

pub use peek::{Peek, peek};
pub use stats::{MalformedStats, ParseStats, Reject};
pub use zones::{ZoneCuts, ZoneStats};

use hearsay_record::RrType;

use message::Decoded;

/// Bailiwick byte of a record key when the zone is not known.
const UNKNOWN_BAILIWICK: u8 = 0xFF;
/// The IN class.
const CLASS_IN: u16 = 1;

/// Where observations go: the encoded record key (a [`hearsay_record::RecordKey`]) and
/// the packet time in seconds. The key slice is only valid during the call.
pub trait Sink {
    /// One record seen at `time`.
    fn observe(&mut self, key: &[u8], time: u64);
}

impl<F: FnMut(&[u8], u64)> Sink for F {
    fn observe(&mut self, key: &[u8], time: u64) {
        self(key, time)
    }
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A query (QR=0).
    Query,
    /// A response that is not a standard query (NOTIFY, UPDATE, …).
    Ignored,
    /// A response; `records` were observed (0 unless rcode is NOERROR).
    Response {
        /// The response code.
        rcode: u8,
        /// Records handed to the sink.
        records: usize,
    },
    /// Malformed; nothing was observed.
    Rejected(Reject),
}

/// Where a message came from, for sensors above the resolver.
#[derive(Debug, Default)]
pub struct Context<'a> {
    /// The answering server's address.
    pub server: Option<std::net::IpAddr>,
    /// The zone cuts learned so far; `Some` makes the parser find each response's
    /// bailiwick, drop records outside it, and learn from referrals.
    pub zones: Option<&'a mut ZoneCuts>,
}

/// The DNS message parser. Keeps reusable buffers and counters; one per thread.
#[derive(Debug, Default)]
pub struct Parser {
    decoded: Decoded,
    keep: Vec<bool>,
    key: Vec<u8>,
    stats: ParseStats,
}

impl Parser {
    /// A parser with zeroed counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters so far.
    pub fn stats(&self) -> &ParseStats {
        &self.stats
    }

    /// Returns the counters and resets them.
    pub fn take_stats(&mut self) -> ParseStats {
        std::mem::take(&mut self.stats)
    }

    /// Parses one DNS message seen at `time` (seconds since the epoch) and hands every
    /// believable record of a NOERROR response to `sink`.
    pub fn parse(&mut self, msg: &[u8], time: u64, sink: &mut impl Sink) -> Outcome {
        self.parse_in(msg, time, &mut Context::default(), sink)
    }

    /// [`Parser::parse`] with the message's context (above the resolver: the server's
    /// address and the zone cuts).
    pub fn parse_in(
        &mut self,
        msg: &[u8],
        time: u64,
        ctx: &mut Context<'_>,
        sink: &mut impl Sink,
    ) -> Outcome {
        self.stats.messages += 1;
        match self.parse_inner(msg, time, ctx, sink) {
            Ok(outcome) => outcome,
            Err(reason) => {
                self.stats.malformed.add(reason);
                Outcome::Rejected(reason)
            }
        }
    }

    /// The question of the last message parsed (canonical wire name and type), if it
    /// was a response whose question could be read.
    pub fn question(&self) -> Option<(&[u8], u16)> {
        self.decoded
            .qname
            .as_ref()
            .filter(|_| self.decoded.has_question)
            .map(|q| (q.wire(), self.decoded.qtype))
    }

    fn parse_inner(
        &mut self,
        msg: &[u8],
        time: u64,
        ctx: &mut Context<'_>,
        sink: &mut impl Sink,
    ) -> Result<Outcome, Reject> {
        let Some(after_question) = self.decoded.decode_head(msg)? else {
            self.stats.queries += 1;
            return Ok(Outcome::Query);
        };
        let Some(header) = self.decoded.header else {
            return Ok(Outcome::Ignored);
        };
        if header.opcode != 0 {
            self.stats.other_opcode += 1;
            return Ok(Outcome::Ignored);
        }
        if header.truncated {
            self.stats.truncated_tc += 1;
        }
        if header.rcode != 0 {
            self.stats.responses += 1;
            match header.rcode {
                2 => self.stats.servfail += 1,
                3 => self.stats.nxdomain += 1,
                _ => self.stats.other_rcode += 1,
            }
            return Ok(Outcome::Response {
                rcode: header.rcode,
                records: 0,
            });
        }
        self.decoded.decode_records(msg, after_question)?;
        self.stats.responses += 1;
        self.stats.noerror += 1;
        let zone = self.server_zone(ctx, time);
        let zone_buf = zone
            .as_ref()
            .and_then(|z| wire::NameBuf::from_canonical(z.as_wire()));
        filter::select(
            &self.decoded,
            &mut self.stats,
            &mut self.keep,
            zone_buf.as_ref(),
        );
        let bailiwick = zone
            .as_ref()
            .map_or(UNKNOWN_BAILIWICK, |z| z.label_count() as u8);
        if let (Some(zone), Some(cuts)) = (&zone, ctx.zones.as_deref_mut()) {
            self.learn(zone, cuts, time);
        }
        let mut records = 0;
        for (rr, keep) in self.decoded.records.iter().zip(&self.keep) {
            if !keep {
                continue;
            }
            let rrtype = RrType(rr.head.rrtype);
            if rrtype == RrType::OPT {
                self.stats.skipped_opt += 1;
                continue;
            }
            if rrtype.is_meta() || rrtype.0 == 24 && rr.owner.label_count() == 0 {
                self.stats.skipped_meta += 1;
                continue;
            }
            if rr.head.class != CLASS_IN {
                self.stats.skipped_class += 1;
                continue;
            }
            self.key.clear();
            rr.owner.write_reversed(&mut self.key);
            self.key.extend_from_slice(&rr.head.rrtype.to_be_bytes());
            self.key.push(bailiwick);
            self.key.extend_from_slice(self.decoded.rdata_of(rr));
            sink.observe(&self.key, time);
            records += 1;
        }
        self.stats.records += records as u64;
        Ok(Outcome::Response { rcode: 0, records })
    }
}

impl Parser {
    /// The bailiwick of the current response: the deepest zone its server is known to
    /// serve that contains the question.
    fn server_zone(&mut self, ctx: &Context<'_>, time: u64) -> Option<hearsay_record::Name> {
        let (Some(cuts), Some(server)) = (ctx.zones.as_deref(), ctx.server) else {
            return None;
        };
        let qname = hearsay_record::Name::from_wire(self.decoded.qname.as_ref()?.wire()).ok()?;
        let zone = cuts.zone_for(server, &qname, time).cloned();
        if zone.is_none() {
            self.stats.zone_unknown += 1;
        }
        zone
    }

    /// Delegations and name server addresses among the accepted records.
    fn learn(&mut self, zone: &hearsay_record::Name, cuts: &mut ZoneCuts, time: u64) {
        use hearsay_record::Name;
        let mut ns = Vec::new();
        let mut addrs = Vec::new();
        for (rr, keep) in self.decoded.records.iter().zip(&self.keep) {
            if !keep {
                continue;
            }
            let rdata = self.decoded.rdata_of(rr);
            let Ok(owner) = Name::from_wire(rr.owner.wire()) else {
                continue;
            };
            match RrType(rr.head.rrtype) {
                RrType::NS => {
                    if let Ok(target) = Name::from_wire(rdata) {
                        ns.push((owner, target));
                    }
                }
                RrType::A => {
                    if let Ok(a) = <[u8; 4]>::try_from(rdata) {
                        addrs.push((owner, std::net::IpAddr::from(a)));
                    }
                }
                RrType::AAAA => {
                    if let Ok(a) = <[u8; 16]>::try_from(rdata) {
                        addrs.push((owner, std::net::IpAddr::from(a)));
                    }
                }
                _ => {}
            }
        }
        if !ns.is_empty() || !addrs.is_empty() {
            cuts.learn(zone, &ns, &addrs, time, &mut self.stats.zones);
        }
    }
}

#[cfg(test)]
mod tests;
