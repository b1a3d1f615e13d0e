//! VeriSign's Site Finder (15 September – 4 October 2003): a wildcard in com and net made
//! every nonexistent name resolve to 64.94.110.11.

use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use super::Scenario;
use super::calendar::{HOUR, unix_time};
use super::script::Script;
use crate::dns::{self, Response};
use crate::error::Result;

const A_GTLD: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 5, 6, 30));
const B_GTLD: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 33, 14, 30));
/// The Site Finder address.
pub const SITEFINDER_ADDR: &str = "64.94.110.11";
/// The target of wildcard CNAMEs for internationalised names.
pub const SITEFINDER_IDN: &str = "sitefinder-idn.verisign.com";

/// Names that did not exist (invented; mistyped and made-up names as users type them).
const TYPOS: [&str; 10] = [
    "no-such-domain-2003.com",
    "www.no-such-domain-2003.com",
    "wwwnonexistent-shop.com",
    "this-name-does-not-exist-7.com",
    "qwzxv-mail.com",
    "tpyo-example-bank.com",
    "no-such-isp-name.net",
    "zzz-nonexistent-host.net",
    "www.qpqp-typo.net",
    "mial-example-typo.com",
];
/// Internationalised (punycode) names, answered with a CNAME.
const IDN: [&str; 3] = [
    "xn--nonexistent-bcher-typo.com",
    "xn--mller-typo-kva.com",
    "www.xn--caf-typo-dma.com",
];

fn tld(name: &str) -> &'static str {
    if name.ends_with(".net") { "net" } else { "com" }
}

fn with_tld_ns(r: Response, tld: &str) -> Result<Response> {
    Ok(r.authority(dns::ns(tld, "a.gtld-servers.net", 172_800)?)
        .authority(dns::ns(tld, "b.gtld-servers.net", 172_800)?))
}

fn nxdomain(r: Response, tld: &str) -> Result<Response> {
    Ok(r.rcode(ResponseCode::NXDomain)
        .authoritative(true)
        .authority(dns::soa(
            tld,
            "a.gtld-servers.net",
            "nstld.verisign-grs.com",
            2_003_100_400,
            900,
        )?))
}

pub(super) fn scenario() -> Result<Scenario> {
    let mut s = Script::new(0x7369_7465);
    let before = unix_time(2003, 9, 8, 0, 0);
    let on = unix_time(2003, 9, 15, 22, 0);
    let off = unix_time(2003, 10, 4, 2, 0);
    let after_end = unix_time(2003, 10, 11, 0, 0);
    let servers = [A_GTLD, B_GTLD];
    let mut k = 0;
    for (i, name) in TYPOS.iter().chain(IDN.iter()).enumerate() {
        let idn = i >= TYPOS.len();
        let t = tld(name);
        // A negative answer the week before, for some names.
        if i % 3 == 0 {
            let at = before + s.jitter(on - before);
            s.ask(at, servers[k % 2], name, RecordType::A, |r| nxdomain(r, t))?;
            k += 1;
        }
        // While the wildcard is on: 2–6 sightings.
        for _ in 0..s.range(2, 7) {
            let at = on + s.jitter(off - on);
            s.ask(at, servers[k % 2], name, RecordType::A, |r| {
                let r = r.authoritative(true);
                let r = if idn {
                    r.answer(dns::cname(*name, SITEFINDER_IDN, 900)?)
                        .answer(dns::a(SITEFINDER_IDN, SITEFINDER_ADDR, 900)?)
                } else {
                    r.answer(dns::a(*name, SITEFINDER_ADDR, 900)?)
                };
                with_tld_ns(r, t)
            })?;
            k += 1;
        }
        // Gone again afterwards.
        let at = off + HOUR + s.jitter(after_end - off - HOUR);
        s.ask(at, servers[k % 2], name, RecordType::A, |r| nxdomain(r, t))?;
        k += 1;
    }
    Ok(Scenario {
        name: "sitefinder",
        title: "Site Finder: a wildcard for all of com and net (September 2003)",
        description: "From 15 September to 4 October 2003 the com and net servers answered \
            queries for names that do not exist with 64.94.110.11 (VeriSign's Site Finder), \
            and internationalised names with a CNAME to sitefinder-idn.verisign.com. Before \
            and after, the same names are NXDOMAIN. The address lookup lists the many \
            unrelated, mistyped names that all resolved to the one address; the name lookup \
            lists the CNAMEs to the Site Finder host.",
        queries: vec![
            "query rdata ip 64.94.110.11",
            "query rdata name sitefinder-idn.verisign.com",
        ],
        exchanges: s.finish(),
    })
}
