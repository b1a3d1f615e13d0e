//! [`Transport`]: the QUIC endpoint (one UDP socket, server and client at once), the
//! accept path, link set-up and delivery.
//!
//! Link set-up after the handshake: the dialer opens the one bidirectional stream and
//! writes an 8-byte preamble; the acceptor decides (see [`registry`](crate::registry)),
//! answers one ack byte, and both sides deliver a [`Link`]. Neither is visible in the
//! link's byte stream.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::{ConnectionError, TransportErrorCode};
use rustls_pki_types::CertificateDer;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use crate::ALPN;
use crate::config::TransportConfig;
use crate::dial;
use crate::error::TransportError;
use crate::identity::{is_valid_origin_name, origin_of};
use crate::link::{Link, code};
use crate::registry::{Duplicate, Registry};
use crate::stats::{Counters, Refusal, TransportStats};
use crate::verify::Trust;
use crate::{reset, socket, tls};

/// What the dialer writes first on the link's stream.
pub(crate) const PREAMBLE: &[u8; 8] = b"hsy-link";
/// What the acceptor answers when it keeps the link.
pub(crate) const ACK: u8 = 0x06;

/// TLS alert certificate_required (RFC 8446): a client sent no certificate.
const ALERT_CERTIFICATE_REQUIRED: u8 = 116;
/// TLS alert no_application_protocol (RFC 7301).
const ALERT_NO_APPLICATION_PROTOCOL: u8 = 120;

/// State shared by the endpoint's tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub local: String,
    pub endpoint: quinn::Endpoint,
    pub registry: Registry,
    pub counters: Arc<Counters>,
    pub partners: HashSet<String>,
    pub handshake_timeout: Duration,
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    links: mpsc::Sender<Link>,
    closing: watch::Sender<bool>,
}

impl Shared {
    /// The verified identity of a connection that completed its handshake: our ALPN,
    /// and the origin of the peer's end-entity certificate (already verified by our
    /// rustls verifier, re-read here from what TLS verified, never from the peer's
    /// data).
    pub fn identify(&self, conn: &quinn::Connection) -> Result<String, Refusal> {
        let alpn = conn
            .handshake_data()
            .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
            .and_then(|d| d.protocol);
        if alpn.as_deref() != Some(ALPN) {
            return Err(Refusal::WrongAlpn);
        }
        let certs = conn
            .peer_identity()
            .and_then(|id| id.downcast::<Vec<CertificateDer<'static>>>().ok())
            .ok_or(Refusal::NoIdentity)?;
        let leaf = certs.first().ok_or(Refusal::NoIdentity)?;
        let origin = origin_of(leaf).map_err(|_| Refusal::NoIdentity)?;
        if !self.partners.contains(&origin) {
            return Err(Refusal::NotPartner);
        }
        Ok(origin)
    }

    /// Counts and logs a failed handshake. Refusals our verifiers made were counted
    /// there; the two that rustls makes before any verifier runs are counted here.
    pub fn handshake_failed(&self, e: &ConnectionError, remote: SocketAddr, dialed: Option<&str>) {
        Counters::inc(&self.counters.handshakes_failed);
        let local_alert = |alert: u8| matches!(e, ConnectionError::TransportError(t) if t.code == TransportErrorCode::crypto(alert));
        if local_alert(ALERT_CERTIFICATE_REQUIRED) {
            self.counters.refuse(Refusal::NoClientCert);
            tracing::warn!(%remote, reason = Refusal::NoClientCert.as_str(), "refused a client without a certificate");
        } else if local_alert(ALERT_NO_APPLICATION_PROTOCOL) {
            self.counters.refuse(Refusal::WrongAlpn);
            tracing::warn!(%remote, reason = Refusal::WrongAlpn.as_str(), "refused a peer that does not speak our ALPN");
        } else if let Some(peer) = dialed {
            tracing::info!(%remote, peer, error = %e, "dial failed");
        } else {
            tracing::info!(%remote, error = %e, "incoming handshake failed");
        }
    }

    /// Closes a connection whose identity check failed after the handshake.
    pub fn refuse_after_handshake(&self, conn: &quinn::Connection, why: Refusal) {
        self.counters.refuse(why);
        tracing::warn!(remote = %conn.remote_address(), reason = why.as_str(), "refused peer after handshake");
        conn.close(code::PROTOCOL, why.as_str().as_bytes());
    }

    /// Watches a registered link: forgets it when its connection closes.
    pub fn watch_link(self: &Arc<Self>, peer: String, conn: quinn::Connection, dialed: bool) {
        let shared = self.clone();
        tokio::spawn(async move {
            let why = conn.closed().await;
            if shared.registry.remove(&peer, conn.stable_id()) {
                tracing::info!(peer, remote = %conn.remote_address(), dialed, reason = %why, "link down");
            } else {
                tracing::debug!(peer, reason = %why, "superseded link closed");
            }
        });
    }

    /// Whether the application dropped the receiver of new links.
    pub fn links_unwanted(&self) -> bool {
        self.links.is_closed()
    }

    /// Hands a link to the application (waits while its queue is full).
    pub async fn deliver(&self, link: Link) {
        tracing::info!(peer = link.peer, remote = %link.remote, dialed = link.dialed, id = link.id, "link up");
        let mut closing = self.closing.subscribe();
        tokio::select! {
            sent = self.links.send(link) => match sent {
                Ok(()) => Counters::inc(&self.counters.links_established),
                Err(mpsc::error::SendError(link)) => {
                    tracing::debug!(peer = link.peer, "application takes no more links");
                    link.close("not wanted");
                }
            },
            _ = closing.wait_for(|c| *c) => {}
        }
    }

    /// Closes the link `old` that `new_peer`'s new link replaced.
    pub fn close_replaced(&self, peer: &str, old: Option<quinn::Connection>) {
        if let Some(old) = old {
            Counters::inc(&self.counters.links_replaced);
            tracing::info!(peer, old = old.stable_id(), "link replaced by a newer one");
            old.close(code::REPLACED, b"replaced by a newer link");
        }
    }
}

/// A running peering endpoint. See the [crate docs](crate) for an example.
#[derive(Debug)]
pub struct Transport {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Transport {
    /// Binds the endpoint, starts accepting partners and dialing every partner that has
    /// an address. Must be called within a tokio runtime. New links arrive on the
    /// returned receiver, one per partner at a time; a replaced or lost link's halves
    /// fail, and a dialed partner's next link arrives there too.
    pub fn start(
        config: TransportConfig,
        local_name: &str,
    ) -> Result<(Transport, mpsc::Receiver<Link>), TransportError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(TransportError::NoRuntime);
        }
        check(&config, local_name)?;

