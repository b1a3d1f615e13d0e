//! Resource record constructors from presentation-ish inputs. All records are class IN.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::rdata::svcb::{Alpn, IpHint, SvcParamKey, SvcParamValue};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, HTTPS, MX, NS, NULL, PTR, SOA, SRV, SVCB, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::addr::{IntoV4, IntoV6};
use super::name::IntoName;
use crate::error::{Error, Result};

fn record(name: impl IntoName, ttl: u32, rdata: RData) -> Result<Record> {
    Ok(Record::from_rdata(name.into_name()?, ttl, rdata))
}

/// `name A addr`.
pub fn a(name: impl IntoName, addr: impl IntoV4, ttl: u32) -> Result<Record> {
    record(name, ttl, RData::A(A(addr.into_v4()?)))
}

/// `name AAAA addr`.
pub fn aaaa(name: impl IntoName, addr: impl IntoV6, ttl: u32) -> Result<Record> {
    record(name, ttl, RData::AAAA(AAAA(addr.into_v6()?)))
}

/// `name NS target`.
pub fn ns(name: impl IntoName, target: impl IntoName, ttl: u32) -> Result<Record> {
    record(name, ttl, RData::NS(NS(target.into_name()?)))
}

/// `name CNAME target`.
pub fn cname(name: impl IntoName, target: impl IntoName, ttl: u32) -> Result<Record> {
    record(name, ttl, RData::CNAME(CNAME(target.into_name()?)))
}

/// `name PTR target`.
pub fn ptr(name: impl IntoName, target: impl IntoName, ttl: u32) -> Result<Record> {
    record(name, ttl, RData::PTR(PTR(target.into_name()?)))
}

/// `name DNAME target` (type 39, which hickory has no type for): the target is written
/// uncompressed, as RFC 6672 requires.
pub fn dname(name: impl IntoName, target: impl IntoName, ttl: u32) -> Result<Record> {
    let target = target.into_name()?;
    raw(name, 39, &name_wire(&target), ttl)
}

/// `name MX preference exchange`.
pub fn mx(
    name: impl IntoName,
    preference: u16,
    exchange: impl IntoName,
    ttl: u32,
) -> Result<Record> {
    record(
        name,
        ttl,
        RData::MX(MX::new(preference, exchange.into_name()?)),
    )
}

/// `name TXT "s1" "s2" …`; each string at most 255 bytes (checked when encoding).
pub fn txt(name: impl IntoName, strings: &[&str], ttl: u32) -> Result<Record> {
    let data = strings.iter().map(|s| (*s).to_owned()).collect();
    record(name, ttl, RData::TXT(TXT::new(data)))
}

/// The timers of an SOA record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoaTimers {
    /// Refresh interval.
    pub refresh: i32,
    /// Retry interval.
    pub retry: i32,
    /// Expiry.
    pub expire: i32,
    /// Negative caching TTL (RFC 2308).
    pub minimum: u32,
}

impl Default for SoaTimers {
    /// RIPE-203's recommendations: 1 day, 2 hours, 1000 hours, 1 hour.
    fn default() -> Self {
        Self {
            refresh: 86_400,
            retry: 7_200,
            expire: 3_600_000,
            minimum: 3_600,
        }
    }
}

/// `zone SOA mname rname serial` with [`SoaTimers::default`].
pub fn soa(
    zone: impl IntoName,
    mname: impl IntoName,
    rname: impl IntoName,
    serial: u32,
    ttl: u32,
) -> Result<Record> {
    soa_with(zone, mname, rname, serial, SoaTimers::default(), ttl)
}

/// `zone SOA mname rname serial refresh retry expire minimum`.
pub fn soa_with(
    zone: impl IntoName,
    mname: impl IntoName,
    rname: impl IntoName,
    serial: u32,
    timers: SoaTimers,
    ttl: u32,
) -> Result<Record> {
    let rdata = SOA::new(
        mname.into_name()?,
        rname.into_name()?,
        serial,
        timers.refresh,
        timers.retry,
        timers.expire,
        timers.minimum,
    );
    record(zone, ttl, RData::SOA(rdata))
}

/// `name SRV priority weight port target`.
pub fn srv(
    name: impl IntoName,
    priority: u16,
    weight: u16,
    port: u16,
    target: impl IntoName,
    ttl: u32,
) -> Result<Record> {
    record(
        name,
        ttl,
        RData::SRV(SRV::new(priority, weight, port, target.into_name()?)),
    )
}

