//! Zone cuts learned from the traffic, for sensors above the resolver: which server
//! addresses serve which zones. Seeded with the root servers; every referral seen from a
//! server of zone Z that delegates a child C (NS records for C with glue, or name server
//! addresses learned elsewhere within Z) teaches which addresses serve C. A response from
//! a server then has a bailiwick — the deepest zone it is known to serve that contains
//! the question — and records outside it are dropped: an authoritative server for
//! `example.com` cannot tell us anything about `bank.example`.
//!
//! Memory is bounded: at most `max_entries` zones per table, the least recently
//! confirmed forgotten first; knowledge also expires after `lifetime` seconds of packet
//! time without confirmation.

use std::collections::HashMap;
use std::net::IpAddr;

use hearsay_record::Name;

/// The root servers' addresses (IANA root hints, 2024): the zone `.` they serve seeds
/// the chain of delegations.
const ROOT_SERVERS: [&str; 26] = [
    "198.41.0.4",
    "2001:503:ba3e::2:30",
    "170.247.170.2",
    "2801:1b8:10::b",
    "192.33.4.12",
    "2001:500:2::c",
    "199.7.91.13",
    "2001:500:2d::d",
    "192.203.230.10",
    "2001:500:a8::e",
    "192.5.5.241",
    "2001:500:2f::f",
    "192.112.36.4",
    "2001:500:12::d0d",
    "198.97.190.53",
    "2001:500:1::53",
    "192.36.148.17",
    "2001:7fe::53",
    "192.58.128.30",
    "2001:503:c27::2:30",
    "193.0.14.129",
    "2001:7fd::1",
    "199.7.83.42",
    "2001:500:9f::42",
    "202.12.27.33",
    "2001:dc3::35",
];

/// What the zone cut tracker knows.
#[derive(Debug, Clone)]
pub struct ZoneCuts {
    /// Server address → zones it serves (with the packet time last confirmed).
    servers: HashMap<IpAddr, Vec<(Name, u64)>>,
    /// Name server host → its addresses.
    hosts: HashMap<Name, Vec<(IpAddr, u64)>>,
    /// Zone → its name server hosts.
    delegations: HashMap<Name, Vec<Name>>,
    max_entries: usize,
    lifetime: u64,
}

/// A zone learned or confirmed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ZoneStats {
    /// Delegations seen (zone → name servers).
    pub delegations: u64,
    /// Server addresses learned for a zone.
    pub server_zones: u64,
    /// Entries dropped to stay within bounds.
    pub evicted: u64,
}

impl Default for ZoneCuts {
    fn default() -> Self {
        Self::with_root_hints()
    }
}

impl ZoneCuts {
    /// Knowing only the root servers.
    pub fn with_root_hints() -> Self {
        let mut z = ZoneCuts {
            servers: HashMap::new(),
            hosts: HashMap::new(),
            delegations: HashMap::new(),
            max_entries: 200_000,
            lifetime: 7 * 86_400,
        };
        for a in ROOT_SERVERS {
            if let Ok(addr) = a.parse() {
                // Root hints never expire.
                z.servers
                    .entry(addr)
                    .or_default()
                    .push((Name::root(), u64::MAX));
            }
        }
        z
    }

    /// Sets the bounds.
    pub fn bounded(mut self, max_entries: usize, lifetime_secs: u64) -> Self {
        self.max_entries = max_entries.max(16);
        self.lifetime = lifetime_secs;
        self
    }

    /// The deepest zone `server` is known to serve that contains `qname`.
    pub fn zone_for(&self, server: IpAddr, qname: &Name, now: u64) -> Option<&Name> {
        self.servers
            .get(&server)?
            .iter()
            .filter(|(zone, seen)| {
                qname.is_within(zone) && seen.saturating_add(self.lifetime) >= now
            })
            .max_by_key(|(zone, _)| zone.label_count())
            .map(|(zone, _)| zone)
    }

    /// Learns from the accepted records of a response served from `zone`: NS records of
    /// child zones and of the zone itself (delegations), and addresses of name server
    /// hosts within the zone (glue).
    pub fn learn(
        &mut self,
        zone: &Name,
        ns: &[(Name, Name)],
        addresses: &[(Name, IpAddr)],
        now: u64,
        stats: &mut ZoneStats,
    ) {
        for (host, addr) in addresses {
            if !host.is_within(zone) {
                continue;
            }
            let list = self.hosts.entry(host.clone()).or_default();
            match list.iter_mut().find(|(a, _)| a == addr) {
                Some(e) => e.1 = now,
                None => list.push((*addr, now)),
            }
        }
        let mut touched: Vec<Name> = Vec::new();
        for (owner, host) in ns {
            if !owner.is_within(zone) {
                continue;
            }
            let hosts = self.delegations.entry(owner.clone()).or_default();
            if !hosts.contains(host) {
                hosts.push(host.clone());
                stats.delegations += 1;
            }
            if !touched.contains(owner) {
                touched.push(owner.clone());
            }
        }
        // Every address of every name server of a touched zone serves it.
        for child in touched {
            let hosts = self.delegations.get(&child).cloned().unwrap_or_default();
            for host in hosts {
                let addrs: Vec<IpAddr> = self
                    .hosts
                    .get(&host)
                    .map(|l| l.iter().map(|(a, _)| *a).collect())
                    .unwrap_or_default();
                for addr in addrs {
                    let zones = self.servers.entry(addr).or_default();
                    match zones.iter_mut().find(|(z, _)| *z == child) {
                        Some(e) => e.1 = e.1.max(now),
                        None => {
                            zones.push((child.clone(), now));
                            stats.server_zones += 1;
                        }
                    }
                }
            }
        }
        self.bound(stats);
    }

