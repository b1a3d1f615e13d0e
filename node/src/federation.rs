//! A federation of nodes on loopback in one process, with freshly made certificates:
//! what `hearsay demo` runs, and what end-to-end tests start. Each team gets its own CA
//! and a node certificate for its origin name; every node pins its partners' CAs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::Node;
use crate::config::{Config, NodeSection, PeerConfig, ReplicationConfig, SensorConfig};

/// One team of the federation.
#[derive(Debug, Clone)]
pub struct TeamSpec {
    /// Its origin name.
    pub name: String,
    /// Capture files its sensor replays.
    pub captures: Vec<PathBuf>,
    /// Zones it withholds, per partner name.
    pub withhold: Vec<(String, Vec<String>)>,
    /// Partners it does not peer with (default: everyone).
    pub not_peering_with: Vec<String>,
    /// Zones it withholds from nodes, partners or not (`[[withhold]]`).
    pub withhold_from: Vec<(String, Vec<String>)>,
}

impl TeamSpec {
    /// A team replaying `captures`, peering with everyone, sharing everything.
    pub fn new(name: &str, captures: Vec<PathBuf>) -> Self {
        TeamSpec {
            name: name.to_owned(),
            captures,
            withhold: Vec::new(),
            not_peering_with: Vec::new(),
            withhold_from: Vec::new(),
        }
    }
}

/// The running federation.
#[derive(Debug)]
pub struct LocalFederation {
    /// The nodes, in the order of the specs.
    pub nodes: Vec<Node>,
    /// Their names.
    pub names: Vec<String>,
    /// Their config files (written for reference and restarts).
    pub configs: Vec<Config>,
    /// Their replication addresses.
    pub addrs: Vec<SocketAddr>,
}

/// Writes a file, private if it is a key.
fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "key") {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Makes each team's CA and node certificate under `dir/<team>/`.
pub fn make_certificates(dir: &Path, teams: &[TeamSpec]) -> Result<()> {
    for t in teams {
        let d = dir.join(&t.name);
        std::fs::create_dir_all(&d)?;
        let ca = hearsay_transport::certs::create_ca(&format!("{} CA", t.name), 30)?;
        let node = hearsay_transport::certs::issue_node(&ca.cert_pem, &ca.key_pem, &t.name, 30)?;
        write(&d.join("ca.pem"), &ca.cert_pem)?;
        write(&d.join("ca.key"), &ca.key_pem)?;
        write(
            &d.join("node.pem"),
            &format!("{}{}", node.cert_pem, ca.cert_pem),
        )?;
        write(&d.join("node.key"), &node.key_pem)?;
    }
    Ok(())
}

/// The config of team `i`, dialing the partners whose addresses are known.
pub fn team_config(
    dir: &Path,
    teams: &[TeamSpec],
    i: usize,
    addrs: &[Option<SocketAddr>],
    flush_interval: f64,
) -> Config {
    let t = &teams[i];
    let d = dir.join(&t.name);
    let peers = teams
        .iter()
        .enumerate()
        .filter(|(j, p)| {
            *j != i
                && !t.not_peering_with.contains(&p.name)
                && !p.not_peering_with.contains(&t.name)
        })
        .map(|(j, p)| PeerConfig {
            name: p.name.clone(),
            address: addrs.get(j).copied().flatten(),
            ca: Some(dir.join(&p.name).join("ca.pem")),
            fingerprint: None,
            relay: true,
            accept_relayed: true,
            withhold: t
                .withhold
                .iter()
                .find(|(n, _)| *n == p.name)
                .map(|(_, z)| z.clone())
                .unwrap_or_default(),
        })
        .collect();
    Config {
        node: NodeSection {
            origin: t.name.clone(),
            data_dir: d.join("data"),
            flush_interval,
            window_max_mb: 16,
        },
        sensors: t
            .captures
            .iter()
            .enumerate()
            .map(|(k, f)| SensorConfig {
                name: format!("replay-{k}"),
                interface: None,
                file: Some(f.clone()),
                directory: None,
                promiscuous: false,
                snaplen: 65_535,
                filter: None,
                dns_ports: vec![53],
                placement: hearsay_ingest::Placement::Below,
                require_query: None,
                nxdomain: false,
                max_new_names_per_zone: 20_000,
                immediate: false,
                buffer_mb: 32,
            })
            .collect(),
        replication: Some(ReplicationConfig {
            listen: "127.0.0.1:0"
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
            cert: d.join("node.pem"),
            key: d.join("node.key"),
            push_interval_ms: 20,
            max_snapshots: 2,
            send_queue_mb: 8,
            snapshot_buffer_mb: 32,
        }),
        peers,
        withhold: t
            .withhold_from
            .iter()
            .map(|(zone, to)| crate::config::WithholdConfig {
                zone: zone.clone(),
                to: to.clone(),
            })
            .collect(),
        api: None,
    }
}

impl LocalFederation {
    /// Makes certificates and starts every team's node on 127.0.0.1. Node `i` dials
    /// nodes `0..i` (already listening), so every pair gets one link.
    pub async fn start(
        dir: &Path,
        teams: &[TeamSpec],
        flush_interval: f64,
    ) -> Result<LocalFederation> {
        make_certificates(dir, teams)?;
        let mut addrs: Vec<Option<SocketAddr>> = vec![None; teams.len()];
        let mut nodes = Vec::new();
        let mut configs = Vec::new();
        for i in 0..teams.len() {
            let known: Vec<Option<SocketAddr>> = addrs
                .iter()
                .enumerate()
                .map(|(j, a)| if j < i { *a } else { None })
                .collect();
            let config = team_config(dir, teams, i, &known, flush_interval);
            config
                .validate()
                .with_context(|| format!("team {}", teams[i].name))?;
            let node = Node::start(config.clone())
                .await
                .with_context(|| format!("starting node {}", teams[i].name))?;
            addrs[i] = node.replication_addr().await;
            nodes.push(node);
            configs.push(config);
        }
        Ok(LocalFederation {
            nodes,
            names: teams.iter().map(|t| t.name.clone()).collect(),
            configs,
            addrs: addrs.into_iter().flatten().collect(),
        })
    }

    /// Waits until every sensor has finished its file and every node holds the same
    /// version vector (or `timeout` passes). Returns the time it took.
    pub async fn converge(&self, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        loop {
            let mut vectors = Vec::new();
            let mut replaying = false;
            for n in &self.nodes {
                let s = n.status().await;
                replaying |= s.sensors.iter().any(|x| x.running && x.kind == "file");
                vectors.push(s.store.map(|st| st.origins).unwrap_or_default());
            }
            if !replaying
                && vectors.windows(2).all(|w| w[0] == w[1])
                && vectors.first().is_some_and(|v| !v.is_empty())
            {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                anyhow::bail!("no convergence after {timeout:?}: vectors {vectors:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops every node.
    pub async fn shutdown(self) {
        for n in self.nodes {
            n.shutdown().await;
        }
    }
}
