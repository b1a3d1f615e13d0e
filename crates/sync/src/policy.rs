//! Sharing policy: what this node sends each partner, what it accepts from it, and the
//! restrictions each origin publishes for everyone who relays its records.
//!
//! A partner's [`PeerPolicy`] comes from this node's config. The zones withheld from a
//! partner are also *published*, as a small automerge document per origin
//! ([`Restrictions`]) that travels with the origin's records: a node relaying origin A's
//! records to B first checks A's published restrictions, so a record A withholds from B
//! never reaches B through a third node either. Each origin is the only author of its
//! document; replicas merge whatever versions they receive.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ReadDoc, ScalarValue, Value, transaction::Transactable};
use hearsay_record::{KeyParts, Name};

use crate::ProtocolError;

/// How this node treats one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerPolicy {
    /// The partner's origin name (its certificate's identity).
    pub name: String,
    /// Whether it may send entries of origins other than its own (relayed records).
    pub accept_relayed: bool,
    /// Whether this node sends it other origins' entries.
    pub relay: bool,
    /// Zones (and everything below them) never sent to it.
    pub withhold: Vec<Name>,
}

impl PeerPolicy {
    /// A partner that shares everything both ways, relaying included.
    pub fn open(name: &str) -> Self {
        PeerPolicy {
            name: name.to_owned(),
            accept_relayed: true,
            relay: true,
            withhold: Vec::new(),
        }
    }

    /// May this partner send entries of `origin`?
    pub fn check_origin(&self, origin: &str) -> Result<(), ProtocolError> {
        if origin == self.name || self.accept_relayed {
            Ok(())
        } else {
            Err(ProtocolError::ForbiddenOrigin(origin.to_owned()))
        }
    }
}

/// Is the owner of this record key `zone` or below it?
pub fn key_within(key: &[u8], zone: &Name) -> bool {
    match KeyParts::split(key) {
        Ok(parts) => parts.reversed_name.starts_with(&zone.reversed_prefix()),
        Err(_) => false,
    }
}

/// The node name in a rule that stands for every node.
pub const EVERYONE: &str = "*";

/// One origin's published restrictions: zone → the nodes that must never receive that
/// origin's records in the zone ([`EVERYONE`] for all of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    rules: BTreeMap<Name, BTreeSet<String>>,
}

impl Rules {
    /// Adds "records in `zone` never to `node`".
    pub fn deny(&mut self, zone: Name, node: &str) {
        self.rules.entry(zone).or_default().insert(node.to_owned());
    }

    /// May a record with this key go to `node`?
    pub fn allows(&self, key: &[u8], node: &str) -> bool {
        !self.rules.iter().any(|(zone, nodes)| {
            (nodes.contains(node) || nodes.contains(EVERYONE)) && key_within(key, zone)
        })
    }

    /// The zones withheld from `node` (its own rules and those for everyone).
    pub fn denied_to(&self, node: &str) -> Vec<Name> {
        self.rules
            .iter()
            .filter(|(_, nodes)| nodes.contains(node) || nodes.contains(EVERYONE))
            .map(|(z, _)| z.clone())
            .collect()
    }

    /// The rules as (zone, nodes).
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &BTreeSet<String>)> {
        self.rules.iter()
    }

    /// The rules a node publishes: its partners' withheld zones, and zones it withholds
    /// from other nodes (partners or not: `(zone, [])` means from everyone).
    pub fn from_config(peers: &[PeerPolicy], withhold: &[(Name, Vec<String>)]) -> Rules {
        let mut rules = Rules::default();
        for p in peers {
            for zone in &p.withhold {
                rules.deny(zone.clone(), &p.name);
            }
        }
        for (zone, nodes) in withhold {
            if nodes.is_empty() {
                rules.deny(zone.clone(), EVERYONE);
            }
            for n in nodes {
                rules.deny(zone.clone(), n);
            }
        }
        rules
    }
}

/// The automerge document carrying one origin's [`Rules`]: a flat map
/// `"<node> <zone>" → true` at the root.
#[derive(Debug)]
pub struct Restrictions {
    doc: AutoCommit,
}

impl Restrictions {
    /// An empty document.
    pub fn new() -> Self {
        Restrictions {
            doc: AutoCommit::new(),
        }
    }