    /// Keeps each table within `max_entries` by forgetting the stalest entries.
    fn bound(&mut self, stats: &mut ZoneStats) {
        if self.servers.len() > self.max_entries {
            let mut by_age: Vec<(IpAddr, u64)> = self
                .servers
                .iter()
                .map(|(a, z)| (*a, z.iter().map(|(_, t)| *t).max().unwrap_or(0)))
                .collect();
            by_age.sort_by_key(|(_, t)| *t);
            for (addr, _) in by_age
                .into_iter()
                .take(self.servers.len() - self.max_entries / 2)
            {
                self.servers.remove(&addr);
                stats.evicted += 1;
            }
        }
        if self.hosts.len() > self.max_entries {
            let mut by_age: Vec<(Name, u64)> = self
                .hosts
                .iter()
                .map(|(h, a)| (h.clone(), a.iter().map(|(_, t)| *t).max().unwrap_or(0)))
                .collect();
            by_age.sort_by_key(|(_, t)| *t);
            for (host, _) in by_age
                .into_iter()
                .take(self.hosts.len() - self.max_entries / 2)
            {
                self.hosts.remove(&host);
                stats.evicted += 1;
            }
        }
        if self.delegations.len() > self.max_entries {
            let excess = self.delegations.len() - self.max_entries / 2;
            let victims: Vec<Name> = self.delegations.keys().take(excess).cloned().collect();
            for v in victims {
                self.delegations.remove(&v);
                stats.evicted += 1;
            }
        }
    }

    /// Zones known (for status).
    pub fn len(&self) -> usize {
        self.delegations.len()
    }

    /// Knows nothing beyond the root hints?
    pub fn is_empty(&self) -> bool {
        self.delegations.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::from_presentation(s).unwrap()
    }

    #[test]
    fn a_chain_of_referrals_teaches_the_zone_cuts() {
        let mut z = ZoneCuts::with_root_hints();
        let mut stats = ZoneStats::default();
        let root: IpAddr = "198.41.0.4".parse().unwrap();
        assert_eq!(
            z.zone_for(root, &n("www.example.com"), 0),
            Some(&Name::root())
        );
        // The root refers com to a.gtld-servers.net with glue.
        z.learn(
            &Name::root(),
            &[(n("com"), n("a.gtld-servers.net"))],
            &[(n("a.gtld-servers.net"), "192.5.6.30".parse().unwrap())],
            10,
            &mut stats,
        );
        let gtld: IpAddr = "192.5.6.30".parse().unwrap();
        assert_eq!(z.zone_for(gtld, &n("www.example.com"), 10), Some(&n("com")));
        assert_eq!(z.zone_for(gtld, &n("www.example.org"), 10), None);
        // com refers example.com to ns1.example.com (in-bailiwick glue).
        z.learn(
            &n("com"),
            &[(n("example.com"), n("ns1.example.com"))],
            &[(n("ns1.example.com"), "192.0.2.53".parse().unwrap())],
            20,
            &mut stats,
        );
        let ns1: IpAddr = "192.0.2.53".parse().unwrap();
        assert_eq!(
            z.zone_for(ns1, &n("www.example.com"), 20),
            Some(&n("example.com"))
        );
        // Glue outside the referring zone teaches nothing.
        z.learn(
            &n("com"),
            &[(n("evil.com"), n("ns.evil.net"))],
            &[(n("ns.evil.net"), "203.0.113.66".parse().unwrap())],
            30,
            &mut stats,
        );
        assert_eq!(
            z.zone_for("203.0.113.66".parse().unwrap(), &n("www.evil.com"), 30),
            None
        );
        // Knowledge expires.
        let z = z.bounded(16, 100);
        assert_eq!(z.zone_for(ns1, &n("www.example.com"), 500), None);
        assert_eq!(stats.delegations, 3);
    }

    #[test]
    fn tables_stay_bounded() {
        let mut z = ZoneCuts::with_root_hints().bounded(100, u64::MAX);
        let mut stats = ZoneStats::default();
        for i in 0..10_000u32 {
            let child = n(&format!("zone{i}.com"));
            let host = n(&format!("ns.zone{i}.com"));
            let addr = IpAddr::from(i.to_be_bytes());
            z.learn(
                &n("com"),
                &[(child, host.clone())],
                &[(host, addr)],
                u64::from(i),
                &mut stats,
            );
        }
        assert!(z.servers.len() <= 100 + 26);
        assert!(z.hosts.len() <= 101);
        assert!(stats.evicted > 0);
    }
}