        let counters = Arc::new(Counters::default());
        let algs = tls::provider().signature_verification_algorithms;
        let trust = Arc::new(Trust::new(&config.peers, algs, counters.clone())?);
        let server = tls::server_config(&config, trust.clone())?;
        let mut dials = Vec::new();
        for peer in &config.peers {
            if let Some(addr) = peer.address {
                let client = tls::client_config(
                    &config,
                    config.cert_chain.clone(),
                    config.key.clone_key(),
                    trust.clone(),
                    &peer.name,
                )?;
                dials.push((peer.name.clone(), addr, client));
            }
        }

        let socket = socket::bind(
            config.listen,
            config.socket_recv_buffer,
            config.socket_send_buffer,
        )?;
        let endpoint = quinn::Endpoint::new(
            reset::endpoint_config(&config.key),
            Some(server),
            socket,
            Arc::new(quinn::TokioRuntime),
        )
        .map_err(|source| TransportError::Bind {
            addr: config.listen,
            source,
        })?;
        let local_addr = endpoint
            .local_addr()
            .map_err(|source| TransportError::Bind {
                addr: config.listen,
                source,
            })?;

        let (links, rx) = mpsc::channel(config.link_queue.max(1));
        let shared = Arc::new(Shared {
            local: local_name.to_owned(),
            endpoint,
            registry: Registry::new(local_name, config.peers.iter().map(|p| p.name.as_str())),
            counters,
            partners: config.peers.iter().map(|p| p.name.clone()).collect(),
            handshake_timeout: config.handshake_timeout,
            reconnect_min: config.reconnect_min,
            reconnect_max: config.reconnect_max.max(config.reconnect_min),
            links,
            closing: watch::Sender::new(false),
        });
        tracing::info!(
            local = local_name,
            %local_addr,
            partners = config.peers.len(),
            dialing = dials.len(),
            "transport started"
        );

        let mut tasks = vec![tokio::spawn(accept_loop(shared.clone()))];
        for (peer, addr, client) in dials {
            tasks.push(tokio::spawn(dial::dial_loop(
                shared.clone(),
                peer,
                addr,
                client,
            )));
        }
        Ok((
            Transport {
                shared,
                local_addr,
                tasks,
            },
            rx,
        ))
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// This node's origin name.
    pub fn local_name(&self) -> &str {
        &self.shared.local
    }

