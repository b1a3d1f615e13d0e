//! The node's TOML configuration: `[node]`, `[[sensor]]`, `[replication]`, `[[peer]]`,
//! `[api]`.
//!
//! Unknown keys are errors, and every error names the file and the key.
//!
//! ```toml
//! [node]
//! origin = "cert-a"                 # this node's origin name (its certificate's identity)
//! data_dir = "/var/lib/hearsay"
//!
//! [[sensor]]
//! name = "resolver"
//! interface = "eth0"                # or: file = "/captures/day1.pcap"
//!
//! [replication]
//! listen = "0.0.0.0:4433"
//! cert = "/etc/hearsay/node.pem"
//! key = "/etc/hearsay/node.key"
//!
//! [[peer]]
//! name = "cert-b"
//! address = "203.0.113.7:4433"
//! ca = "/etc/hearsay/partners/cert-b-ca.pem"   # or: fingerprint = "sha256:…"
//! withhold = ["corp.example", "10.in-addr.arpa"]
//!
//! [api]                             # the HTTP query API; off without this section
//! listen = "127.0.0.1:8053"         # the default; other addresses need [api.tls]
//!
//! [[api.api_keys]]
//! name = "soc"
//! key = "d41d8cd98f00b204e9800998ecf8427e"
//! ```
//!
//! `[api]` is [`hearsay_api::ApiConfig`]: see there for every key and its default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hearsay_record::Name;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[node]`.
    pub node: NodeSection,
    /// `[[sensor]]`.
    #[serde(default, rename = "sensor")]
    pub sensors: Vec<SensorConfig>,
    /// `[replication]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication: Option<ReplicationConfig>,
    /// `[[peer]]`.
    #[serde(default, rename = "peer")]
    pub peers: Vec<PeerConfig>,
    /// `[[withhold]]`: zones withheld from nodes that need not be partners.
    #[serde(default, rename = "withhold")]
    pub withhold: Vec<WithholdConfig>,
    /// `[api]`: the HTTP query API; not served without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<hearsay_api::ApiConfig>,
}

/// `[[withhold]]`: this node's records in `zone` never reach the nodes in `to` (all
/// nodes if `to` is empty), directly or through any relay. Per-partner `withhold` lists
/// do the same for one partner.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WithholdConfig {
    /// The zone (and everything below it).
    pub zone: String,
    /// The nodes (origin names) it is withheld from; empty: everyone.
    #[serde(default)]
    pub to: Vec<String>,
}

/// `[node]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// This node's origin name.
    pub origin: String,
    /// Where the store lives.
    pub data_dir: PathBuf,
    /// Seconds between writes of each sensor's aggregation window.
    #[serde(default = "default_flush")]
    pub flush_interval: f64,
    /// Memory bound of each sensor's aggregation window, MiB.
    #[serde(default = "default_window_mb")]
    pub window_max_mb: usize,
}

fn default_flush() -> f64 {
    5.0
}

fn default_window_mb() -> usize {
    48
}

/// `[[sensor]]`: a live interface or a capture file.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfig {
    /// A name for status output.
    pub name: String,
    /// Capture live on this interface…
    pub interface: Option<String>,
    /// …or replay this pcap/pcapng file…
    pub file: Option<PathBuf>,
    /// …or import every capture file that appears in this spool directory (a
    /// rotating `tcpdump -G`/`dnscap` output, say), renaming each to `*.done` after.
    pub directory: Option<PathBuf>,
    /// Promiscuous mode (live only).
    #[serde(default)]
    pub promiscuous: bool,
    /// Snapshot length (live only).
    #[serde(default = "default_snaplen")]
    pub snaplen: i32,
    /// BPF filter; default: DNS on the DNS ports, also VLAN-tagged, and IP fragments.
    pub filter: Option<String>,
    /// Ports that carry DNS.
    #[serde(default = "default_ports")]
    pub dns_ports: Vec<u16>,
    /// `below` the resolver (default: bailiwick unknown) or `above` it (bailiwick from
    /// the zone cuts learned from referrals; records outside it dropped).
    #[serde(default)]
    pub placement: hearsay_ingest::Placement,
    /// Drop responses that answer no query seen by this sensor (spoofing defence).
    /// Default: on for interfaces (which see both directions), off for files; set it
    /// off for a response-only feed.
    pub require_query: Option<bool>,
    /// Keep names answered NXDOMAIN (`hearsay query nxdomain`).
    #[serde(default)]
    pub nxdomain: bool,
    /// New names one zone may bring into one aggregation window; more are counted and
    /// dropped (random-subdomain floods).
    #[serde(default = "default_zone_cap")]
    pub max_new_names_per_zone: u32,
    /// Hand each packet over as it arrives (live only). Off by default: the kernel then
    /// fills its ring in blocks and the sensor takes a block at a time, which is what
    /// keeps up with a busy resolver; a packet waits at most a fraction of a second,
    /// far less than the aggregation window it lands in.
    #[serde(default)]
    pub immediate: bool,
    /// The kernel's capture buffer, MiB (live only): how large a burst it rides out.
    #[serde(default = "default_buffer_mb")]
    pub buffer_mb: u32,
}

