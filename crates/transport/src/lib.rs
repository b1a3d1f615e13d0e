//! # hearsay-transport
//!
//! Authenticated byte pipes between partner nodes, and the federation's certificates.
//!
//! Partners replicate over QUIC (quinn) with mandatory mutual TLS 1.3 (rustls, ring)
//! and the ALPN [`ALPN`]; there is no plaintext mode. A node's identity is its origin
//! name, carried in its certificate as the SAN URI `urn:hearsay:origin:<name>`; each
//! partner is configured with the name it speaks for and a [`Pin`] — its CA, or the
//! SHA-256 fingerprint of its node certificate. After the handshake the peer's identity
//! is read only from its verified certificate ([`Link::peer`]); nothing it sends can
//! change it. See [`verify`](crate::verify) for the checks, in order, and
//! [`registry`](crate::registry) for how exactly one link per partner is kept when both
//! sides dial.
//!
//! A [`Transport`] is one UDP socket acting as server and client. It accepts links
//! from configured partners, dials every partner that has an address and keeps it
//! connected (jittered exponential backoff), and hands each new [`Link`] to the
//! application: one bidirectional stream whose bytes are opaque here (the sync protocol
//! frames them). [`TransportStats`] counts handshakes, refusals by [`Refusal`] reason,
//! links and reconnects.
//!
//! [`certs`] makes CAs and node certificates (also behind `hearsay certs`).
//!
//! ```
//! use hearsay_transport::{certs, Pin, PeerTrust, Transport, TransportConfig};
//! use hearsay_transport::pem::{certs_from_pem, key_from_pem};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Two teams, each with its own CA and node certificate.
//! let (ca_a, ca_b) = (certs::create_ca("A CA", 30)?, certs::create_ca("B CA", 30)?);
//! let node_a = certs::issue_node(&ca_a.cert_pem, &ca_a.key_pem, "cert-a", 30)?;
//! let node_b = certs::issue_node(&ca_b.cert_pem, &ca_b.key_pem, "cert-b", 30)?;
//! let pem = |s: &str| certs_from_pem(s.as_bytes(), "pem");
//! let key = |s: &str| key_from_pem(s.as_bytes(), "key");
//!
//! // B accepts A (pinned by A's CA); A dials B (pinned by B's CA).
//! let b = TransportConfig::new("127.0.0.1:0".parse()?, pem(&node_b.cert_pem)?, key(&node_b.key_pem)?)
//!     .peer(PeerTrust { name: "cert-a".into(), address: None, pin: Pin::Ca(pem(&ca_a.cert_pem)?) });
//! let (b, mut b_links) = Transport::start(b, "cert-b")?;
//! let a = TransportConfig::new("127.0.0.1:0".parse()?, pem(&node_a.cert_pem)?, key(&node_a.key_pem)?)
//!     .peer(PeerTrust { name: "cert-b".into(), address: Some(b.local_addr()), pin: Pin::Ca(pem(&ca_b.cert_pem)?) });
//! let (a, mut a_links) = Transport::start(a, "cert-a")?;
//!
//! let mut at_a = a_links.recv().await.ok_or("no link")?;
//! let mut at_b = b_links.recv().await.ok_or("no link")?;
//! assert_eq!((at_a.peer.as_str(), at_b.peer.as_str()), ("cert-b", "cert-a"));
//!
//! at_a.send.send(b"hello").await?;
//! at_a.send.finish().await?;
//! let mut buf = [0u8; 16];
//! let n = at_b.recv.recv(&mut buf).await?.ok_or("finished early")?;
//! assert_eq!(&buf[..n], b"hello");
//! assert_eq!(at_b.recv.recv(&mut buf).await?, None); // A finished its stream
//!
//! a.shutdown().await;
//! b.shutdown().await;
//! # Ok(()) }
//! ```

pub mod certs;
mod config;
mod dial;
mod endpoint;
mod error;
pub mod identity;
mod link;
pub mod pem;
pub mod registry;
mod reset;
mod socket;
mod stats;
mod tls;
pub mod verify;

pub use config::{
    PeerTrust, Pin, TransportConfig, load_pem_chain, load_pem_key, load_pin_ca, parse_fingerprint,
};
pub use endpoint::Transport;
pub use error::{CertError, LinkError, TransportError};
pub use link::{Link, LinkCounters, LinkReceiver, LinkSender, UdpBytes};
pub use stats::{Refusal, TransportStats};

/// The ALPN protocol id of hearsay's replication protocol.
pub const ALPN: &[u8] = b"hearsay/1";