    /// Loads a saved document.
    pub fn load(bytes: &[u8]) -> Result<Self, ProtocolError> {
        AutoCommit::load(bytes)
            .map(|doc| Restrictions { doc })
            .map_err(|_| ProtocolError::BadPolicy)
    }

    /// The saved document.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Makes the document say exactly `rules` (the author's update). Returns whether it
    /// changed.
    pub fn set(&mut self, rules: &Rules) -> bool {
        let wanted: BTreeSet<String> = rules
            .iter()
            .flat_map(|(zone, nodes)| nodes.iter().map(move |n| format!("{n} {zone}")))
            .collect();
        let current: BTreeSet<String> = self.doc.keys(automerge::ROOT).collect();
        let mut changed = false;
        for gone in current.difference(&wanted) {
            changed |= self.doc.delete(automerge::ROOT, gone.as_str()).is_ok();
        }
        for new in wanted.difference(&current) {
            changed |= self
                .doc
                .put(automerge::ROOT, new.as_str(), ScalarValue::Boolean(true))
                .is_ok();
        }
        changed
    }

    /// Merges another replica's version. Returns whether anything new came in.
    pub fn merge(&mut self, other: &mut Restrictions) -> Result<bool, ProtocolError> {
        // `AutoCommit::merge` returns the document's heads after the merge, not the
        // changes it applied: non-empty for any document with rules, even when nothing
        // was new. Compare the heads instead, or every Policy message counts as news and
        // is forwarded again, around every cycle of the federation, forever.
        let before = self.doc.get_heads();
        self.doc
            .merge(&mut other.doc)
            .map_err(|_| ProtocolError::BadPolicy)?;
        Ok(self.doc.get_heads() != before)
    }

    /// The rules the document says.
    pub fn rules(&self) -> Rules {
        let mut rules = Rules::default();
        for key in self.doc.keys(automerge::ROOT) {
            let live = matches!(self.doc.get(automerge::ROOT, key.as_str()), Ok(Some((Value::Scalar(v), _))) if matches!(v.as_ref(), ScalarValue::Boolean(true)));
            if !live {
                continue;
            }
            if let Some((node, zone)) = key.split_once(' ')
                && let Ok(zone) = Name::from_presentation(zone)
            {
                rules.deny(zone, node);
            }
        }
        rules
    }
}

impl Default for Restrictions {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_record::{Bailiwick, RecordKey, RrType};

    fn key(name: &str) -> Vec<u8> {
        RecordKey::new(
            Name::from_presentation(name).unwrap(),
            RrType::A,
            Bailiwick::Unknown,
            vec![10, 0, 0, 1],
        )
        .unwrap()
        .encode()
    }

    fn z(s: &str) -> Name {
        Name::from_presentation(s).unwrap()
    }

    #[test]
    fn rules_match_zones_and_nodes() {
        let mut r = Rules::default();
        r.deny(z("corp.example"), "b");
        assert!(!r.allows(&key("intranet.corp.example"), "b"));
        assert!(!r.allows(&key("corp.example"), "b"));
        assert!(r.allows(&key("intranet.corp.example"), "c"));
        assert!(r.allows(&key("notcorp.example"), "b"));
    }

    #[test]
    fn documents_carry_rules_and_merge() {
        let mut rules = Rules::default();
        rules.deny(z("corp.example"), "b");
        rules.deny(z("10.in-addr.arpa"), "b");
        let mut author = Restrictions::new();
        assert!(author.set(&rules));
        assert!(!author.set(&rules));
        let mut replica = Restrictions::load(&author.save()).unwrap();
        assert_eq!(replica.rules(), rules);
        // The author lifts one restriction; the replica learns it by merging.
        let mut fewer = Rules::default();
        fewer.deny(z("corp.example"), "b");
        author.set(&fewer);
        let mut update = Restrictions::load(&author.save()).unwrap();
        assert!(replica.merge(&mut update).unwrap());
        assert_eq!(replica.rules(), fewer);
        // The same version again is no news (else relays forward it forever).
        let mut again = Restrictions::load(&author.save()).unwrap();
        assert!(!replica.merge(&mut again).unwrap());
        assert!(Restrictions::load(b"garbage").is_err());
    }

    #[test]
    fn origins_a_peer_may_speak_for() {
        let mut p = PeerPolicy::open("b");
        assert!(p.check_origin("c").is_ok());
        p.accept_relayed = false;
        assert!(p.check_origin("b").is_ok());
        assert!(p.check_origin("c").is_err());
    }
}