/// The simple SvcParams of SVCB/HTTPS records (RFC 9460); empty fields are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SvcParams {
    /// `alpn=`: protocol ids such as `h2`, `h3`.
    pub alpn: Vec<String>,
    /// `no-default-alpn`.
    pub no_default_alpn: bool,
    /// `port=`.
    pub port: Option<u16>,
    /// `ipv4hint=`.
    pub ipv4hint: Vec<Ipv4Addr>,
    /// `ipv6hint=`.
    pub ipv6hint: Vec<Ipv6Addr>,
}

impl SvcParams {
    /// Params with just `alpn=`.
    pub fn alpn(ids: &[&str]) -> Self {
        Self {
            alpn: ids.iter().map(|s| (*s).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// In wire order (ascending keys), as RFC 9460 requires.
    fn to_hickory(&self) -> Vec<(SvcParamKey, SvcParamValue)> {
        let mut v = Vec::new();
        if !self.alpn.is_empty() {
            v.push((
                SvcParamKey::Alpn,
                SvcParamValue::Alpn(Alpn(self.alpn.clone())),
            ));
        }
        if self.no_default_alpn {
            v.push((SvcParamKey::NoDefaultAlpn, SvcParamValue::NoDefaultAlpn));
        }
        if let Some(port) = self.port {
            v.push((SvcParamKey::Port, SvcParamValue::Port(port)));
        }
        if !self.ipv4hint.is_empty() {
            let hints = self.ipv4hint.iter().map(|a| A(*a)).collect();
            v.push((
                SvcParamKey::Ipv4Hint,
                SvcParamValue::Ipv4Hint(IpHint(hints)),
            ));
        }
        if !self.ipv6hint.is_empty() {
            let hints = self.ipv6hint.iter().map(|a| AAAA(*a)).collect();
            v.push((
                SvcParamKey::Ipv6Hint,
                SvcParamValue::Ipv6Hint(IpHint(hints)),
            ));
        }
        v
    }
}

/// `name SVCB priority target params`.
pub fn svcb(
    name: impl IntoName,
    priority: u16,
    target: impl IntoName,
    params: &SvcParams,
    ttl: u32,
) -> Result<Record> {
    let rdata = SVCB::new(priority, target.into_name()?, params.to_hickory());
    record(name, ttl, RData::SVCB(rdata))
}

/// `name HTTPS priority target params` (target `"."` means the owner name).
pub fn https(
    name: impl IntoName,
    priority: u16,
    target: impl IntoName,
    params: &SvcParams,
    ttl: u32,
) -> Result<Record> {
    let rdata = SVCB::new(priority, target.into_name()?, params.to_hickory());
    record(name, ttl, RData::HTTPS(HTTPS(rdata)))
}

/// `name CAA flags tag "value"` (RFC 8659), e.g. `caa(n, 0, "issue", "letsencrypt.org", t)`.
/// Built from raw rdata so any tag is possible; hickory decodes it as CAA.
pub fn caa(name: impl IntoName, flags: u8, tag: &str, value: &str, ttl: u32) -> Result<Record> {
    let tag_len = u8::try_from(tag.len())
        .ok()
        .filter(|l| *l > 0)
        .ok_or_else(|| Error::Invalid(format!("CAA tag {tag:?} must be 1..=255 bytes")))?;
    let mut rdata = Vec::with_capacity(2 + tag.len() + value.len());
    rdata.push(flags);
    rdata.push(tag_len);
    rdata.extend_from_slice(tag.as_bytes());
    rdata.extend_from_slice(value.as_bytes());
    raw(name, u16::from(RecordType::CAA), &rdata, ttl)
}

/// A record of any type with the given rdata bytes, written verbatim (RFC 3597 style).
pub fn raw(name: impl IntoName, type_code: u16, rdata: &[u8], ttl: u32) -> Result<Record> {
    if rdata.len() > usize::from(u16::MAX) {
        return Err(Error::TooLarge {
            what: "rdata",
            len: rdata.len(),
            limit: usize::from(u16::MAX),
        });
    }
    let mut null = NULL::new();
    null.anything = rdata.to_vec();
    let rdata = RData::Unknown {
        code: RecordType::from(type_code),
        rdata: null,
    };
    record(name, ttl, rdata)
}

/// The uncompressed wire form of a name (lowercase not forced).
fn name_wire(name: &Name) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.iter() {
        // Labels are at most 63 bytes.
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
    out
}
