//! An unauthorised NS record for `com.`, from a server that is no com server.

use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::rr::RecordType;

use super::Scenario;
use super::calendar::{DAY, HOUR, unix_time};
use super::script::Script;
use crate::dns;
use crate::error::Result;

/// a.root-servers.net.
const A_ROOT: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 41, 0, 4));
/// The misconfigured server (it carries a zone `com` of its own).
const BOGUS: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 66));
/// Its name, which it also claims is a name server of `com`.
pub const BOGUS_NS: &str = "ns1.example.net";

const GTLD: [(&str, &str); 2] = [
    ("a.gtld-servers.net", "192.5.6.30"),
    ("b.gtld-servers.net", "192.33.14.30"),
];

pub(super) fn scenario() -> Result<Scenario> {
    let mut s = Script::new(0x636f_6d00);
    let start = unix_time(2005, 1, 5, 0, 0);
    let end = unix_time(2005, 1, 26, 0, 0);

    // The real delegation of com, from a root server, about once a day.
    let mut t = start + s.jitter(6 * HOUR);
    let mut n = 0;
    while t < end {
        let qname = ["www.example.com", "mail.example.com", "ftp.example.com"][n % 3];
        s.ask(t, A_ROOT, qname, RecordType::A, |mut r| {
            for (ns, _) in GTLD {
                r = r.authority(dns::ns("com", ns, 172_800)?);
            }
            for (ns, addr) in GTLD {
                r = r.additional(dns::a(ns, addr, 172_800)?);
            }
            Ok(r)
        })?;
        n += 1;
        t += DAY + s.jitter(4 * HOUR) - 2 * HOUR;
    }

    // The misconfigured server answers for a com name as if it were authoritative for com.
    let bogus_start = unix_time(2005, 1, 11, 0, 0);
    for i in 0..4 {
        let at = bogus_start + i * 2 * DAY + s.jitter(DAY);
        s.ask(at, BOGUS, "www.example.com", RecordType::A, |r| {
            Ok(r.authoritative(true)
                .answer(dns::a("www.example.com", "198.51.100.67", 3600)?)
                .authority(dns::ns("com", BOGUS_NS, 3600)?))
        })?;
    }
    // And slips the same record into an answer about a net name, where it is out of
    // bailiwick even by the question alone.
    for i in 0..2 {
        let at = bogus_start + DAY + i * 3 * DAY + s.jitter(DAY);
        s.ask(at, BOGUS, "www.example.net", RecordType::A, |r| {
            Ok(r.authoritative(true)
                .answer(dns::a("www.example.net", "198.51.100.67", 3600)?)
                .authority(dns::ns("example.net", BOGUS_NS, 3600)?)
                .authority(dns::ns("com", BOGUS_NS, 3600)?))
        })?;
    }
    Ok(Scenario {
        name: "bogus-com",
        title: "An unauthorised NS record for com",
        description: "Throughout January 2005 a root server delegates com to the gTLD \
            servers (a. and b.gtld-servers.net). From 11 January a misconfigured server \
            (198.51.100.66, ns1.example.net), which carries a zone `com` of its own, answers \
            a question about www.example.com with `com. NS ns1.example.net.` in its authority \
            section. Judged by the question alone the record is in bailiwick (com is an \
            ancestor of the question name), so it is stored, and the rrset history of com \
            shows it next to the real delegation, with a small count and a short time span: \
            the kind of anomaly the paper points out. The same record in an answer about \
            www.example.net is out of bailiwick and must be dropped.",
        queries: vec!["query rrset com/NS", "query rdata name ns1.example.net"],
        exchanges: s.finish(),
    })
}
