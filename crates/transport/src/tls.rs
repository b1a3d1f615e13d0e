//! The rustls and quinn configurations: TLS 1.3 only, our ALPN only, the ring crypto
//! provider installed explicitly in every config (no process-wide default), no session
//! resumption (every connection is a full handshake, so every certificate is verified),
//! no 0-RTT.

use std::sync::Arc;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::server::NoServerSessionStorage;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::ALPN;
use crate::config::TransportConfig;
use crate::error::TransportError;
use crate::verify::{ClientVerifier, ServerVerifier, Trust};

/// The one crypto provider used everywhere.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Flow control, liveness and stream limits. `accepts_stream`: whether the peer may open
/// the link's one bidirectional stream on this connection (only the dialer opens it).
fn transport(
    cfg: &TransportConfig,
    accepts_stream: bool,
) -> Result<quinn::TransportConfig, TransportError> {
    let var = |what: &str, v: u64| {
        quinn::VarInt::from_u64(v)
            .map_err(|_| TransportError::Config(format!("{what} {v} too large")))
    };
    let idle = quinn::IdleTimeout::try_from(cfg.idle_timeout).map_err(|_| {
        TransportError::Config(format!("idle timeout {:?} too large", cfg.idle_timeout))
    })?;
    let mut t = quinn::TransportConfig::default();
    t.max_idle_timeout(Some(idle))
        .keep_alive_interval(Some(cfg.keep_alive))
        .stream_receive_window(var("stream receive window", cfg.stream_receive_window)?)
        .receive_window(var("receive window", cfg.receive_window)?)
        .send_window(cfg.send_window)
        .max_concurrent_bidi_streams(quinn::VarInt::from_u32(u32::from(accepts_stream)))
        .max_concurrent_uni_streams(quinn::VarInt::from_u32(0))
        .datagram_receive_buffer_size(None);
    Ok(t)
}

pub(crate) fn server_config(
    cfg: &TransportConfig,
    trust: Arc<Trust>,
) -> Result<quinn::ServerConfig, TransportError> {
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(ClientVerifier { trust }))
        .with_single_cert(cfg.cert_chain.clone(), cfg.key.clone_key())?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.session_storage = Arc::new(NoServerSessionStorage {});
    tls.send_tls13_tickets = 0;
    tls.max_early_data_size = 0;
    let crypto = QuicServerConfig::try_from(tls)
        .map_err(|e| TransportError::Config(format!("QUIC TLS: {e}")))?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    server.transport_config(Arc::new(transport(cfg, true)?));
    // Peers are fixed partners: no need for them to migrate addresses mid-connection.
    server.migration(false);
    server.max_incoming(256);
    Ok(server)
}

/// The client configuration for dialing `partner`: its verifier insists the server is
/// that partner.
pub(crate) fn client_config(
    cfg: &TransportConfig,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    trust: Arc<Trust>,
    partner: &str,
) -> Result<quinn::ClientConfig, TransportError> {
    let verifier = Arc::new(ServerVerifier {
        trust,
        expect: partner.to_owned(),
    });
    let mut tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(chain, key)?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.resumption = Resumption::disabled();
    tls.enable_early_data = false;
    let crypto = QuicClientConfig::try_from(tls)
        .map_err(|e| TransportError::Config(format!("QUIC TLS: {e}")))?;
    let mut client = quinn::ClientConfig::new(Arc::new(crypto));
    client.transport_config(Arc::new(transport(cfg, false)?));
    Ok(client)
}