fn default_zone_cap() -> u32 {
    20_000
}

fn default_buffer_mb() -> u32 {
    32
}

fn default_snaplen() -> i32 {
    65_535
}

fn default_ports() -> Vec<u16> {
    vec![53]
}

/// `[replication]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicationConfig {
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// This node's certificate chain (PEM).
    pub cert: PathBuf,
    /// This node's private key (PEM).
    pub key: PathBuf,
    /// Milliseconds new updates may wait to be pushed together.
    #[serde(default = "default_push_ms")]
    pub push_interval_ms: u64,
    /// Snapshots served at once.
    #[serde(default = "default_snapshots")]
    pub max_snapshots: usize,
    /// Bytes queued per partner before the node stops reading more for it, MiB.
    #[serde(default = "default_queue_mb")]
    pub send_queue_mb: usize,
    /// Snapshot records received and held before they are written at once, MiB: the
    /// store writes each such batch as new tables, so larger is faster and takes more
    /// memory while a new node bootstraps: one batch is written while the next is
    /// received, so about twice this (1 to 1024).
    #[serde(default = "default_snapshot_buffer_mb")]
    pub snapshot_buffer_mb: usize,
}

fn default_snapshot_buffer_mb() -> usize {
    32
}

fn default_push_ms() -> u64 {
    50
}

fn default_snapshots() -> usize {
    2
}

fn default_queue_mb() -> usize {
    8
}

