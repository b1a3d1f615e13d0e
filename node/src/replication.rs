//! Replication wiring: the QUIC transport delivers authenticated links; a dedicated
//! engine thread owns the protocol state machine ([`Replicator`]) and the store, so
//! blocking store work never runs on a tokio worker. Per link, a reader task forwards
//! received bytes to the engine (bounded: a slow engine slows the peer down), and a
//! writer task sends the frames the engine produces; the engine stops producing for a
//! partner once `send_queue` bytes are queued for it, and the log is the buffer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hearsay_store::Store;
use hearsay_sync::{
    ConnId, PeerPolicy, PeerStatus, Replicator, ReplicatorStats, SyncConfig, SyncError, TICK,
};
use hearsay_transport::{
    Link, LinkCounters, PeerTrust, Pin, Refusal, Transport, TransportConfig, TransportStats,
};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::config::{PeerConfig, ReplicationConfig};
use crate::write_behind::WriteBehind;

/// The replication engine over the node's store, snapshot writes in the background.
type Engine = Replicator<WriteBehind<Store>>;

/// Replication as `hearsay peers` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicationStatus {
    /// The address the node listens on.
    pub listen: String,
    /// Per partner.
    pub peers: Vec<PeerReport>,
    /// Protocol engine counters.
    pub engine: ReplicatorStats,
    /// Transport counters (handshakes, refusals by reason, links).
    pub transport: TransportReport,
}

/// The transport's counters, for display.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TransportReport {
    /// Handshakes completed with a verified partner.
    pub handshakes_ok: u64,
    /// Handshakes that failed, refusals included.
    pub handshakes_failed: u64,
    /// Peers refused, by reason.
    pub refused: std::collections::BTreeMap<&'static str, u64>,
    /// Links up now.
    pub links_up: usize,
    /// Links ever established.
    pub links_established: u64,
    /// Dial attempts after a failure or a lost link.
    pub reconnect_attempts: u64,
}

