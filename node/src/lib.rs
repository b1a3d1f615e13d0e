//! # hearsayd
//!
//! The hearsay node: it runs the configured sensors (live interfaces or capture files)
//! through the ingest pipeline into its fjall store, replicates with its partners over
//! mutually authenticated QUIC, serves the HTTP query API (DNSDB v2 and CIRCL clients)
//! when `[api]` is configured, and answers `hearsay status` / `hearsay peers` on a local
//! admin socket. Capture runs on plain threads, the store writer and the replication
//! engine on dedicated threads; tokio only drives network I/O.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let config = hearsay_node::config::Config::load("hearsayd.toml".as_ref())?;
//! let node = hearsay_node::Node::start(config).await?;
//! // … until SIGTERM:
//! node.shutdown().await;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod alloc;
pub mod api;
pub mod config;
pub mod federation;
pub mod replication;
pub mod sensors;
pub mod write_behind;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hearsay_store::{Store, StoreOptions, StoreStats};
use serde::Serialize;
use tokio::task::JoinHandle;

use api::{Api, ApiStatus};
use config::Config;
use replication::{Replication, ReplicationStatus};
use sensors::{Sensor, SensorStatus};

/// Everything `hearsay status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    /// This node's origin.
    pub origin: String,
    /// hearsayd's version.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_secs: f64,
    /// The data directory.
    pub data_dir: String,
    /// Per sensor.
    pub sensors: Vec<SensorStatus>,
    /// The store.
    pub store: Option<StoreStats>,
    /// Replication, if configured.
    pub replication: Option<ReplicationStatus>,
    /// The HTTP query API, if configured.
    pub api: Option<ApiStatus>,
}

/// What the admin socket and the node share.
pub struct Shared {
    origin: String,
    data_dir: std::path::PathBuf,
    started: Instant,
    store: Arc<Store>,
    sensors: Mutex<Vec<Sensor>>,
    replication: tokio::sync::RwLock<Option<Replication>>,
    api: Mutex<Option<Api>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The node's status now.
    pub async fn status(&self) -> NodeStatus {
        let sensors = self
            .sensors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(Sensor::status)
            .collect();
        let store = self.store.clone();
        let store_stats = tokio::task::spawn_blocking(move || store.stats().ok())
            .await
            .ok()
            .flatten();
        let replication = match self.replication.read().await.as_ref() {
            Some(r) => r.status().await,
            None => None,
        };
        NodeStatus {
            origin: self.origin.clone(),
            version: env!("CARGO_PKG_VERSION"),
            uptime_secs: self.started.elapsed().as_secs_f64(),
            data_dir: self.data_dir.display().to_string(),
            sensors,
            store: store_stats,
            replication,
            api: self
                .api
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .map(Api::status),
        }
    }
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    shared: Arc<Shared>,
    admin: JoinHandle<()>,
}

impl Node {
    /// Opens the store, starts the HTTP API, replication, the sensors and the admin
    /// socket. Must be
    /// called within a multi-threaded tokio runtime.
    pub async fn start(config: Config) -> Result<Node> {
        let dir = config.node.data_dir.clone();
        let origin = config.node.origin.clone();
        let store = {
            let (dir, origin) = (dir.clone(), origin.clone());
            tokio::task::spawn_blocking(move || -> Result<Arc<Store>> {
                let store = Store::open(&dir, StoreOptions::default())
                    .with_context(|| format!("opening the store in {}", dir.display()))?;
                store
                    .set_local_origin_name(&origin)
                    .context("node.origin")?;
                Ok(Arc::new(store))
            })
            .await
            .context("store thread")??
        };
        // The API first: a taken port is the likeliest start-up failure, and it is
        // stopped again if what follows fails.
        let api = match &config.api {
            Some(a) => Some(Api::start(a, store.clone()).await?),
            None => None,
        };
        let rest = (|| -> Result<_> {
            let replication = match &config.replication {
                Some(r) => Some(Replication::start(
                    r,
                    &config.peers,
                    config.withheld(),
                    store.clone(),
                    &origin,
                )?),
                None => None,
            };
            let flush = Duration::from_secs_f64(config.node.flush_interval);
            let window = config.node.window_max_mb << 20;
            let mut sensors = Vec::new();
            for s in &config.sensors {
                sensors.push(Sensor::start(s, store.clone(), flush, window)?);
            }
            Ok((replication, sensors))
        })();
        let (replication, sensors) = match rest {
            Ok(x) => x,
            Err(e) => {
                if let Some(api) = api {
                    api.shutdown().await;
                }
                return Err(e);
            }
        };
        let shared = Arc::new(Shared {
            origin,
            data_dir: dir.clone(),
            started: Instant::now(),
            store,
            sensors: Mutex::new(sensors),
            replication: tokio::sync::RwLock::new(replication),
            api: Mutex::new(api),
        });
        let path = admin::socket_path(&dir);
        let admin_shared = shared.clone();
        let admin = tokio::spawn(async move {
            if let Err(e) = admin::serve(path, admin_shared).await {
                tracing::error!(error = %e, "admin socket failed");
            }
        });
        tracing::info!(origin = %shared.origin, data_dir = %dir.display(), "node started");
        Ok(Node { shared, admin })
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.shared.store
    }

    /// The status now.
    pub async fn status(&self) -> NodeStatus {
        self.shared.status().await
    }

    /// The replication listen address, if replicating.
    pub async fn replication_addr(&self) -> Option<std::net::SocketAddr> {
        self.shared
            .replication
            .read()
            .await
            .as_ref()
            .map(Replication::listen_addr)
    }

    /// The HTTP query API's address, if serving it.
    pub fn api_addr(&self) -> Option<std::net::SocketAddr> {
        self.shared
            .api
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(Api::local_addr)
    }

    /// Stops the HTTP API, the sensors (flushing their windows), replication and the
    /// admin socket, and makes the store durable.
    pub async fn shutdown(self) {
        self.admin.abort();
        let api = self
            .shared
            .api
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(api) = api {
            api.shutdown().await;
        }
        let shared = self.shared.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let mut sensors = shared.sensors.lock().unwrap_or_else(|p| p.into_inner());
            for s in sensors.iter_mut() {
                s.stop();
            }
        })
        .await;
        if let Some(r) = self.shared.replication.write().await.take() {
            r.shutdown().await;
        }
        let store = self.shared.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.persist()).await;
        let _ = std::fs::remove_file(admin::socket_path(&self.shared.data_dir));
        tracing::info!(origin = %self.shared.origin, "node stopped");
    }
}
