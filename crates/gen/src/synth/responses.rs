//! Encoding the response for one (name, answer set): built once with hickory, then cached.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Record, RecordType};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::population::{Entry, Kind, NxZone, Population, SERVICES, stream};
use super::words::{doc_v6, public_v4, token};
use crate::dns::{self, Response, SvcParams};
use crate::error::Result;

/// A resolver's answer to a stub: RD and RA set, not authoritative, ID 0 (patched per use).
fn resolver_response(qname: &str, qtype: RecordType) -> Result<Response> {
    Ok(Response::new(0, qname, qtype)?.recursion(true, true))
}

/// 1–4, mostly 1.
fn address_count(r: &mut ChaCha8Rng) -> usize {
    match r.random_range(0..20) {
        0..10 => 1,
        10..15 => 2,
        15..18 => 3,
        _ => 4,
    }
}

/// `n` addresses out of a pool of `n + variants - 1`, as a window sliding with `variant`:
/// the name shows several addresses over time, neighbouring answer sets overlap.
fn window<T: Copy>(
    r: &mut ChaCha8Rng,
    variants: u8,
    variant: usize,
    mut make: impl FnMut(&mut ChaCha8Rng) -> T,
) -> Vec<T> {
    let n = address_count(r);
    let pool_len = n + usize::from(variants.max(1)) - 1;
    let pool: Vec<T> = (0..pool_len).map(|_| make(r)).collect();
    (0..n).map(|j| pool[(variant + j) % pool_len]).collect()
}

fn v4_set(r: &mut ChaCha8Rng, e: &Entry, variant: usize) -> Vec<Ipv4Addr> {
    window(r, e.variants, variant, public_v4)
}

fn v6_set(r: &mut ChaCha8Rng, e: &Entry, variant: usize) -> Vec<Ipv6Addr> {
    let site = r.random();
    window(r, e.variants, variant, |r| doc_v6(r, site))
}

fn address_records(
    r: &mut ChaCha8Rng,
    e: &Entry,
    variant: usize,
    owner: &str,
    qtype: RecordType,
    ttl: u32,
) -> Result<Vec<Record>> {
    if qtype == RecordType::AAAA {
        v6_set(r, e, variant)
            .into_iter()
            .map(|a| dns::aaaa(owner, a, ttl))
            .collect()
    } else {
        v4_set(r, e, variant)
            .into_iter()
            .map(|a| dns::a(owner, a, ttl))
            .collect()
    }
}

fn zone_soa(zone: &str, serial: u32) -> Result<Record> {
    dns::soa(
        zone,
        format!("ns1.{zone}"),
        format!("hostmaster.{zone}"),
        serial,
        3600,
    )
}

fn tld_soa(tld: &str) -> Result<Record> {
    if tld == "com" || tld == "net" {
        dns::soa(
            tld,
            "a.gtld-servers.net",
            "nstld.verisign-grs.com",
            1_735_689_600,
            900,
        )
    } else {
        dns::soa(
            tld,
            format!("a0.nic.{tld}"),
            format!("hostmaster.nic.{tld}"),
            2_025_010_100,
            900,
        )
    }
}