impl From<TransportStats> for TransportReport {
    fn from(s: TransportStats) -> Self {
        TransportReport {
            handshakes_ok: s.handshakes_ok,
            handshakes_failed: s.handshakes_failed,
            refused: Refusal::ALL
                .iter()
                .map(|r| (r.as_str(), s.refused(*r)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            links_up: s.links_up,
            links_established: s.links_established,
            reconnect_attempts: s.reconnect_attempts,
        }
    }
}

/// One partner.
#[derive(Debug, Clone, Serialize)]
pub struct PeerReport {
    /// Protocol state, vectors, lag, message counters.
    #[serde(flatten)]
    pub status: PeerStatus,
    /// UDP-level bytes sent to it on the current link.
    pub udp_bytes_out: Option<u64>,
    /// UDP-level bytes received from it on the current link.
    pub udp_bytes_in: Option<u64>,
    /// Round-trip time, milliseconds.
    pub rtt_ms: Option<f64>,
}

enum Event {
    Up {
        conn: ConnId,
        peer: String,
        out: mpsc::UnboundedSender<Vec<u8>>,
        queued: Arc<AtomicUsize>,
        tasks: Vec<AbortHandle>,
    },
    Data {
        conn: ConnId,
        bytes: Vec<u8>,
    },
    Down {
        conn: ConnId,
    },
    Status {
        reply: oneshot::Sender<(Vec<PeerStatus>, ReplicatorStats)>,
    },
}

/// Replication of a running node.
pub struct Replication {
    transport: Option<Transport>,
    events: mpsc::Sender<Event>,
    engine: Option<std::thread::JoinHandle<()>>,
    links: Arc<std::sync::Mutex<HashMap<String, Arc<LinkCounters>>>>,
    listen: std::net::SocketAddr,
}

impl std::fmt::Debug for Replication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replication")
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

/// Builds the transport's view of the partners.
fn trust(peers: &[PeerConfig]) -> Result<Vec<PeerTrust>> {
    peers
        .iter()
        .map(|p| {
            let pin = match (&p.ca, &p.fingerprint) {
                (Some(ca), _) => hearsay_transport::load_pin_ca(ca)
                    .with_context(|| format!("peer {}: ca", p.name))?,
                (None, Some(fp)) => Pin::Fingerprint(
                    hearsay_transport::parse_fingerprint(fp)
                        .with_context(|| format!("peer {}: fingerprint", p.name))?,
                ),
                (None, None) => anyhow::bail!("peer {}: no ca and no fingerprint", p.name),
            };
            Ok(PeerTrust {
                name: p.name.clone(),
                address: p.address,
                pin,
            })
        })
        .collect()
}

/// The protocol's view of the partners.
pub fn policies(peers: &[PeerConfig]) -> Vec<PeerPolicy> {
    peers
        .iter()
        .map(|p| PeerPolicy {
            name: p.name.clone(),
            accept_relayed: p.accept_relayed,
            relay: p.relay,
            withhold: p.withheld_zones(),
        })
        .collect()
}

impl Replication {
    /// Starts the transport (within the tokio runtime) and the engine thread.
    pub fn start(
        config: &ReplicationConfig,
        peers: &[PeerConfig],
        withhold: Vec<(hearsay_record::Name, Vec<String>)>,
        store: Arc<Store>,
        origin: &str,
    ) -> Result<Replication> {
        let chain = hearsay_transport::load_pem_chain(&config.cert)
            .with_context(|| format!("replication.cert {}", config.cert.display()))?;
        let key = hearsay_transport::load_pem_key(&config.key)
            .with_context(|| format!("replication.key {}", config.key.display()))?;
        let mut tconfig = TransportConfig::new(config.listen, chain, key);
        tconfig.peers = trust(peers)?;
        let mut sync = SyncConfig::new(policies(peers));
        sync.push_interval = Duration::from_millis(config.push_interval_ms);
        sync.max_snapshots = config.max_snapshots.max(1);
        sync.snapshot_apply_bytes = config.snapshot_buffer_mb.max(1) << 20;
        sync.withhold = withhold;
        let replicator = Replicator::new(WriteBehind::new(store), sync)
            .context("starting the replication engine")?;

        let (transport, mut new_links) =
            Transport::start(tconfig, origin).context("starting the QUIC transport")?;
        let listen = transport.local_addr();
        let (events, rx) = mpsc::channel::<Event>(256);
        let limit = config.send_queue_mb << 20;
        let engine = std::thread::Builder::new()
            // `top -H` shows whose engine it is (Linux keeps 15 bytes of a name).
            .name(format!("repl-{origin}").chars().take(15).collect())
            .spawn(move || engine_thread(replicator, rx, limit))
            .context("starting the replication thread")?;

        // Each new link: two tasks and an `Up` for the engine.
        let links: Arc<std::sync::Mutex<HashMap<String, Arc<LinkCounters>>>> = Arc::default();
        let (ev, link_map) = (events.clone(), links.clone());
        tokio::spawn(async move {
            while let Some(link) = new_links.recv().await {
                link_map
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(link.peer.clone(), link.counters.clone());
                attach(link, ev.clone()).await;
            }
        });
        tracing::info!(%listen, partners = peers.len(), "replication started");
        Ok(Replication {
            transport: Some(transport),
            events,
            engine: Some(engine),
            links,
            listen,
        })
    }

    /// The bound address.
    pub fn listen_addr(&self) -> std::net::SocketAddr {
        self.listen
    }

    /// The state of every partner.
    pub async fn status(&self) -> Option<ReplicationStatus> {
        let (reply, rx) = oneshot::channel();
        self.events.send(Event::Status { reply }).await.ok()?;
        let (peers, engine) = rx.await.ok()?;
        let links = self.links.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let peers = peers
            .into_iter()
            .map(|status| {
                let link = links.get(&status.name).filter(|_| status.connected);
                let udp = link.map(|l| l.udp());
                PeerReport {
                    udp_bytes_out: udp.map(|u| u.tx),
                    udp_bytes_in: udp.map(|u| u.rx),
                    rtt_ms: link.map(|l| l.rtt().as_secs_f64() * 1000.0),
                    status,
                }
            })
            .collect();
        let transport = self
            .transport
            .as_ref()
            .map(|t| t.stats().into())
            .unwrap_or_default();
        Some(ReplicationStatus {
            listen: self.listen.to_string(),
            peers,
            engine,
            transport,
        })
    }

    /// Closes every link and stops the engine.
    pub async fn shutdown(mut self) {
        if let Some(t) = self.transport.take() {
            t.shutdown().await;
        }
        drop(self.events);
        if let Some(engine) = self.engine.take() {
            let _ = tokio::task::spawn_blocking(move || engine.join()).await;
        }
    }
}

/// Spawns the reader and writer tasks of a link and tells the engine.
async fn attach(link: Link, events: mpsc::Sender<Event>) {
    let Link {
        peer,
        id,
        mut send,
        mut recv,
        ..
    } = link;
    let conn = id;
    let (out, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let queued = Arc::new(AtomicUsize::new(0));
    let writer_queued = queued.clone();
    let writer = tokio::spawn(async move {
        while let Some(frame) = out_rx.recv().await {
            let n = frame.len();
            if send.send(&frame).await.is_err() {
                break;
            }
            writer_queued.fetch_sub(n, Ordering::Relaxed);
        }
        let _ = send.finish().await;
    });
    let reader_events = events.clone();
    // The reader waits until the engine has been told of the link: its first bytes (the
    // partner's Hello) queued ahead of the `Up` would be dropped as data of an unknown
    // connection, and the session would wait for a Hello that never comes.
    let (registered, go) = oneshot::channel::<()>();
    let reader = tokio::spawn(async move {
        if go.await.is_err() {
            return;
        }
        let mut buf = vec![0u8; 64 << 10];
        while let Ok(Some(n)) = recv.recv(&mut buf).await {
            let bytes = buf[..n].to_vec();
            if reader_events
                .send(Event::Data { conn, bytes })
                .await
                .is_err()
            {
                break;
            }
        }
        let _ = reader_events.send(Event::Down { conn }).await;
    });
    let tasks = vec![writer.abort_handle(), reader.abort_handle()];
    let _ = events
        .send(Event::Up {
            conn,
            peer,
            out,
            queued,
            tasks,
        })
        .await;
    let _ = registered.send(());
}

struct Conn {
    out: mpsc::UnboundedSender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
    tasks: Vec<AbortHandle>,
}

impl Conn {
    fn abort(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The engine: owns the replicator; every event or tick, gives each connection the
/// frames it may take.
fn engine_thread(mut replicator: Engine, mut events: mpsc::Receiver<Event>, limit: usize) {
    let started = Instant::now();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "replication engine cannot start");
            return;
        }
    };
    let mut conns: HashMap<ConnId, Conn> = HashMap::new();
    runtime.block_on(async {
        loop {
            let event = tokio::time::timeout(TICK, events.recv()).await;
            let now = started.elapsed();
            match event {
                Ok(None) => break,
                Ok(Some(Event::Up {
                    conn,
                    peer,
                    out,
                    queued,
                    tasks,
                })) => {
                    // One link per partner: a new one replaces the old.
                    let stale: Vec<ConnId> = conns
                        .keys()
                        .copied()
                        .filter(|c| replicator.peer_of(*c) == Some(peer.as_str()))
                        .collect();
                    for c in stale {
                        close(&mut replicator, &mut conns, c);
                    }
                    let c = Conn { out, queued, tasks };
                    if let Err(e) = replicator.open(conn, &peer, now) {
                        tracing::warn!(%peer, error = %e, "refusing replication session");
                        c.abort();
                    } else {
                        conns.insert(conn, c);
                    }
                }
                Ok(Some(Event::Data { conn, bytes })) => {
                    if conns.contains_key(&conn)
                        && let Err(e) = replicator.handle(conn, &bytes, now)
                    {
                        report(&e, replicator.peer_of(conn));
                        close(&mut replicator, &mut conns, conn);
                    }
                }
                Ok(Some(Event::Down { conn })) => close(&mut replicator, &mut conns, conn),
                Ok(Some(Event::Status { reply })) => {
                    let _ = reply.send((replicator.peers(now), replicator.stats().clone()));
                }
                Err(_) => {}
            }
            pump(&mut replicator, &mut conns, limit, now);
        }
    });
    for (_, c) in conns.drain() {
        c.abort();
    }
}

fn report(e: &SyncError, peer: Option<&str>) {
    match e {
        SyncError::Protocol(p) => {
            tracing::warn!(peer, error = %p, "partner broke the protocol; link closed")
        }
        SyncError::Closed(why) => tracing::info!(peer, why, "partner closed the session"),
        other => tracing::error!(peer, error = %other, "replication session failed"),
    }
}

fn close(replicator: &mut Engine, conns: &mut HashMap<ConnId, Conn>, conn: ConnId) {
    replicator.close(conn);
    if let Some(c) = conns.remove(&conn) {
        c.abort();
    }
}

/// Hands each connection frames until its queue holds `limit` bytes.
fn pump(replicator: &mut Engine, conns: &mut HashMap<ConnId, Conn>, limit: usize, now: Duration) {
    let ids: Vec<ConnId> = conns.keys().copied().collect();
    for conn in ids {
        while let Some(c) = conns.get(&conn) {
            if c.queued.load(Ordering::Relaxed) >= limit {
                break;
            }
            match replicator.poll_transmit(conn, now) {
                Ok(Some(frame)) => {
                    c.queued.fetch_add(frame.len(), Ordering::Relaxed);
                    if c.out.send(frame).is_err() {
                        close(replicator, conns, conn);
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    report(&e, replicator.peer_of(conn));
                    close(replicator, conns, conn);
                    break;
                }
            }
        }
    }
}
