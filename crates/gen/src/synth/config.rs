//! Workload configuration.

use super::transport::Transport;
use crate::error::{Error, Result};
use crate::frame::Link;

/// Relative weights of the kinds of names in the population (not of exchanges: popular
/// names are asked more often whatever their kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordMix {
    /// `A` with 1–4 addresses.
    pub a: u32,
    /// `AAAA` with 1–4 addresses.
    pub aaaa: u32,
    /// A CNAME chain of 1–3 links (CDN-like) ending in A or AAAA records.
    pub cname: u32,
    /// `MX` with in-bailiwick A glue in the additional section.
    pub mx: u32,
    /// `NS` with glue.
    pub ns: u32,
    /// `TXT`: SPF, DMARC, site verification tokens.
    pub txt: u32,
    /// `PTR` for in-addr.arpa and ip6.arpa names.
    pub ptr: u32,
    /// `SRV` with target glue.
    pub srv: u32,
    /// `HTTPS` with alpn=h2,h3 and address hints.
    pub https: u32,
    /// `CAA` on zone apexes.
    pub caa: u32,
    /// NODATA: NOERROR, empty answer, SOA in the authority section (AAAA queries for
    /// IPv4-only names).
    pub nodata: u32,
}

impl Default for RecordMix {
    fn default() -> Self {
        Self {
            a: 36,
            aaaa: 12,
            cname: 14,
            mx: 6,
            ns: 4,
            txt: 6,
            ptr: 7,
            srv: 3,
            https: 6,
            caa: 2,
            nodata: 4,
        }
    }
}

impl RecordMix {
    /// The weights in a fixed order (that of [`super::population::Kind::ALL`]).
    pub(crate) fn weights(&self) -> [u32; 11] {
        [
            self.a,
            self.aaaa,
            self.cname,
            self.mx,
            self.ns,
            self.txt,
            self.ptr,
            self.srv,
            self.https,
            self.caa,
            self.nodata,
        ]
    }
}

/// What [`super::Synth`] generates. Same configuration, same bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthConfig {
    /// Number of frames over UDP (queries and responses; each exchange is two frames).
    /// Default 2 000 000. The workload has `packets / 2` exchanges (rounded up) whatever the
    /// [`Self::transport`]; the fragmented and TCP transports carry them in more frames.
    pub packets: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Unix time of the first query. Default 2025-01-01T00:00:00Z.
    pub start_time: u64,
    /// The queries are spread over this many seconds. Default 3600.
    pub duration_secs: u64,
    /// Population of (name, type) pairs that exist. Default 100 000.
    pub names: usize,
    /// Zipf exponent of name popularity. Default 1.0.
    pub zipf_s: f64,
    /// Share of exchanges over IPv6. Default 0.25.
    pub ipv6_share: f64,
    /// Share of exchanges answered NXDOMAIN. Default 0.05.
    pub nxdomain_share: f64,
    /// Share of address-bearing names whose addresses rotate over time. Default 0.3.
    pub rotating_share: f64,
    /// Share of queries whose name case is randomised (0x20). Default 0.05.
    pub case_randomization_share: f64,
    /// Number of client addresses per family. Default 750: the IPv4 ones then all come from
    /// the three documentation /24s (larger pools continue in 100.64.0.0/10).
    pub clients: usize,
    /// Number of resolvers per family (1..=16). Default 4.
    pub resolvers: usize,
    /// Population mix.
    pub mix: RecordMix,
    /// Link layer of the frames, in the client → resolver direction. Default Ethernet.
    pub link: Link,
    /// How the exchanges travel. Default [`Transport::Udp`].
    pub transport: Transport,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            packets: 2_000_000,
            seed: 1,
            start_time: 1_735_689_600,
            duration_secs: 3600,
            names: 100_000,
            zipf_s: 1.0,
            ipv6_share: 0.25,
            nxdomain_share: 0.05,
            rotating_share: 0.3,
            case_randomization_share: 0.05,
            clients: 750,
            resolvers: 4,
            mix: RecordMix::default(),
            link: Link::ethernet(),
            transport: Transport::Udp,
        }
    }
}

impl SynthConfig {
    /// Checks ranges; [`super::Synth::new`] calls it.
    pub fn validate(&self) -> Result<()> {
        let share = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::Invalid(format!(
                    "{name} must be within 0..=1, not {v}"
                )))
            }
        };
        share("ipv6_share", self.ipv6_share)?;
        share("nxdomain_share", self.nxdomain_share)?;
        share("rotating_share", self.rotating_share)?;
        share("case_randomization_share", self.case_randomization_share)?;
        if self.names == 0 || self.names > u32::MAX as usize / 8 {
            return Err(Error::Invalid(format!(
                "names out of range: {}",
                self.names
            )));
        }
        if !self.zipf_s.is_finite() || self.zipf_s < 0.0 {
            return Err(Error::Invalid(format!(
                "zipf_s must be >= 0, not {}",
                self.zipf_s
            )));
        }
        if self.clients == 0 {
            return Err(Error::Invalid("clients must be at least 1".into()));
        }
        if !(1..=16).contains(&self.resolvers) {
            return Err(Error::Invalid("resolvers must be within 1..=16".into()));
        }
        if self.duration_secs == 0 {
            return Err(Error::Invalid("duration_secs must be at least 1".into()));
        }
        if self.start_time.saturating_add(self.duration_secs) > u64::from(u32::MAX) {
            return Err(Error::Invalid(
                "times must fit classic pcap (before 2106)".into(),
            ));
        }
        if self.mix.weights().iter().all(|w| *w == 0) {
            return Err(Error::Invalid("record mix has no weight".into()));
        }
        Ok(())
    }
}
