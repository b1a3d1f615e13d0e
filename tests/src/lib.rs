//! Helpers for hearsay's end-to-end tests: the real `hearsayd` and `hearsay` binaries,
//! configs written as TOML, capture files written with hearsay-gen, and polling a
//! running node through its admin socket (`hearsay status --json`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hearsay_gen::Packet;
use hearsay_gen::frame::Link;
use hearsay_gen::pcap::PcapWriter;
use hearsay_node::config::Config;

/// A binary of the workspace (`hearsayd`, `hearsay`), built (once per test process, a
/// no-op when up to date) into the target directory this test runs from, so a test never
/// runs a stale binary.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    BUILT.get_or_init(|| {
        let target_dir = profile_dir.parent().unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "hearsayd",
            "-p",
            "hearsay",
            "--bins",
            "--target-dir",
        ])
        .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "building hearsayd and hearsay failed");
    });
    profile_dir.join(name)
}

/// A free UDP port on 127.0.0.1 (for partners that must know each other's address).
pub fn free_port() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Writes packets as a pcap file.
pub fn write_pcap(path: &Path, packets: &[Packet]) {
    let mut w = PcapWriter::new(
        std::io::BufWriter::new(std::fs::File::create(path).unwrap()),
        Link::ethernet().linktype(),
    )
    .unwrap();
    for p in packets {
        w.write_packet(p).unwrap();
    }
    w.finish().unwrap();
}

/// A running `hearsayd` process.
#[derive(Debug)]
pub struct Daemon {
    /// Its config.
    pub config: Config,
    /// Where its config file is.
    pub config_path: PathBuf,
    child: Option<Child>,
}

impl Daemon {
    /// Writes `config` next to its data dir and starts `hearsayd` on it; waits until its
    /// admin socket answers.
    pub fn start(config: Config) -> Daemon {
        let d = Daemon::spawn(config, &[]);
        d.wait_for(Duration::from_secs(30), |s| !s.is_null());
        d
    }

    /// Starts `hearsayd` with extra environment variables, without waiting for it (it
    /// may be meant to crash, see [`Daemon::wait_exit`]).
    pub fn spawn(config: Config, env: &[(&str, &str)]) -> Daemon {
        let config_path = config.node.data_dir.with_extension("toml");
        std::fs::create_dir_all(config_path.parent().unwrap()).unwrap();
        std::fs::write(&config_path, toml::to_string(&config).unwrap()).unwrap();
        let child = Command::new(bin("hearsayd"))
            .arg("--config")
            .arg(&config_path)
            .env("HEARSAY_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Daemon {
            config,
            config_path,
            child: Some(child),
        }
    }

    /// Waits for the process to end by itself; panics after `timeout`.
    pub fn wait_exit(mut self, timeout: Duration) -> std::process::ExitStatus {
        let mut c = self.child.take().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < timeout,
                "{} did not end within {timeout:?}",
                self.config.node.origin
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.config.node.data_dir
    }

    /// `hearsay status --json`, or `Null` if the node does not answer.
    pub fn status(&self) -> serde_json::Value {
        let out = Command::new(bin("hearsay"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(["status", "--json"])
            .output()
            .unwrap();
        if !out.status.success() {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// `hearsay status` as an operator reads it.
    pub fn status_text(&self) -> String {
        let out = Command::new(bin("hearsay"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("status")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the status until `ok` holds; panics after `timeout`.
    pub fn wait_for(
        &self,
        timeout: Duration,
        ok: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let s = self.status();
            if ok(&s) {
                return s;
            }
            assert!(
                started.elapsed() < timeout,
                "{}: condition not met after {timeout:?}; status: {s}",
                self.config.node.origin
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The node's version vector (origin → seq).
    pub fn vector(&self) -> Vec<(String, u64)> {
        vector_of(&self.status())
    }

    /// Stops it with SIGTERM (windows flushed) and waits.
    pub fn terminate(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let started = Instant::now();
            while c.try_wait().unwrap().is_none() {
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "hearsayd did not stop on SIGTERM"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Kills it with SIGKILL.
    pub fn kill(mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The version vector in a status document.
pub fn vector_of(status: &serde_json::Value) -> Vec<(String, u64)> {
    status["store"]["origins"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["origin"].as_str().unwrap_or("").to_owned(),
                        e["seq"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until every daemon's file sensors are done and all vectors are equal (and not
/// empty).
pub fn converge(daemons: &[&Daemon], timeout: Duration) {
    let started = Instant::now();
    loop {
        let statuses: Vec<serde_json::Value> = daemons.iter().map(|d| d.status()).collect();
        let replaying = statuses.iter().any(|s| {
            s["sensors"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["running"] == true && x["kind"] == "file")
            })
        });
        let vectors: Vec<Vec<(String, u64)>> = statuses.iter().map(vector_of).collect();
        if !replaying && !vectors[0].is_empty() && vectors.windows(2).all(|w| w[0] == w[1]) {
            return;
        }
        assert!(
            started.elapsed() < timeout,
            "no convergence after {timeout:?}: {vectors:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `hearsay export --format json` of a (stopped) node's data dir, as parsed lines.
pub fn export(data_dir: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(bin("hearsay"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["export", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Certificates and configs for a federation of `teams` on fixed loopback ports: team
/// `i` dials the teams before it.
pub fn federation_configs(
    dir: &Path,
    teams: &[hearsay_node::federation::TeamSpec],
    flush_interval: f64,
) -> Vec<Config> {
    hearsay_node::federation::make_certificates(dir, teams).unwrap();
    let ports: Vec<SocketAddr> = teams.iter().map(|_| free_port()).collect();
    (0..teams.len())
        .map(|i| {
            let known: Vec<Option<SocketAddr>> = ports
                .iter()
                .enumerate()
                .map(|(j, p)| (j < i).then_some(*p))
                .collect();
            let mut c =
                hearsay_node::federation::team_config(dir, teams, i, &known, flush_interval);
            if let Some(r) = c.replication.as_mut() {
                r.listen = ports[i];
            }
            c
        })
        .collect()
}