/// `[[peer]]`: a partner node.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The partner's origin name (its certificate's identity, the origin it speaks for).
    pub name: String,
    /// Where to dial it; without it, only its connections are accepted.
    pub address: Option<SocketAddr>,
    /// Its CA certificate (PEM)…
    pub ca: Option<PathBuf>,
    /// …or its node certificate's fingerprint (`sha256:…`).
    pub fingerprint: Option<String>,
    /// Send it other origins' records (relay).
    #[serde(default = "yes")]
    pub relay: bool,
    /// Accept records of other origins from it.
    #[serde(default = "yes")]
    pub accept_relayed: bool,
    /// Zones never sent to it (the zone and everything below).
    #[serde(default)]
    pub withhold: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Config {
    /// Reads and checks a config file. Errors name the file and the key.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let config: Config =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
        config
            .validate()
            .with_context(|| format!("config {}", path.display()))?;
        Ok(config)
    }

    /// Checks what the types cannot.
    pub fn validate(&self) -> Result<()> {
        hearsay_store::validate_origin_name(&self.node.origin).context("node.origin")?;
        if !(self.node.flush_interval.is_finite() && self.node.flush_interval > 0.0) {
            bail!("node.flush_interval: must be a positive number of seconds");
        }
        if self.node.window_max_mb == 0 {
            bail!("node.window_max_mb: must be at least 1");
        }
        let mut names = std::collections::HashSet::new();
        for (i, s) in self.sensors.iter().enumerate() {
            let key = format!("sensor[{i}] ({})", s.name);
            if !names.insert(&s.name) {
                bail!("{key}.name: duplicate sensor name");
            }
            let sources = [
                s.interface.is_some(),
                s.file.is_some(),
                s.directory.is_some(),
            ];
            if sources.iter().filter(|x| **x).count() != 1 {
                bail!("{key}: set exactly one of `interface`, `file` and `directory`");
            }
            if let Some(d) = &s.directory
                && !d.is_dir()
            {
                bail!("{key}.directory: {} is not a directory", d.display());
            }
            if let Some(f) = &s.file
                && !f.is_file()
            {
                bail!("{key}.file: {} is not a file", f.display());
            }
            if s.dns_ports.is_empty() {
                bail!("{key}.dns_ports: at least one port");
            }
            if s.max_new_names_per_zone == 0 {
                bail!("{key}.max_new_names_per_zone: at least 1");
            }
            if s.snaplen < 64 {
                bail!("{key}.snaplen: at least 64");
            }
            if !(1..=2048).contains(&s.buffer_mb) {
                bail!("{key}.buffer_mb: from 1 to 2048");
            }
        }
        if !self.peers.is_empty() && self.replication.is_none() {
            bail!("peer: partners are configured but there is no [replication] section");
        }
        if let Some(r) = &self.replication {
            for (key, path) in [("replication.cert", &r.cert), ("replication.key", &r.key)] {
                if !path.is_file() {
                    bail!("{key}: {} is not a file", path.display());
                }
            }
            if r.send_queue_mb == 0 {
                bail!("replication.send_queue_mb: must be at least 1");
            }
            if !(1..=1024).contains(&r.snapshot_buffer_mb) {
                bail!("replication.snapshot_buffer_mb: from 1 to 1024");
            }
        }
        let mut peers = std::collections::HashSet::new();
        for (i, p) in self.peers.iter().enumerate() {
            let key = format!("peer[{i}] ({})", p.name);
            hearsay_store::validate_origin_name(&p.name).with_context(|| format!("{key}.name"))?;
            if p.name == self.node.origin {
                bail!("{key}.name: a node cannot be its own partner");
            }
            if !peers.insert(&p.name) {
                bail!("{key}.name: duplicate partner");
            }
            match (&p.ca, &p.fingerprint) {
                (Some(ca), None) => {
                    if !ca.is_file() {
                        bail!("{key}.ca: {} is not a file", ca.display());
                    }
                }
                (None, Some(fp)) => {
                    hearsay_transport::parse_fingerprint(fp)
                        .map_err(|e| anyhow::anyhow!("{key}.fingerprint: {e}"))?;
                }
                _ => bail!("{key}: set exactly one of `ca` and `fingerprint`"),
            }
            for (j, z) in p.withhold.iter().enumerate() {
                Name::from_presentation(z.trim_start_matches("*."))
                    .map_err(|e| anyhow::anyhow!("{key}.withhold[{j}] {z:?}: {e}"))?;
            }
        }
        if let Some(api) = &self.api {
            // Its errors name the key (`api.listen`, `api.api_keys[0].key`, …).
            api.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        for (i, w) in self.withhold.iter().enumerate() {
            Name::from_presentation(w.zone.trim_start_matches("*."))
                .map_err(|e| anyhow::anyhow!("withhold[{i}].zone {:?}: {e}", w.zone))?;
            for n in &w.to {
                hearsay_store::validate_origin_name(n)
                    .with_context(|| format!("withhold[{i}].to"))?;
            }
        }
        Ok(())
    }

    /// The `[[withhold]]` rules, parsed.
    pub fn withheld(&self) -> Vec<(Name, Vec<String>)> {
        self.withhold
            .iter()
            .filter_map(|w| {
                Some((
                    Name::from_presentation(w.zone.trim_start_matches("*.")).ok()?,
                    w.to.clone(),
                ))
            })
            .collect()
    }
}

