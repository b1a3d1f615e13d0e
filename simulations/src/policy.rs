//! Sharing policies of a simulated federation, in the simulator's own terms (zone
//! classes and node indices), and their translation into the `hearsay-sync` config.
//!
//! [`Policies::may_send`] restates the export rules of DESIGN.md ("Replication",
//! "Export policy") and of `crates/sync` — a node sends a partner its own entries, and
//! other origins' entries only if it relays to that partner and the partner accepts
//! relayed records; never a zone it withholds from that partner; never a zone the
//! *origin* withholds from that partner (the origin's published rules: its per-partner
//! withheld zones and its `SyncConfig::withhold`). The expected state and the
//! continuous checks are computed from this restatement, not by asking a node.

use std::collections::BTreeMap;

use hearsay_record::Name;
use hearsay_sync::{PeerPolicy, SyncConfig};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::workload::Zones;

/// How a node treats one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// It sends the partner other origins' entries.
    pub relay: bool,
    /// It accepts other origins' entries from the partner.
    pub accept_relayed: bool,
    /// Zone classes it never sends the partner (any origin's records).
    pub withhold: Vec<usize>,
}

impl Share {
    fn open() -> Self {
        Share {
            relay: true,
            accept_relayed: true,
            withhold: Vec::new(),
        }
    }
}

/// Every node's policy.
#[derive(Debug, Clone)]
pub struct Policies {
    /// `partner[node][partner]`.
    pub partner: Vec<BTreeMap<usize, Share>>,
    /// Per node, the zone classes it withholds from nodes that need not be its partners
    /// (its own records only): class and nodes, no nodes = everyone.
    pub withhold: Vec<Vec<(usize, Vec<usize>)>>,
}

impl Policies {
    /// Everyone shares everything with every partner, relaying included.
    pub fn open(n: usize, links: &[(usize, usize)]) -> Self {
        let mut partner = vec![BTreeMap::new(); n];
        for &(a, b) in links {
            partner[a].insert(b, Share::open());
            partner[b].insert(a, Share::open());
        }
        Policies {
            partner,
            withhold: vec![Vec::new(); n],
        }
    }

    /// A mix: some partners are not relayed to or not accepted relayed records from,
    /// teams withhold their internal zone from some partners and from named non-partners,
    /// a private zone from everyone, a shared sensitive zone from some; relays also
    /// withhold other teams' internal zones from some partners.
    pub fn mixed(n: usize, links: &[(usize, usize)], zones: &Zones, rng: &mut ChaCha8Rng) -> Self {
        let mut p = Policies::open(n, links);
        for o in 0..n {
            let partners: Vec<usize> = p.partner[o].keys().copied().collect();
            for peer in partners {
                let mut share = Share {
                    relay: rng.random_bool(0.75),
                    accept_relayed: rng.random_bool(0.85),
                    withhold: Vec::new(),
                };
                if rng.random_bool(0.35) {
                    share.withhold.push(zones.corp(o));
                }
                if rng.random_bool(0.15) {
                    share.withhold.push(zones.shared());
                }
                if n > 1 && rng.random_bool(0.1) {
                    let x = (o + rng.random_range(1..n)) % n;
                    share.withhold.push(zones.corp(x));
                }
                p.partner[o].insert(peer, share);
            }
            let others = |rng: &mut ChaCha8Rng, k: usize| -> Vec<usize> {
                let mut v: Vec<usize> = (0..k)
                    .filter(|_| n > 1)
                    .map(|_| (o + rng.random_range(1..n)) % n)
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            if rng.random_bool(0.7) {
                p.withhold[o].push((zones.private(o), Vec::new()));
            }
            if rng.random_bool(0.5) {
                let nodes = others(rng, 2);
                p.withhold[o].push((zones.corp(o), nodes));
            }
            if rng.random_bool(0.3) {
                let nodes = others(rng, 1);
                p.withhold[o].push((zones.shared(), nodes));
            }
        }
        p
    }

    /// No withheld zone anywhere and full relaying both ways on every link.
    pub fn is_open(&self) -> bool {
        self.withhold.iter().all(Vec::is_empty)
            && self
                .partner
                .iter()
                .flat_map(|m| m.values())
                .all(|s| *s == Share::open())
    }

    /// Does origin `o`'s published rules withhold class `c` from node `y`?
    pub fn origin_denies(&self, o: usize, c: usize, y: usize) -> bool {
        self.partner[o]
            .get(&y)
            .is_some_and(|s| s.withhold.contains(&c))
            || self.withhold[o]
                .iter()
                .any(|(cc, nodes)| *cc == c && (nodes.is_empty() || nodes.contains(&y)))
    }

    /// May `r` send its partner `y` origin `o`'s entries in class `c`?
    pub fn may_send(&self, r: usize, y: usize, o: usize, c: usize) -> bool {
        let (Some(to), Some(from)) = (self.partner[r].get(&y), self.partner[y].get(&r)) else {
            return false;
        };
        if o == y || (o != r && !(to.relay && from.accept_relayed)) {
            return false;
        }
        !to.withhold.contains(&c) && !self.origin_denies(o, c, y)
    }

    /// Node `i`'s partners as `hearsay-sync` sees them.
    pub fn peer_policies(&self, i: usize, names: &[String], zones: &Zones) -> Vec<PeerPolicy> {
        self.partner[i]
            .iter()
            .map(|(p, s)| PeerPolicy {
                name: names[*p].clone(),
                accept_relayed: s.accept_relayed,
                relay: s.relay,
                withhold: s.withhold.iter().map(|c| zones.name(*c)).collect(),
            })
            .collect()
    }

    /// Node `i`'s `hearsay-sync` configuration.
    pub fn sync_config(&self, i: usize, names: &[String], zones: &Zones) -> SyncConfig {
        let mut config = SyncConfig::new(self.peer_policies(i, names, zones));
        config.withhold = self.withhold[i]
            .iter()
            .map(|(c, nodes)| -> (Name, Vec<String>) {
                (
                    zones.name(*c),
                    nodes.iter().map(|n| names[*n].clone()).collect(),
                )
            })
            .collect();
        config
    }
}

impl Policies {
    /// The links and policies, one line per node, for replaying a failure.
    pub fn describe(&self, names: &[String], zones: &crate::workload::Zones) -> String {
        let mut out = String::new();
        for (i, partners) in self.partner.iter().enumerate() {
            let mut parts = Vec::new();
            for (p, s) in partners {
                let mut flags = String::new();
                if !s.relay {
                    flags += " no-relay";
                }
                if !s.accept_relayed {
                    flags += " no-relayed-in";
                }
                for c in &s.withhold {
                    flags += &format!(" -{}", zones.name(*c));
                }
                parts.push(format!("{}{flags}", names[*p]));
            }
            let withhold: Vec<String> = self.withhold[i]
                .iter()
                .map(|(c, nodes)| {
                    let who: Vec<&str> = nodes.iter().map(|n| names[*n].as_str()).collect();
                    let who = if who.is_empty() {
                        "*".to_owned()
                    } else {
                        who.join(",")
                    };
                    format!("{} from {who}", zones.name(*c))
                })
                .collect();
            out += &format!(
                "    {}: partners [{}]; withholds [{}]\n",
                names[i],
                parts.join("; "),
                withhold.join("; ")
            );
        }
        out
    }
}
