//! Two names on one address: a reverse lookup by IP lists both.

use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::rr::RecordType;

use super::Scenario;
use super::calendar::{DAY, HOUR, unix_time};
use super::script::Script;
use crate::dns;
use crate::error::Result;

/// The address from the paper.
pub const SHARED_ADDR: &str = "212.9.189.164";
/// The names on it (a reconstruction: the domain is assumed to be the author's).
pub const SHARED_NAMES: [&str; 2] = ["www.enyo.de", "static.enyo.de"];

/// The zone's server (documentation address; its real name servers are not reproduced).
const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 164));

pub(super) fn scenario() -> Result<Scenario> {
    let mut s = Script::new(0x7368_6172);
    let start = unix_time(2004, 10, 4, 0, 0);
    let end = unix_time(2005, 1, 31, 0, 0);
    for (i, name) in SHARED_NAMES.iter().enumerate() {
        // www is looked up about every four days, static a little less often.
        let step = (4 + 2 * i as u64) * DAY;
        let mut t = start + i as u64 * 3 * DAY + s.jitter(DAY);
        while t < end {
            s.ask(t, SERVER, name, RecordType::A, |r| {
                Ok(r.authoritative(true)
                    .answer(dns::a(*name, SHARED_ADDR, 86_400)?))
            })?;
            t += step + s.jitter(12 * HOUR);
        }
    }
    Ok(Scenario {
        name: "shared-ip",
        title: "Which names point at 212.9.189.164?",
        description: "www.enyo.de and static.enyo.de both have the address 212.9.189.164 \
            (October 2004 to January 2005). Reverse DNS (a PTR record) names at most one of \
            them, and only if the address owner says so; the passive database answers the \
            question from what was actually resolved: a lookup by address lists both names.",
        queries: vec![
            "query rdata ip 212.9.189.164",
            "query rdata ip 212.9.189.0/24",
        ],
        exchanges: s.finish(),
    })
}
