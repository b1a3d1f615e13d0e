//! What an endpoint is told: where to listen, its own certificate and key, its partners
//! and how each is pinned, timings, and buffer sizes.

use std::net::SocketAddr;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::certs::format_fingerprint;

pub use crate::certs::parse_fingerprint;
pub use crate::pem::{load_pem_chain, load_pem_key, load_pin_ca};

/// How a partner is authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum Pin {
    /// The partner's CA certificate(s): its certificate must chain to one of these, and
    /// to no other partner's CA.
    Ca(Vec<CertificateDer<'static>>),
    /// SHA-256 of the partner's node certificate (DER). Validity and EKU are still
    /// checked.
    Fingerprint([u8; 32]),
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pin::Ca(certs) => write!(f, "Ca({} certificate(s))", certs.len()),
            Pin::Fingerprint(d) => write!(f, "Fingerprint({})", format_fingerprint(d)),
        }
    }
}

/// One partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTrust {
    /// The origin it speaks for; its certificate's SAN URI must name exactly this.
    pub name: String,
    /// Dial it here and keep the link up; `None`: only accept its connections.
    pub address: Option<SocketAddr>,
    /// How it is authenticated.
    pub pin: Pin,
}

/// An endpoint's configuration. [`TransportConfig::new`] fills in defaults meant for
/// bulk replication between a few dozen partners.
pub struct TransportConfig {
    /// UDP address to listen on (and dial from).
    pub listen: SocketAddr,
    /// This node's certificate, then the certificates of its CA (if any).
    pub cert_chain: Vec<CertificateDer<'static>>,
    /// This node's private key.
    pub key: PrivateKeyDer<'static>,
    /// The partners. Nobody else can connect.
    pub peers: Vec<PeerTrust>,
    /// QUIC keep-alive interval (default 5 s).
    pub keep_alive: Duration,
    /// A connection silent this long is dead (default 30 s).
    pub idle_timeout: Duration,
    /// Time allowed for a QUIC+TLS handshake and the link set-up after it (default 10 s).
    pub handshake_timeout: Duration,
    /// First reconnect delay (default 200 ms); doubles per failure, jittered.
    pub reconnect_min: Duration,
    /// Longest reconnect delay (default 30 s).
    pub reconnect_max: Duration,
    /// Flow-control window of the link's stream, bytes (default 16 MiB).
    pub stream_receive_window: u64,
    /// Flow-control window of the whole connection, bytes (default 32 MiB).
    pub receive_window: u64,
    /// Bytes buffered for sending per connection (default 32 MiB).
    pub send_window: u64,
    /// `SO_RCVBUF` asked for the UDP socket (default 8 MiB; the kernel may cap it).
    pub socket_recv_buffer: usize,
    /// `SO_SNDBUF` asked for the UDP socket (default 8 MiB; the kernel may cap it).
    pub socket_send_buffer: usize,
    /// New links queued for the application before the transport waits (default 16).
    pub link_queue: usize,
}

impl TransportConfig {
    /// A configuration with no partners and the default timings and windows.
    pub fn new(
        listen: SocketAddr,
        cert_chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        TransportConfig {
            listen,
            cert_chain,
            key,
            peers: Vec::new(),
            keep_alive: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            reconnect_min: Duration::from_millis(200),
            reconnect_max: Duration::from_secs(30),
            stream_receive_window: 16 << 20,
            receive_window: 32 << 20,
            send_window: 32 << 20,
            socket_recv_buffer: 8 << 20,
            socket_send_buffer: 8 << 20,
            link_queue: 16,
        }
    }

    /// Adds a partner.
    pub fn peer(mut self, peer: PeerTrust) -> Self {
        self.peers.push(peer);
        self
    }
}

impl std::fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportConfig")
            .field("listen", &self.listen)
            .field("cert_chain", &self.cert_chain.len())
            .field("key", &"[secret]")
            .field("peers", &self.peers)
            .field("keep_alive", &self.keep_alive)
            .field("idle_timeout", &self.idle_timeout)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("reconnect_min", &self.reconnect_min)
            .field("reconnect_max", &self.reconnect_max)
            .field("stream_receive_window", &self.stream_receive_window)
            .field("receive_window", &self.receive_window)
            .field("send_window", &self.send_window)
            .field("socket_recv_buffer", &self.socket_recv_buffer)
            .field("socket_send_buffer", &self.socket_send_buffer)
            .field("link_queue", &self.link_queue)
            .finish()
    }
}
