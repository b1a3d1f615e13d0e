//! The population of names the workload asks about: who exists, of what kind, how popular.

use hickory_proto::rr::RecordType;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::SynthConfig;
use super::words::{doc_v6, public_v4, reverse_v4, reverse_v6, suffix, token, word};

/// At most this many variants (rotating answer sets) per name.
pub(crate) const MAX_VARIANTS: usize = 4;

/// What kind of answer a name gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    A,
    Aaaa,
    Cname,
    Mx,
    Ns,
    Txt,
    Ptr,
    Srv,
    Https,
    Caa,
    Nodata,
}

impl Kind {
    /// In the order of [`super::config::RecordMix::weights`].
    pub(crate) const ALL: [Kind; 11] = [
        Kind::A,
        Kind::Aaaa,
        Kind::Cname,
        Kind::Mx,
        Kind::Ns,
        Kind::Txt,
        Kind::Ptr,
        Kind::Srv,
        Kind::Https,
        Kind::Caa,
        Kind::Nodata,
    ];
}

/// One existing (name, type) pair.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub qname: String,
    pub qtype: RecordType,
    pub kind: Kind,
    /// Index into [`Population::domains`].
    pub domain: u32,
    /// Number of rotating answer sets (1 = stable).
    pub variants: u8,
    /// Seconds each answer set lasts.
    pub period: u32,
    /// Answer set at the start time.
    pub phase: u8,
    pub ttl: u32,
}

/// A name that does not exist.
#[derive(Clone, Debug)]
pub(crate) struct NxEntry {
    pub qname: String,
    pub qtype: RecordType,
    /// The zone whose SOA comes back: a domain of the population, or a TLD.
    pub zone: NxZone,
}