/// The encoded response for entry `idx`'s answer set `variant` (message ID 0).
pub(crate) fn build(pop: &Population, seed: u64, idx: usize, variant: usize) -> Result<Vec<u8>> {
    let e = &pop.entries[idx];
    // Everything about the name comes from its own stream: the same bytes whatever order
    // names are first asked in.
    let mut r = stream(seed, idx as u64, 0x7265_7370);
    let r = &mut r;
    let d = pop.domains[e.domain as usize].as_str();
    let q = e.qname.as_str();
    let resp = resolver_response(q, e.qtype)?;
    let serial = 2_024_010_100 + r.random_range(0..900);
    let resp = match e.kind {
        Kind::A | Kind::Aaaa => resp.answers(address_records(r, e, variant, q, e.qtype, e.ttl)?),
        Kind::Cname => {
            let cdn = &pop.cdns[r.random_range(0..pop.cdns.len())];
            let links = match r.random_range(0..20) {
                0..10 => 1,
                10..17 => 2,
                _ => 3,
            };
            let t = token(r, 6, true);
            let chain = [
                q.to_owned(),
                format!("{t}.{cdn}"),
                format!("{t}.edge.{cdn}"),
                format!("e{}.g.{cdn}", r.random_range(1..9999)),
            ];
            let mut resp = resp;
            for w in chain[..=links].windows(2) {
                resp = resp.answer(dns::cname(&w[0], &w[1], e.ttl.max(300))?);
            }
            let last = &chain[links];
            resp.answers(address_records(r, e, variant, last, e.qtype, 60)?)
        }
        Kind::Mx => {
            let n = r.random_range(1..=3u16);
            let hosted = r.random_bool(0.3);
            let mut resp = resp;
            for i in 1..=n {
                let target = if hosted {
                    let h = &pop.mail_hosters[r.random_range(0..pop.mail_hosters.len())];
                    format!("mx{i}.{h}")
                } else {
                    format!("mx{i}.{d}")
                };
                resp = resp.answer(dns::mx(q, 10 * i, &target, e.ttl)?);
                if !hosted {
                    resp = resp.additional(dns::a(&target, public_v4(r), e.ttl)?);
                }
            }
            resp
        }
        Kind::Ns => {
            let n = r.random_range(2..=4u16);
            let hosted = r.random_bool(0.4);
            let hoster = &pop.dns_hosters[r.random_range(0..pop.dns_hosters.len())];
            let mut resp = resp;
            for i in 1..=n {
                let target = if hosted {
                    format!("ns{i}.{hoster}")
                } else {
                    format!("ns{i}.{d}")
                };
                resp = resp.answer(dns::ns(q, &target, 86_400)?);
                if !hosted {
                    resp = resp.additional(dns::a(&target, public_v4(r), 86_400)?);
                    if r.random_bool(0.3) {
                        let site = r.random();
                        resp = resp.additional(dns::aaaa(&target, doc_v6(r, site), 86_400)?);
                    }
                }
            }
            resp
        }
        Kind::Txt => {
            if q.starts_with("_dmarc.") {
                let policy = ["none", "quarantine", "reject"][r.random_range(0..3)];
                let text = format!("v=DMARC1; p={policy}; rua=mailto:dmarc@{d}");
                resp.answer(dns::txt(q, &[&text], e.ttl)?)
            } else {
                let h = &pop.mail_hosters[r.random_range(0..pop.mail_hosters.len())];
                let ip = public_v4(r).octets();
                let spf = format!(
                    "v=spf1 include:_spf.{h} ip4:{}.{}.{}.0/24 ~all",
                    ip[0], ip[1], ip[2]
                );
                let mut resp = resp.answer(dns::txt(q, &[&spf], e.ttl)?);
                if r.random_bool(0.5) {
                    let v = format!("site-verification={}", token(r, 43, true));
                    resp = resp.answer(dns::txt(q, &[&v], e.ttl)?);
                }
                resp
            }
        }
        Kind::Ptr => {
            let target = ptr_target(q, d);
            resp.answer(dns::ptr(q, &target, e.ttl.max(3600))?)
        }
        Kind::Srv => {
            let port = SERVICES
                .iter()
                .find(|(s, _)| q.starts_with(s))
                .map_or(443, |(_, p)| *p);
            let mut resp = resp;
            for i in 1..=r.random_range(1..=2u16) {
                let target = format!("srv{i}.{d}");
                let weight = if i == 1 { 60 } else { 40 };
                resp = resp
                    .answer(dns::srv(q, 10, weight, port, &target, e.ttl)?)
                    .additional(dns::a(&target, public_v4(r), e.ttl)?);
            }
            resp
        }
        Kind::Https => {
            let mut params = SvcParams::alpn(&["h2", "h3"]);
            params.ipv4hint = v4_set(r, e, variant);
            if r.random_bool(0.5) {
                params.ipv6hint = v6_set(r, e, variant);
            }
            resp.answer(dns::https(q, 1, ".", &params, e.ttl)?)
        }
        Kind::Caa => {
            let mut resp = resp.answer(dns::caa(q, 0, "issue", "letsencrypt.org", e.ttl)?);
            if r.random_bool(0.5) {
                resp = resp.answer(dns::caa(q, 0, "issuewild", ";", e.ttl)?);
            }
            if r.random_bool(0.3) {
                let iodef = format!("mailto:security@{d}");
                resp = resp.answer(dns::caa(q, 0, "iodef", &iodef, e.ttl)?);
            }
            resp
        }
        Kind::Nodata => resp.authority(zone_soa(d, serial)?),
    };
    resp.to_bytes()
}

/// A PTR target for a reverse name: `a-b-c-d.dyn.<domain>` from the address in the name.
fn ptr_target(qname: &str, domain: &str) -> String {
    let labels: Vec<&str> = qname.split('.').collect();
    if qname.ends_with(".in-addr.arpa") && labels.len() >= 4 {
        format!(
            "{}-{}-{}-{}.dyn.{domain}",
            labels[3], labels[2], labels[1], labels[0]
        )
    } else {
        let host: String = labels.iter().take(4).rev().copied().collect();
        format!("host-{host}.v6.{domain}")
    }
}

/// The encoded NXDOMAIN response for non-existent name `idx` (message ID 0).
pub(crate) fn build_nx(pop: &Population, seed: u64, idx: usize) -> Result<Vec<u8>> {
    let e = &pop.nx[idx];
    let mut r = stream(seed, idx as u64, 0x6e78_7265);
    let soa = match &e.zone {
        NxZone::Domain(d) => zone_soa(
            &pop.domains[*d as usize],
            2_024_010_100 + r.random_range(0..900),
        )?,
        NxZone::Tld(t) => tld_soa(t)?,
    };
    resolver_response(&e.qname, e.qtype)?
        .rcode(ResponseCode::NXDomain)
        .authority(soa)
        .to_bytes()
}
