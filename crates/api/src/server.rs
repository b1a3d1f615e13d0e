//! The listener: TCP (or TLS with rustls), HTTP/1.1 connections served by hyper, a cap
//! on open connections, timeouts on slow handshakes and headers, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hearsay_store::Store;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::config::{ApiConfig, TlsConfig};
use crate::error::ApiError;
use crate::limits::{ApiStats, Stats};
use crate::router::{AppState, router};

/// Time for a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time for a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Time open connections get to finish after shutdown is asked.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A bound, not yet running API server (see [`bind`]).
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    tls: Option<TlsAcceptor>,
    app: Arc<AppState>,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// Validates the configuration, loads the TLS certificate if any, and binds the
/// listening socket (port 0 picks a free port; see [`Server::local_addr`]). Must be
/// called inside a tokio runtime, which the queries' blocking threads come from.
pub async fn bind(store: Arc<Store>, config: ApiConfig) -> Result<Server, ApiError> {
    config.validate()?;
    let tls = config.tls.as_ref().map(acceptor).transpose()?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ApiError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| ApiError::Bind {
        addr: config.listen,
        source,
    })?;
    let stats = Arc::new(Stats::default());
    let app = Arc::new(AppState::new(
        store,
        config,
        Arc::clone(&stats),
        tokio::runtime::Handle::current(),
    ));
    Ok(Server {
        listener,
        local_addr,
        tls,
        app,
        stats,
    })
}

/// Binds and serves until `shutdown` completes (see [`bind`] and [`Server::run`]).
pub async fn serve(
    store: Arc<Store>,
    config: ApiConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ApiError> {
    bind(store, config).await?.run(shutdown).await
}

impl Server {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle on its counters, valid while and after it runs.
    pub fn stats(&self) -> StatsHandle {
        StatsHandle(Arc::clone(&self.stats))
    }

    /// Serves until `shutdown` completes; then stops accepting, lets open connections
    /// finish their current response for a few seconds, and closes the rest.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), ApiError> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %self.local_addr, scheme, "query API listening");
        let service = TowerToHyperService::new(router(Arc::clone(&self.app)));
        let slots = Arc::new(Semaphore::new(self.app.config.max_connections));
        let graceful = GracefulShutdown::new();
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while connections.try_join_next().is_some() {}
            let slot = tokio::select! {
                _ = &mut shutdown => break,
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(s) => s,
                    Err(_) => break,
                },
            };
            let (tcp, peer) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY");
            }
            let service = service.clone();
            let watcher = graceful.watcher();
            let tls = self.tls.clone();
            connections.spawn(async move {
                let _slot = slot;
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .keep_alive(true);
                let result = match tls {
                    None => {
                        watcher
                            .watch(http.serve_connection(TokioIo::new(tcp), service))
                            .await
                    }
                    Some(acceptor) => {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(stream)) => {
                                watcher
                                    .watch(http.serve_connection(TokioIo::new(stream), service))
                                    .await
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        }
                    }
                };
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        tracing::info!(address = %self.local_addr, "query API stopping");
        tokio::select! {
            _ = graceful.shutdown() => {}
            _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
                tracing::debug!("connections still open after the grace period: closing them");
            }
        }
        connections.abort_all();
        while connections.join_next().await.is_some() {}
        Ok(())
    }
}

/// Reads a running server's counters.
#[derive(Debug, Clone)]
pub struct StatsHandle(Arc<Stats>);

impl StatsHandle {
    /// The counters now.
    pub fn get(&self) -> ApiStats {
        self.0.snapshot()
    }
}

fn acceptor(tls: &TlsConfig) -> Result<TlsAcceptor, ApiError> {
    let certs = load_certs(&tls.cert)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| ApiError::Tls {
        what: "key",
        path: tls.key.clone(),
        detail: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| ApiError::Tls {
            what: "certificate and key",
            path: tls.cert.clone(),
            detail: e.to_string(),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ApiError> {
    let bad = |detail: String| ApiError::Tls {
        what: "certificate",
        path: path.to_owned(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    Ok(certs)
}
