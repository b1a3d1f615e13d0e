//! Shared test helpers: teams with real certificates, endpoint configs with test
//! timings, waiting with timeouts, and a raw quinn client for misbehaving peers.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_transport::certs::{self, Issued};
use hearsay_transport::pem::{certs_from_pem, key_from_pem};
use hearsay_transport::{Link, PeerTrust, Pin, Refusal, Transport, TransportConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::sync::mpsc::Receiver;

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// A team: its CA and its node's certificate for origin `name`.
pub struct Team {
    pub name: String,
    pub ca: Issued,
    pub node: Issued,
}

pub fn team(name: &str) -> Team {
    let ca = certs::create_ca(&format!("{name} CA"), 30).unwrap();
    let node = certs::issue_node(&ca.cert_pem, &ca.key_pem, name, 30).unwrap();
    Team {
        name: name.into(),
        ca,
        node,
    }
}

impl Team {
    pub fn pin(&self) -> Pin {
        Pin::Ca(pem(&self.ca.cert_pem))
    }

    pub fn trust(&self, address: Option<SocketAddr>) -> PeerTrust {
        PeerTrust {
            name: self.name.clone(),
            address,
            pin: self.pin(),
        }
    }

    /// Another certificate for this team's name from its own CA (new key).
    pub fn reissue(&self) -> Issued {
        certs::issue_node(&self.ca.cert_pem, &self.ca.key_pem, &self.name, 30).unwrap()
    }
}

pub fn pem(s: &str) -> Vec<CertificateDer<'static>> {
    certs_from_pem(s.as_bytes(), "test").unwrap()
}

pub fn key(s: &str) -> PrivateKeyDer<'static> {
    key_from_pem(s.as_bytes(), "test").unwrap()
}

/// A UDP port free right now on 127.0.0.1.
pub fn free_addr() -> SocketAddr {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap()
}

/// An endpoint config for `cert` (chain: the certificate and, if given, its CA) with
/// test timings: quick reconnects, short timeouts.
pub fn config(listen: SocketAddr, cert: &Issued, ca: Option<&Issued>) -> TransportConfig {
    let mut chain = pem(&cert.cert_pem);
    if let Some(ca) = ca {
        chain.extend(pem(&ca.cert_pem));
    }
    let mut c = TransportConfig::new(listen, chain, key(&cert.key_pem));
    c.keep_alive = Duration::from_millis(500);
    c.idle_timeout = Duration::from_secs(5);
    c.handshake_timeout = Duration::from_secs(3);
    c.reconnect_min = Duration::from_millis(50);
    c.reconnect_max = Duration::from_millis(500);
    c
}

/// The team's node config (chain = node + CA).
pub fn team_config(t: &Team, listen: SocketAddr) -> TransportConfig {
    config(listen, &t.node, Some(&t.ca))
}

pub fn start(c: TransportConfig, name: &str) -> (Transport, Receiver<Link>) {
    Transport::start(c, name).unwrap()
}

/// The next link, or panic after `secs`.
pub async fn next_link(rx: &mut Receiver<Link>, secs: u64) -> Link {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("no link in time")
        .expect("link channel closed")
}

/// Asserts that no link arrives for `ms` milliseconds.
pub async fn assert_no_link(rx: &mut Receiver<Link>, ms: u64) {
    if let Ok(Some(link)) = tokio::time::timeout(Duration::from_millis(ms), rx.recv()).await {
        panic!("unexpected link to {} (dialed: {})", link.peer, link.dialed);
    }
}

/// Polls `cond` every 20 ms until it holds, or panics after `secs` with `what`.
pub async fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `t` has refused a peer for `why`, then checks nothing else let it in.
pub async fn assert_refused(t: &Transport, rx: &mut Receiver<Link>, why: Refusal) {
    wait_until(10, why.as_str(), || t.stats().refused(why) >= 1).await;
    assert_no_link(rx, 300).await;
    let s = t.stats();
    assert_eq!(s.links_up, 0, "{s:?}");
    assert_eq!(s.links_established, 0, "{s:?}");
}

/// A server verifier that accepts anything (for raw clients that misbehave otherwise).
#[derive(Debug)]
struct AcceptAnyServer(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A raw quinn client: optional client certificate, any ALPN, trusts any server.
pub fn raw_client(
    client_cert: Option<&Issued>,
    alpn: &[u8],
) -> (quinn::Endpoint, quinn::ClientConfig) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider)));
    let mut tls = match client_cert {
        Some(c) => builder
            .with_client_auth_cert(pem(&c.cert_pem), key(&c.key_pem))
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![alpn.to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    (endpoint, quinn::ClientConfig::new(Arc::new(crypto)))
}

/// Dials `addr` with a raw client and drives the connection a little; the result does
/// not matter (the server's counters do).
pub async fn raw_dial(client_cert: Option<&Issued>, alpn: &[u8], addr: SocketAddr) {
    let (endpoint, config) = raw_client(client_cert, alpn);
    let connecting = endpoint.connect_with(config, addr, "localhost").unwrap();
    if let Ok(Ok(conn)) = tokio::time::timeout(Duration::from_secs(3), connecting).await {
        // TLS 1.3: the client may finish before the server has judged its certificate.
        if let Ok((mut send, _recv)) = conn.open_bi().await {
            let _ = send.write_all(b"hsy-link").await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(3), conn.closed()).await;
    }
    endpoint.close(0u32.into(), b"");
}
