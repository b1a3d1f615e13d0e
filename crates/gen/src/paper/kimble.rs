//! kimble.org: an A record hopping from address to address, as a botnet controller's does.

use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::rr::RecordType;

use super::Scenario;
use super::calendar::{HOUR, unix_time};
use super::script::Script;
use crate::dns;
use crate::error::Result;

/// The addresses, each with the day it first appeared (documentation space: the paper's
/// real addresses are not reproduced).
const HOPS: [(&str, (i32, u32, u32)); 7] = [
    ("192.0.2.77", (2004, 11, 2)),
    ("198.51.100.23", (2004, 11, 12)),
    ("203.0.113.140", (2004, 11, 21)),
    ("198.51.100.201", (2004, 11, 29)),
    ("192.0.2.164", (2004, 12, 9)),
    ("203.0.113.9", (2004, 12, 20)),
    ("198.51.100.88", (2004, 12, 31)),
];
/// The last sighting of the last address is before this day.
const END: (i32, u32, u32) = (2005, 1, 12);

const SERVERS: [(&str, IpAddr); 2] = [
    (
        "ns1.kimble.org",
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 201)),
    ),
    (
        "ns2.kimble.org",
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 202)),
    ),
];

fn day((y, m, d): (i32, u32, u32)) -> u64 {
    unix_time(y, m, d, 0, 0)
}

pub(super) fn scenario() -> Result<Scenario> {
    let mut s = Script::new(0x6b69_6d62);
    let mut k = 0usize;
    for (i, (addr, start)) in HOPS.iter().enumerate() {
        let begin = day(*start);
        let end = HOPS.get(i + 1).map_or(day(END), |(_, d)| day(*d));
        let previous = i.checked_sub(1).map(|j| HOPS[j].0);
        let mut t = begin + s.jitter(4 * HOUR);
        let mut first = true;
        while t < end {
            let (_, server) = SERVERS[k % 2];
            k += 1;
            // On the day of a hop, the first answer still carries the old address too.
            let old = if first { previous } else { None };
            s.ask(t, server, "kimble.org", RecordType::A, |r| {
                let mut r = r
                    .authoritative(true)
                    .answer(dns::a("kimble.org", *addr, 300)?);
                if let Some(old) = old {
                    r = r.answer(dns::a("kimble.org", old, 300)?);
                }
                for (ns, ip) in SERVERS {
                    r = r.authority(dns::ns("kimble.org", ns, 86_400)?);
                    if let IpAddr::V4(v4) = ip {
                        r = r.additional(dns::a(ns, v4, 86_400)?);
                    }
                }
                Ok(r)
            })?;
            first = false;
            t += 8 * HOUR + s.jitter(2 * HOUR);
        }
    }
    Ok(Scenario {
        name: "kimble",
        title: "kimble.org hops between addresses",
        description: "The A record of kimble.org changes every one to two weeks between \
            November 2004 and January 2005, seven addresses in all, each seen several times \
            a day while current (and once together with its successor on the day of the hop), \
            with a TTL of 300 — the pattern of a botnet controller moving from one \
            compromised host to the next. DNS only ever shows the current address; the \
            passive database shows the whole history with first and last sighting.",
        queries: vec!["query rrset kimble.org/A", "query rrset kimble.org"],
        exchanges: s.finish(),
    })
}
