//! Which records of a response are believable without knowing the server's zone.
//!
//! A response proves little about names it was not asked about. Without a bailiwick
//! oracle (below the resolver, or importing a file) the rules are tied to the question:
//!
//! * **answer**: records owned by the question name or by a name on its CNAME chain
//!   (and DNAMEs owned by an ancestor of a chain name);
//! * **authority**: NS, SOA and DS owned by the question name or one of its ancestors
//!   (the zones the response speaks for), and other records (NSEC, NSEC3, RRSIG, …)
//!   inside one of those zones;
//! * **additional**: records inside those zones or below the question name — glue for a
//!   name server outside the zone asked about is never taken, which is what a
//!   Kaminsky-style response relies on.

use hearsay_record::RrType;

use crate::ParseStats;
use crate::message::{Decoded, Rr, Section};
use crate::wire::{NameBuf, read_name};

/// Marks in `keep` which records of `decoded` pass the rules (same order as
/// `decoded.records`), counting the ones that do not.
/// With `server_zone` (above the resolver, the zone the answering server is known to
/// serve), every record must also lie inside that zone, and in-zone glue is taken.
pub(crate) fn select(
    decoded: &Decoded,
    stats: &mut ParseStats,
    keep: &mut Vec<bool>,
    server_zone: Option<&NameBuf>,
) {
    keep.clear();
    keep.resize(decoded.records.len(), false);
    let Some(qname) = decoded.qname.as_ref() else {
        return;
    };

    let chain = answer_chain(decoded, qname, keep);
    let zones = authority_zones(decoded, &chain);
    for (i, rr) in decoded.records.iter().enumerate() {
        match rr.section {
            Section::Answer => {
                if !keep[i] {
                    stats.rejected_off_chain += 1;
                }
            }
            Section::Authority => {
                keep[i] = authority_ok(rr, &chain, &zones);
                if !keep[i] {
                    stats.rejected_authority += 1;
                }
            }
            Section::Additional => {
                // OPT is not data; it is counted by the caller, not as a rejection.
                if rr.head.rrtype == RrType::OPT.0 {
                    keep[i] = true;
                    continue;
                }
                keep[i] = match server_zone {
                    Some(z) => rr.owner.is_within(z),
                    None => {
                        rr.owner.is_within(qname) || zones.iter().any(|z| rr.owner.is_within(z))
                    }
                };
                if !keep[i] {
                    stats.rejected_additional += 1;
                }
            }
        }
    }
    if let Some(zone) = server_zone {
        for (i, rr) in decoded.records.iter().enumerate() {
            if keep[i] && rr.head.rrtype != RrType::OPT.0 && !rr.owner.is_within(zone) {
                keep[i] = false;
                stats.rejected_out_of_zone += 1;
            }
        }
    }
}

/// Follows the question name through CNAMEs (and DNAMEs) in the answer section,
/// marking the answer records on the chain in `keep`; returns the chain's names.
fn answer_chain(decoded: &Decoded, qname: &NameBuf, keep: &mut [bool]) -> Vec<NameBuf> {
    let mut chain = vec![qname.clone()];
    let mut target = NameBuf::new();
    // Each pass may extend the chain; records can come in any order, so repeat until
    // nothing changes (bounded by the number of answers).
    loop {
        let mut grew = false;
        for (i, rr) in decoded.records.iter().enumerate() {
            if rr.section != Section::Answer || keep[i] {
                continue;
            }
            let on_chain = if rr.head.rrtype == RrType::DNAME.0 {
                chain
                    .iter()
                    .any(|n| n.is_within(&rr.owner) && *n != rr.owner)
            } else {
                chain.contains(&rr.owner)
            };
            if !on_chain {
                continue;
            }
            keep[i] = true;
            grew = true;
            if rr.head.rrtype == RrType::CNAME.0
                && read_name(decoded.rdata_of(rr), 0, &mut target).is_ok()
                && !chain.contains(&target)
            {
                chain.push(target.clone());
            }
        }
        if !grew {
            return chain;
        }
    }
}

/// The zones the authority section speaks for: owners of NS and SOA records that are a
/// chain name or one of its ancestors.
fn authority_zones(decoded: &Decoded, chain: &[NameBuf]) -> Vec<NameBuf> {
    let mut zones: Vec<NameBuf> = Vec::new();
    for rr in &decoded.records {
        if rr.section == Section::Authority
            && (rr.head.rrtype == RrType::NS.0 || rr.head.rrtype == RrType::SOA.0)
            && chain.iter().any(|n| n.is_within(&rr.owner))
            && !zones.contains(&rr.owner)
        {
            zones.push(rr.owner.clone());
        }
    }
    zones
}

fn authority_ok(rr: &Rr, chain: &[NameBuf], zones: &[NameBuf]) -> bool {
    match RrType(rr.head.rrtype) {
        RrType::NS | RrType::SOA | RrType::DS => chain.iter().any(|n| n.is_within(&rr.owner)),
        _ => zones.iter().any(|z| rr.owner.is_within(z)),
    }
}