#[derive(Clone, Debug)]
pub(crate) enum NxZone {
    Domain(u32),
    Tld(&'static str),
}

/// Names, their zones and shared infrastructure (CDNs, DNS and mail hosters).
#[derive(Debug)]
pub(crate) struct Population {
    pub entries: Vec<Entry>,
    pub nx: Vec<NxEntry>,
    pub domains: Vec<String>,
    pub cdns: Vec<String>,
    pub dns_hosters: Vec<String>,
    pub mail_hosters: Vec<String>,
    start: u64,
}

const HOST_LABELS: [&str; 15] = [
    "www", "", "api", "cdn", "static", "m", "login", "shop", "img", "app", "mail", "vpn", "portal",
    "news", "blog",
];
const CNAME_LABELS: [&str; 8] = [
    "www", "cdn", "assets", "images", "video", "static", "media", "download",
];
/// SRV owner prefixes and their ports.
pub(crate) const SERVICES: [(&str, u16); 9] = [
    ("_sip._udp", 5060),
    ("_sip._tcp", 5060),
    ("_sips._tcp", 5061),
    ("_xmpp-server._tcp", 5269),
    ("_xmpp-client._tcp", 5222),
    ("_ldap._tcp", 389),
    ("_imaps._tcp", 993),
    ("_submission._tcp", 587),
    ("_autodiscover._tcp", 443),
];
const TTLS: [u32; 9] = [30, 60, 300, 300, 900, 3600, 3600, 14_400, 86_400];

/// A stable per-purpose random stream (splitmix64 of the inputs).
pub(crate) fn stream(seed: u64, index: u64, salt: u64) -> ChaCha8Rng {
    let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

fn join(label: &str, domain: &str) -> String {
    if label.is_empty() {
        domain.to_owned()
    } else {
        format!("{label}.{domain}")
    }
}

fn pick<'a, R: Rng + ?Sized>(rng: &mut R, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

impl Population {
    /// The population for `cfg` (depends on `seed`, `names`, `mix`, `rotating_share`,
    /// `start_time` and `duration_secs`).
    pub(crate) fn build(cfg: &SynthConfig) -> Self {
        let seed = cfg.seed;
        let mut rng = stream(seed, 0, 0x706f_7075);
        let n_domains = (cfg.names / 3).max(1);
        let domains: Vec<String> = (0..n_domains)
            .map(|d| {
                // Odd multiplier mod 2^24: a bijection, so the words stay unique.
                let scrambled = (d as u64).wrapping_mul(0x9E37_79B1) & 0xff_ffff;
                let n = scrambled | ((d as u64 >> 24) << 24);
                format!("{}.{}", word(n), suffix(&mut rng))
            })
            .collect();
        let infra = |base: u64, count: u64, tail: &str| -> Vec<String> {
            (0..count)
                .map(|i| format!("{}{tail}", word(4096 + (base + i) * 37)))
                .collect()
        };
        let cdns = infra(0, 12, "cdn.net");
        let dns_hosters = infra(100, 8, "dns.net");
        let mail_hosters = infra(200, 8, "mail.com");

        let weights = cfg.mix.weights();
        let total: u32 = weights.iter().sum();
        let duration = cfg.duration_secs.max(1);
        let entries = (0..cfg.names)
            .map(|k| {
                let mut r = stream(seed, k as u64, 0x656e_7472);
                let mut x = r.random_range(0..total);
                let mut kind = Kind::A;
                for (w, kd) in weights.iter().zip(Kind::ALL) {
                    if x < *w {
                        kind = kd;
                        break;
                    }
                    x -= w;
                }
                let domain = r.random_range(0..n_domains as u32);
                let d: &String = &domains[domain as usize];
                Self::entry(&mut r, kind, domain, d, cfg.rotating_share, duration)
            })
            .collect();

        let nx = (0..(cfg.names / 5).max(1))
            .map(|k| {
                let mut r = stream(seed, k as u64, 0x6e78);
                let qtype = match r.random_range(0..20) {
                    0..14 => RecordType::A,
                    14..18 => RecordType::AAAA,
                    18 => RecordType::MX,
                    _ => RecordType::TXT,
                };
                if r.random_bool(0.7) {
                    let domain = r.random_range(0..n_domains as u32);
                    let len = r.random_range(4..12);
                    NxEntry {
                        qname: join(&token(&mut r, len, false), &domains[domain as usize]),
                        qtype,
                        zone: NxZone::Domain(domain),
                    }
                } else {
                    let tld = pick(&mut r, &["com", "net", "org", "info"]);
                    let len = r.random_range(10..18);
                    NxEntry {
                        qname: format!("{}.{tld}", token(&mut r, len, true)),
                        qtype,
                        zone: NxZone::Tld(tld),
                    }
                }
            })
            .collect();

        Self {
            entries,
            nx,
            domains,
            cdns,
            dns_hosters,
            mail_hosters,
            start: cfg.start_time,
        }
    }

    fn entry(
        r: &mut ChaCha8Rng,
        kind: Kind,
        domain: u32,
        d: &str,
        rotating_share: f64,
        duration: u64,
    ) -> Entry {
        let (qname, qtype) = match kind {
            Kind::A => (join(pick(r, &HOST_LABELS), d), RecordType::A),
            Kind::Aaaa => (join(pick(r, &HOST_LABELS), d), RecordType::AAAA),
            Kind::Cname => {
                let t = if r.random_bool(0.8) {
                    RecordType::A
                } else {
                    RecordType::AAAA
                };
                (join(pick(r, &CNAME_LABELS), d), t)
            }
            Kind::Mx => (d.to_owned(), RecordType::MX),
            Kind::Ns => (d.to_owned(), RecordType::NS),
            Kind::Caa => (d.to_owned(), RecordType::CAA),
            Kind::Txt => {
                let label = if r.random_bool(0.7) { "" } else { "_dmarc" };
                (join(label, d), RecordType::TXT)
            }
            Kind::Ptr => {
                let name = if r.random_bool(0.75) {
                    reverse_v4(public_v4(r))
                } else {
                    let site = r.random();
                    reverse_v6(doc_v6(r, site))
                };
                (name, RecordType::PTR)
            }
            Kind::Srv => {
                let (svc, _) = SERVICES[r.random_range(0..SERVICES.len())];
                (join(svc, d), RecordType::SRV)
            }
            Kind::Https => {
                let label = if r.random_bool(0.5) { "" } else { "www" };
                (join(label, d), RecordType::HTTPS)
            }
            Kind::Nodata => (
                join(pick(r, &["www", "", "api", "mail"]), d),
                RecordType::AAAA,
            ),
        };
        let rotates = matches!(kind, Kind::A | Kind::Aaaa | Kind::Cname | Kind::Https)
            && r.random_bool(rotating_share);
        let variants: u8 = if rotates {
            r.random_range(2..=MAX_VARIANTS as u8)
        } else {
            1
        };
        let cycles = u64::from(variants) * r.random_range(1..=3);
        let period = (duration / cycles).clamp(30, u64::from(u32::MAX)) as u32;
        Entry {
            qname,
            qtype,
            kind,
            domain,
            variants,
            period,
            phase: r.random_range(0..variants),
            ttl: TTLS[r.random_range(0..TTLS.len())],
        }
    }

    /// Which answer set of entry `idx` is current at `t_secs`.
    pub(crate) fn variant_at(&self, idx: usize, t_secs: u64) -> usize {
        let e = &self.entries[idx];
        if e.variants <= 1 {
            return 0;
        }
        let slot = t_secs.saturating_sub(self.start) / u64::from(e.period.max(1));
        ((slot + u64::from(e.phase)) % u64::from(e.variants)) as usize
    }
}
