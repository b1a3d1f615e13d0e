//! The examples of Florian Weimer's "Passive DNS Replication" (FIRST 2005) as timed DNS
//! exchanges, so that a passive DNS database fed with them shows the paper's tables.
//!
//! **This data is a reconstruction.** The paper's exact figures are not available here;
//! the scenarios keep its examples and their point, with dates of the time (2004–2005, and
//! September 2003 for Site Finder, when it happened), well-known servers at their usual
//! addresses (root, gTLD, a.nic.de), and otherwise invented names under reserved or
//! obviously made-up domains and addresses from the documentation prefixes. The sensor side
//! (the resolver that asks) is always a documentation address and asks iteratively (RD
//! clear), as a sensor next to a recursive resolver sees it. Every response is well-formed
//! and passes a question-tied bailiwick check (records about the question name, its CNAME
//! chain and the zones above it), except for the planted record of `bogus-com` and the root's
//! glue for the gTLD servers (which lives under `net`, outside a `.com` question).
//!
//! | scenario | shows | query |
//! |---|---|---|
//! | `kimble` | kimble.org's A record hopping over 7 addresses (Nov 2004 – Jan 2005) | `query rrset kimble.org/A` |
//! | `ebay` | ebay.de delegated to foreign name servers for ~36 h (28 Aug 2004) | `query rrset ebay.de/NS` |
//! | `sitefinder` | nonexistent com/net names resolving to 64.94.110.11 (Sep 2003) | `query rdata ip 64.94.110.11` |
//! | `m-dns.us` | spam domains all delegated to ns1/ns2.m-dns.us | `query rdata name ns1.m-dns.us` |
//! | `bogus-com` | an NS record for `com.` from a server that is no com server | `query rrset com/NS` |
//! | `shared-ip` | www.enyo.de and static.enyo.de on 212.9.189.164 | `query rdata ip 212.9.189.164` |
//!
//! ```
//! use hearsay_gen::paper;
//!
//! let all = paper::scenarios()?;
//! assert!(all.iter().any(|s| s.name == "kimble"));
//! // Two sensors share the traffic; together they saw every frame.
//! let teams = paper::assign(2)?;
//! let total: usize = all.iter().map(|s| 2 * s.exchanges.len()).sum();
//! assert_eq!(teams[0].len() + teams[1].len(), total);
//! # Ok::<(), hearsay_gen::Error>(())
//! ```

mod bogus_com;
mod calendar;
mod ebay;
mod kimble;
mod mdns_us;
mod script;
mod shared_ip;
mod sitefinder;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub use bogus_com::BOGUS_NS;
pub use calendar::unix_time;
pub use script::SENSOR_RESOLVER;
pub use shared_ip::{SHARED_ADDR, SHARED_NAMES};
pub use sitefinder::{SITEFINDER_ADDR, SITEFINDER_IDN};

use crate::error::{Error, Result};
use crate::exchange::Exchange;
use crate::frame::Link;
use crate::time::Packet;

/// One example of the paper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Short identifier (`kimble`, `ebay`, …).
    pub name: &'static str,
    /// One line for a listing.
    pub title: &'static str,
    /// What the paper shows with it and what a database fed with it should display.
    pub description: &'static str,
    /// hearsay CLI queries that display it, e.g. `query rdata ip 212.9.189.164`.
    pub queries: Vec<&'static str>,
    /// The exchanges, in time order; the asking side is [`SENSOR_RESOLVER`].
    pub exchanges: Vec<Exchange>,
}

/// All scenarios, in a fixed order. Deterministic: the same bytes on every call.
pub fn scenarios() -> Result<Vec<Scenario>> {
    Ok(vec![
        kimble::scenario()?,
        ebay::scenario()?,
        sitefinder::scenario()?,
        mdns_us::scenario()?,
        bogus_com::scenario()?,
        shared_ip::scenario()?,
    ])
}

/// Ethernet/IPv4/UDP frames of a scenario (query and response of each exchange), in time
/// order.
pub fn frames(scenario: &Scenario) -> Result<Vec<Packet>> {
    frames_of(scenario.exchanges.iter(), &Link::ethernet())
}

fn frames_of<'a>(
    exchanges: impl Iterator<Item = &'a Exchange>,
    link: &Link,
) -> Result<Vec<Packet>> {
    let mut out = Vec::new();
    for ex in exchanges {
        out.extend(ex.packets(link)?);
    }
    out.sort_by_key(|p| p.ts);
    Ok(out)
}

/// The resolver address of team `team` (0-based) in [`assign`]: `192.0.2.11`, `192.0.2.12`, ….
pub fn team_resolver(team: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11 + (team % 200) as u8))
}

/// Splits the traffic of all [`scenarios`] among `team_count` sensors; see
/// [`assign_scenarios`].
pub fn assign(team_count: usize) -> Result<Vec<Vec<Packet>>> {
    assign_scenarios(&scenarios()?, team_count)
}

/// Splits the traffic of `scenarios` among `team_count` sensors, deterministically: exchange
/// `j` of scenario `i` goes to team `(i + j) % team_count`, so every scenario is spread over
/// all teams (each team's database holds part of every story and only replication completes
/// it). Each team's resolver is [`team_resolver`]; a query and its response always go to the
/// same team. Each team's frames are in time order.
pub fn assign_scenarios(scenarios: &[Scenario], team_count: usize) -> Result<Vec<Vec<Packet>>> {
    if team_count == 0 {
        return Err(Error::Invalid("at least one team is needed".into()));
    }
    let mut per_team: Vec<Vec<Exchange>> = vec![Vec::new(); team_count];
    for (i, s) in scenarios.iter().enumerate() {
        for (j, ex) in s.exchanges.iter().enumerate() {
            let team = (i + j) % team_count;
            let mut ex = ex.clone();
            ex.client = SocketAddr::new(team_resolver(team), ex.client.port());
            per_team[team].push(ex);
        }
    }
    per_team
        .iter()
        .map(|exs| frames_of(exs.iter(), &Link::ethernet()))
        .collect()
}
