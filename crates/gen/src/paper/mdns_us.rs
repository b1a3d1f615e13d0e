//! ns1.m-dns.us and ns2.m-dns.us: the name servers of a family of spam domains.

use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::rr::RecordType;

use super::Scenario;
use super::calendar::{DAY, HOUR, unix_time};
use super::script::Script;
use crate::dns::{self, Response};
use crate::error::Result;

const NS: [(&str, Ipv4Addr); 2] = [
    ("ns1.m-dns.us", Ipv4Addr::new(198, 51, 100, 121)),
    ("ns2.m-dns.us", Ipv4Addr::new(198, 51, 100, 122)),
];

/// The spam domains (invented, in the style of the time; the "0412" marks the batch).
const DOMAINS: [&str; 8] = [
    "meds-online-0412.biz",
    "replica-watches-0412.info",
    "cheap-software-0412.com",
    "mortgage-rates-0412.net",
    "casino-bonus-0412.biz",
    "diet-pills-0412.info",
    "lowest-rates-0412.us",
    "rx-store-0412.com",
];

fn with_ns(mut r: Response, zone: &str) -> Result<Response> {
    for (ns, _) in NS {
        r = r.authority(dns::ns(zone, ns, 3600)?);
    }
    Ok(r)
}

pub(super) fn scenario() -> Result<Scenario> {
    let mut s = Script::new(0x6d64_6e73);
    let first = unix_time(2004, 12, 1, 0, 0);
    let mut k = 0;
    for (i, domain) in DOMAINS.iter().enumerate() {
        // Each domain turns up a few days after the previous one and lives 10–25 days.
        let born = first + i as u64 * 2 * DAY + s.jitter(DAY);
        let dies = born + s.range(10, 26) * DAY;
        let web = Ipv4Addr::new(203, 0, 113, 150 + i as u8);
        let www = format!("www.{domain}");
        let mut t = born;
        while t < dies {
            let server = IpAddr::V4(NS[k % 2].1);
            if k % 2 == 0 {
                s.ask(t, server, &www, RecordType::A, |r| {
                    with_ns(
                        r.authoritative(true).answer(dns::a(&www, web, 600)?),
                        domain,
                    )
                })?;
            } else {
                s.ask(t, server, domain, RecordType::NS, |mut r| {
                    r = r.authoritative(true);
                    for (ns, _) in NS {
                        r = r.answer(dns::ns(*domain, ns, 3600)?);
                    }
                    Ok(r)
                })?;
            }
            k += 1;
            t += 18 * HOUR + s.jitter(12 * HOUR);
        }
    }
    // The name servers' own addresses, from themselves.
    for (j, (ns, addr)) in NS.iter().enumerate() {
        let t = first + (j as u64 + 1) * 5 * DAY + s.jitter(DAY);
        s.ask(t, IpAddr::V4(*addr), ns, RecordType::A, |r| {
            with_ns(
                r.authoritative(true).answer(dns::a(*ns, *addr, 3600)?),
                "m-dns.us",
            )
        })?;
    }
    Ok(Scenario {
        name: "m-dns.us",
        title: "The domains behind ns1.m-dns.us and ns2.m-dns.us",
        description: "In December 2004 and January 2005 a batch of spam domains \
            (pharmacy, replica watches, mortgages, casino, …) appear one after another, all \
            delegated to ns1.m-dns.us and ns2.m-dns.us. DNS cannot list the zones a name \
            server serves; the passive database can: a lookup by name-server name returns \
            every domain whose NS records point at it, with when each was seen.",
        queries: vec![
            "query rdata name ns1.m-dns.us",
            "query rdata name *.m-dns.us",
        ],
        exchanges: s.finish(),
    })
}
