//! The node's HTTP query API (`[api]`): the `hearsay-api` server on the node's store,
//! started with the node and stopped before the store is made durable.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use hearsay_api::{ApiConfig, ApiStats, StatsHandle};
use hearsay_store::Store;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running API server.
#[derive(Debug)]
pub struct Api {
    addr: SocketAddr,
    tls: bool,
    stats: StatsHandle,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), hearsay_api::ApiError>>,
}

/// What `hearsay status` shows of the API.
#[derive(Debug, Clone, Serialize)]
pub struct ApiStatus {
    /// The address it listens on.
    pub listen: String,
    /// HTTPS.
    pub tls: bool,
    /// Its counters.
    pub stats: ApiStats,
}

impl Api {
    /// Binds the listener (errors name the `[api]` key or the address) and serves.
    pub async fn start(config: &ApiConfig, store: Arc<Store>) -> Result<Api> {
        let tls = config.tls.is_some();
        let server = hearsay_api::bind(store, config.clone())
            .await
            .context("[api]")?;
        let addr = server.local_addr();
        let stats = server.stats();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            stopped.await.ok();
        }));
        Ok(Api {
            addr,
            tls,
            stats,
            stop,
            task,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its status now.
    pub fn status(&self) -> ApiStatus {
        ApiStatus {
            listen: self.addr.to_string(),
            tls: self.tls,
            stats: self.stats.get(),
        }
    }

    /// Stops accepting, lets running responses finish for a few seconds, then closes.
    pub async fn shutdown(self) {
        self.stop.send(()).ok();
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "query API stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "query API task failed"),
        }
    }
}