impl PeerConfig {
    /// The zones it withholds, parsed (`*.corp.example` and `corp.example` are the same
    /// zone: the name and everything below it).
    pub fn withheld_zones(&self) -> Vec<Name> {
        self.withhold
            .iter()
            .filter_map(|z| Name::from_presentation(z.trim_start_matches("*.")).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        let c: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        c.validate()?;
        Ok(c)
    }

    /// The README's example config is a real one (its files aside, which `validate`
    /// would look for).
    #[test]
    fn the_readme_example_parses() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("## Running a node").unwrap()..];
        let start = section.find("```toml\n").unwrap() + "```toml\n".len();
        let example = &section[start..start + section[start..].find("```").unwrap()];
        let c: Config = toml::from_str(example).unwrap();
        assert_eq!(c.node.origin, "cert-a");
        assert_eq!(c.sensors[0].placement, hearsay_ingest::Placement::Above);
        assert_eq!(c.peers[0].name, "cert-b");
        assert_eq!(c.withhold[0].to, ["*"]);
    }

    #[test]
    fn minimal_and_errors_name_the_key() {
        let ok = parse("[node]\norigin = \"cert-a\"\ndata_dir = \"/tmp/x\"\n").unwrap();
        assert_eq!(ok.node.flush_interval, 5.0);
        let unknown = parse("[node]\norigin = \"a\"\ndata_dir = \"/tmp\"\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("bogus"), "{unknown}");
        let bad_origin = format!(
            "{:#}",
            parse("[node]\norigin = \"Not Valid\"\ndata_dir = \"/tmp\"\n").unwrap_err()
        );
        assert!(bad_origin.contains("node.origin"), "{bad_origin}");
        let both = format!(
            "{:#}",
            parse("[node]\norigin = \"a\"\ndata_dir = \"/tmp\"\n[[sensor]]\nname = \"s\"\n")
                .unwrap_err()
        );
        assert!(both.contains("sensor[0] (s)"), "{both}");
        let no_repl = format!(
            "{:#}",
            parse("[node]\norigin = \"a\"\ndata_dir = \"/tmp\"\n[[peer]]\nname = \"b\"\nfingerprint = \"sha256:00\"\n").unwrap_err()
        );
        assert!(no_repl.contains("replication"), "{no_repl}");
        let typo =
            parse("[node]\norigin = \"a\"\ndata_dir = \"/tmp\"\nflush_interval = \"soon\"\n")
                .unwrap_err()
                .to_string();
        assert!(typo.contains("flush_interval"), "{typo}");
        let live = "[node]\norigin = \"a\"\ndata_dir = \"/tmp\"\n[[sensor]]\nname = \"s\"\ninterface = \"lo\"\n";
        let sensor = &parse(live).unwrap().sensors[0];
        assert!(!sensor.immediate, "block mode by default");
        assert_eq!(sensor.buffer_mb, 32);
        let huge = format!(
            "{:#}",
            parse(&format!("{live}buffer_mb = 4096\n")).unwrap_err()
        );
        assert!(huge.contains("sensor[0] (s).buffer_mb"), "{huge}");
    }

    #[test]
    fn replication_section() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("node.pem"), dir.path().join("node.key"));
        std::fs::write(&cert, "").unwrap();
        std::fs::write(&key, "").unwrap();
        let base = format!(
            "[node]\norigin = \"a\"\ndata_dir = \"/tmp\"\n[replication]\nlisten = \"127.0.0.1:4433\"\ncert = {cert:?}\nkey = {key:?}\n"
        );
        let r = parse(&base).unwrap().replication.unwrap();
        assert_eq!((r.send_queue_mb, r.snapshot_buffer_mb), (8, 32));
        for (extra, want) in [
            ("send_queue_mb = 0\n", "replication.send_queue_mb"),
            ("snapshot_buffer_mb = 0\n", "replication.snapshot_buffer_mb"),
            (
                "snapshot_buffer_mb = 4096\n",
                "replication.snapshot_buffer_mb",
            ),
            ("bogus = 1\n", "bogus"),
        ] {
            let e = format!("{:#}", parse(&format!("{base}{extra}")).unwrap_err());
            assert!(e.contains(want), "{extra}: {e}");
        }
        std::fs::remove_file(&key).unwrap();
        let e = format!("{:#}", parse(&base).unwrap_err());
        assert!(e.contains("replication.key"), "{e}");
    }

    #[test]
    fn api_section() {
        let base = "[node]\norigin = \"a\"\ndata_dir = \"/tmp\"\n";
        assert!(parse(base).unwrap().api.is_none(), "off by default");
        let key = "[[api.api_keys]]\nkey = \"0123456789abcdef0123\"\n";
        let on = parse(&format!("{base}[api]\n{key}")).unwrap();
        let api = on.api.unwrap();
        assert!(api.listen.ip().is_loopback(), "loopback by default");
        assert_eq!(api.api_keys.len(), 1);
        for (text, want) in [
            (format!("{base}[api]\nbogus = 1\n{key}"), "bogus"),
            (format!("{base}[api]\n"), "api.api_keys"),
            (
                format!("{base}[api]\nlisten = \"0.0.0.0:8053\"\n{key}"),
                "api.listen",
            ),
            (
                format!("{base}[[api.api_keys]]\nkey = \"short\"\n"),
                "api.api_keys[0].key",
            ),
            (
                format!("{base}[api]\nlisten = \"nowhere\"\n{key}"),
                "listen",
            ),
        ] {
            let e = format!("{:#}", parse(&text).unwrap_err());
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
