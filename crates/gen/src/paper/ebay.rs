//! ebay.de: the August 2004 hijack, when the delegation pointed at foreign name servers
//! for about a day and a half.

use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::rr::RecordType;

use super::Scenario;
use super::calendar::{HOUR, unix_time};
use super::script::Script;
use crate::dns;
use crate::error::Result;

/// a.nic.de (today's address; DENIC's 2004 addresses are not reconstructed).
const A_NIC_DE: IpAddr = IpAddr::V4(Ipv4Addr::new(194, 0, 0, 53));

/// eBay's own name servers (names as in 2004; addresses from documentation space).
const EBAY_NS: [(&str, Ipv4Addr); 4] = [
    ("sjc-dns1.ebaydns.com", Ipv4Addr::new(203, 0, 113, 61)),
    ("sjc-dns2.ebaydns.com", Ipv4Addr::new(203, 0, 113, 62)),
    ("smf-dns1.ebaydns.com", Ipv4Addr::new(203, 0, 113, 63)),
    ("smf-dns2.ebaydns.com", Ipv4Addr::new(203, 0, 113, 64)),
];

/// The foreign name servers of the hijack (invented names under the reserved `.example`).
const FOREIGN_NS: [(&str, Ipv4Addr); 2] = [
    (
        "ns1.hijack-hosting.example",
        Ipv4Addr::new(198, 51, 100, 71),
    ),
    (
        "ns2.hijack-hosting.example",
        Ipv4Addr::new(198, 51, 100, 72),
    ),
];

const WWW_NORMAL: &str = "203.0.113.80";
const WWW_FOREIGN: &str = "198.51.100.80";

/// One round of lookups at `t`: the referral from a.nic.de and an authoritative answer from
/// one of the delegated servers for ebay.de NS and www.ebay.de A.
fn round(s: &mut Script, t: u64, ns: &[(&str, Ipv4Addr)], www: &str, k: usize) -> Result<()> {
    s.ask(t, A_NIC_DE, "www.ebay.de", RecordType::A, |mut r| {
        for (name, _) in ns {
            r = r.authority(dns::ns("ebay.de", *name, 86_400)?);
        }
        Ok(r)
    })?;
    let server = IpAddr::V4(ns[k % ns.len()].1);
    s.ask(t + 1, server, "ebay.de", RecordType::NS, |mut r| {
        r = r.authoritative(true);
        for (name, _) in ns {
            r = r.answer(dns::ns("ebay.de", *name, 86_400)?);
        }
        Ok(r)
    })?;
    s.ask(t + 2, server, "www.ebay.de", RecordType::A, |r| {
        Ok(r.authoritative(true)
            .answer(dns::a("www.ebay.de", www, 3600)?))
    })
}

pub(super) fn scenario() -> Result<Scenario> {
    let mut s = Script::new(0x6562_6179);
    let start = unix_time(2004, 8, 1, 0, 0);
    let hijack = unix_time(2004, 8, 28, 4, 0);
    let restored = unix_time(2004, 8, 29, 14, 0);
    let end = unix_time(2004, 9, 15, 0, 0);
    let mut k = 0;
    let mut t = start + s.jitter(HOUR);
    while t < end {
        let foreign = (hijack..restored).contains(&t);
        if foreign {
            round(&mut s, t, &FOREIGN_NS, WWW_FOREIGN, k)?;
            t += 2 * HOUR + s.jitter(HOUR);
        } else {
            round(&mut s, t, &EBAY_NS, WWW_NORMAL, k)?;
            let next = t + 6 * HOUR + s.jitter(2 * HOUR);
            // Do not skip over the start of the hijack.
            t = if t < hijack && next > hijack {
                hijack + s.jitter(HOUR)
            } else {
                next
            };
        }
        k += 1;
    }
    Ok(Scenario {
        name: "ebay",
        title: "ebay.de delegated to foreign name servers (August 2004)",
        description: "From 1 August to mid-September 2004 ebay.de is delegated by a.nic.de to \
            eBay's four name servers (sjc-dns1/2, smf-dns1/2.ebaydns.com), except for about \
            36 hours from 28 August 2004, when the delegation — and the servers' own NS set — \
            names two foreign name servers that also hand out another address for \
            www.ebay.de. Afterwards the original delegation is back. The rrset history \
            of ebay.de shows the short-lived foreign NS records with their first and last \
            sighting; the name-server lookup shows which other domains used them.",
        queries: vec![
            "query rrset ebay.de/NS",
            "query rrset www.ebay.de/A",
            "query rdata name ns1.hijack-hosting.example",
        ],
        exchanges: s.finish(),
    })
}
