//! Why messages and records were taken or left: counters for the operator.

use serde::Serialize;

/// Why a message was rejected as malformed. Nothing from a rejected message is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Reject {
    /// Shorter than the 12-byte header.
    ShortHeader,
    /// A response without exactly one question.
    QuestionCount,
    /// Section counts promise more records than the message can hold.
    CountsExceedMessage,
    /// A name runs past the end of the message.
    NameTruncated,
    /// A compression pointer beyond the end of the message.
    PointerOutOfRange,
    /// A compression pointer that does not point strictly backwards (a loop or a forward
    /// pointer).
    PointerLoop,
    /// A label type other than a plain label or a pointer (a length over 63).
    BadLabelType,
    /// A name longer than 255 bytes.
    NameTooLong,
    /// A record's fixed fields or rdata run past the end of the message.
    RecordTruncated,
    /// Rdata that does not fit its type (wrong length, bad embedded name).
    BadRdata,
}

impl Reject {
    /// Every reason, for listing counters.
    pub const ALL: [Reject; 10] = [
        Reject::ShortHeader,
        Reject::QuestionCount,
        Reject::CountsExceedMessage,
        Reject::NameTruncated,
        Reject::PointerOutOfRange,
        Reject::PointerLoop,
        Reject::BadLabelType,
        Reject::NameTooLong,
        Reject::RecordTruncated,
        Reject::BadRdata,
    ];

    /// A short snake_case name for counters.
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::ShortHeader => "short_header",
            Reject::QuestionCount => "question_count",
            Reject::CountsExceedMessage => "counts_exceed_message",
            Reject::NameTruncated => "name_truncated",
            Reject::PointerOutOfRange => "pointer_out_of_range",
            Reject::PointerLoop => "pointer_loop",
            Reject::BadLabelType => "bad_label_type",
            Reject::NameTooLong => "name_too_long",
            Reject::RecordTruncated => "record_truncated",
            Reject::BadRdata => "bad_rdata",
        }
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counters of the parser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParseStats {
    /// DNS messages handed to the parser.
    pub messages: u64,
    /// Queries (QR=0), not used for records.
    pub queries: u64,
    /// Responses (QR=1) that parsed.
    pub responses: u64,
    /// Responses with an opcode other than QUERY (NOTIFY, UPDATE, …).
    pub other_opcode: u64,
    /// NOERROR responses.
    pub noerror: u64,
    /// NXDOMAIN responses (no records).
    pub nxdomain: u64,
    /// SERVFAIL responses (no records).
    pub servfail: u64,
    /// Responses with any other rcode (no records).
    pub other_rcode: u64,
    /// Responses with TC=1 (what they hold is used).
    pub truncated_tc: u64,
    /// Records taken.
    pub records: u64,
    /// OPT pseudo-records skipped.
    pub skipped_opt: u64,
    /// Meta-type records (TSIG, TKEY, SIG(0), …) skipped.
    pub skipped_meta: u64,
    /// Records of a class other than IN skipped.
    pub skipped_class: u64,
    /// Answer records not on the question's CNAME/DNAME chain.
    pub rejected_off_chain: u64,
    /// Authority records outside the question's zones.
    pub rejected_authority: u64,
    /// Additional records (glue) outside the question's zones.
    pub rejected_additional: u64,
    /// Records outside the zone the answering server is known to serve (above the
    /// resolver).
    pub rejected_out_of_zone: u64,
    /// Responses from servers whose zone is not known yet (above the resolver): kept
    /// under the question's rules, with an unknown bailiwick.
    pub zone_unknown: u64,
    /// Zone cuts learned.
    pub zones: crate::zones::ZoneStats,
    /// Malformed messages by reason.
    pub malformed: MalformedStats,
}

/// Malformed messages by [`Reject`] reason (serialised as a map reason → count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MalformedStats {
    counts: [u64; Reject::ALL.len()],
}

impl MalformedStats {
    /// Counts one rejection.
    pub fn add(&mut self, r: Reject) {
        self.counts[r as usize] += 1;
    }

    /// The count for one reason.
    pub fn get(&self, r: Reject) -> u64 {
        self.counts[r as usize]
    }

    /// All malformed messages.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Non-zero reasons with their counts.
    pub fn nonzero(&self) -> Vec<(&'static str, u64)> {
        Reject::ALL
            .iter()
            .map(|r| (r.as_str(), self.get(*r)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Adds another set of counters.
    pub fn absorb(&mut self, other: &MalformedStats) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }
}

impl Serialize for MalformedStats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(Reject::ALL.len()))?;
        for r in Reject::ALL {
            map.serialize_entry(r.as_str(), &self.get(r))?;
        }
        map.end()
    }
}

impl ParseStats {
    /// Adds another parser's counters (several parser threads, one report).
    pub fn absorb(&mut self, o: &ParseStats) {
        self.messages += o.messages;
        self.queries += o.queries;
        self.responses += o.responses;
        self.other_opcode += o.other_opcode;
        self.noerror += o.noerror;
        self.nxdomain += o.nxdomain;
        self.servfail += o.servfail;
        self.other_rcode += o.other_rcode;
        self.truncated_tc += o.truncated_tc;
        self.records += o.records;
        self.skipped_opt += o.skipped_opt;
        self.skipped_meta += o.skipped_meta;
        self.skipped_class += o.skipped_class;
        self.rejected_off_chain += o.rejected_off_chain;
        self.rejected_authority += o.rejected_authority;
        self.rejected_additional += o.rejected_additional;
        self.rejected_out_of_zone += o.rejected_out_of_zone;
        self.zone_unknown += o.zone_unknown;
        self.zones.delegations += o.zones.delegations;
        self.zones.server_zones += o.zones.server_zones;
        self.zones.evicted += o.zones.evicted;
        self.malformed.absorb(&o.malformed);
    }
}