    /// The partners with a live link now.
    pub fn linked_partners(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .shared
            .partners
            .iter()
            .filter(|p| self.shared.registry.has_live(p))
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> TransportStats {
        self.shared
            .counters
            .snapshot(self.shared.registry.links_up())
    }

    /// Stops dialing and accepting, closes every connection (partners see the links
    /// close at once rather than time out) and waits briefly for the closes to be sent.
    ///
    /// The wait is capped at half a second: established links send their close at once
    /// and drain within a few round trips, while a dial still in its handshake (to a
    /// partner that is down) would keep the endpoint busy for seconds for nothing.
    pub async fn shutdown(mut self) {
        self.stop();
        let _ = timeout(Duration::from_millis(500), self.shared.endpoint.wait_idle()).await;
        tracing::info!(local = self.shared.local, "transport shut down");
    }

    fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.shared.closing.send_replace(true);
        for conn in self.shared.registry.connections() {
            conn.close(code::SHUTDOWN, b"shutdown");
        }
        self.shared.endpoint.close(code::SHUTDOWN, b"shutdown");
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Configuration checks that need no I/O.
fn check(config: &TransportConfig, local_name: &str) -> Result<(), TransportError> {
    let bad = |m: String| Err(TransportError::Config(m));
    if !is_valid_origin_name(local_name) {
        return bad(format!(
            "local name {local_name:?} is not 1-64 characters of a-z 0-9 . - _"
        ));
    }
    let Some(leaf) = config.cert_chain.first() else {
        return bad("no certificate".into());
    };
    match origin_of(leaf) {
        Ok(origin) if origin == local_name => {}
        Ok(origin) => {
            return bad(format!(
                "our certificate names origin {origin:?}, not the local name {local_name:?}"
            ));
        }
        Err(e) => return bad(format!("our certificate: {e}")),
    }
    let mut seen = HashSet::new();
    for peer in &config.peers {
        if !is_valid_origin_name(&peer.name) {
            return bad(format!(
                "partner name {:?} is not 1-64 characters of a-z 0-9 . - _",
                peer.name
            ));
        }
        if peer.name == local_name {
            return bad(format!("partner {:?} is this node itself", peer.name));
        }
        if !seen.insert(peer.name.as_str()) {
            return bad(format!("partner {:?} configured twice", peer.name));
        }
    }
    if config.handshake_timeout.is_zero() || config.reconnect_min.is_zero() {
        return bad("handshake_timeout and reconnect_min must be positive".into());
    }
    Ok(())
}

async fn accept_loop(shared: Arc<Shared>) {
    while let Some(incoming) = shared.endpoint.accept().await {
        // Read before the handshake can progress: see the registry's duplicate rule.
        let arrival = shared.registry.generation();
        tokio::spawn(inbound(shared.clone(), incoming, arrival));
    }
    tracing::debug!("accept loop ended");
}

/// One incoming connection: handshake (our verifier judges the certificate), link
/// set-up, duplicate rule, delivery.
async fn inbound(shared: Arc<Shared>, incoming: quinn::Incoming, arrival: u64) {
    let remote = incoming.remote_address();
    let connecting = match incoming.accept() {
        Ok(c) => c,
        // The ClientHello is processed here: a wrong ALPN already fails.
        Err(e) => {
            shared.handshake_failed(&e, remote, None);
            return;
        }
    };
    let conn = match timeout(shared.handshake_timeout, connecting).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            shared.handshake_failed(&e, remote, None);
            return;
        }
        Err(_) => {
            Counters::inc(&shared.counters.handshakes_failed);
            tracing::info!(%remote, "incoming handshake timed out");
            return;
        }
    };
    let peer = match shared.identify(&conn) {
        Ok(peer) => peer,
        Err(why) => return shared.refuse_after_handshake(&conn, why),
    };
    Counters::inc(&shared.counters.handshakes_ok);
    tracing::debug!(%remote, peer, "handshake ok (accepted)");

    let setup = async {
        let (send, mut recv) = conn.accept_bi().await.ok()?;
        let mut preamble = [0u8; PREAMBLE.len()];
        recv.read_exact(&mut preamble).await.ok()?;
        (&preamble == PREAMBLE).then_some((send, recv))
    };
    let Ok(Some((mut send, recv))) = timeout(shared.handshake_timeout, setup).await else {
        tracing::info!(%remote, peer, "link set-up failed (no stream or bad preamble)");
        conn.close(code::PROTOCOL, b"link set-up failed");
        return;
    };

    if shared.registry.must_wait_for_dial(&peer) {
        // Our own dial to this partner settles within its handshake and set-up time.
        let _ = timeout(
            shared.handshake_timeout * 4,
            shared.registry.wait_not_dialing(&peer),
        )
        .await;
    }
    match shared.registry.register_accepted(&peer, &conn, arrival) {
        Err(Duplicate) => {
            Counters::inc(&shared.counters.duplicates_refused);
            tracing::debug!(%remote, peer, "refused duplicate link: our own dial won");
            conn.close(code::DUPLICATE, b"duplicate link");
            return;
        }
        Ok(old) => shared.close_replaced(&peer, old),
    }
    shared.watch_link(peer.clone(), conn.clone(), false);
    if let Err(e) = send.write_all(&[ACK]).await {
        tracing::info!(%remote, peer, error = %e, "link lost during set-up");
        conn.close(code::PROTOCOL, b"link set-up failed");
        return;
    }
    shared
        .deliver(Link::new(peer, false, conn, send, recv))
        .await;
}
