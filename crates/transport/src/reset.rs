//! Noticing a partner's restart at once.
//!
//! When a node restarts, its partners' connections to the old process would linger
//! until their idle timeout. QUIC's stateless reset ends them as soon as they send
//! anything: the restarted endpoint answers packets for connections it does not know
//! with a reset token that the partner checks against the token the old process gave
//! it. For the new process to produce the same tokens, the reset key is derived from
//! the node's private key (so it is as secret as that key, and stable across restarts),
//! and connection ids are not validated against a per-process key (every short-header
//! packet for an unknown connection may be answered, rate-limited by quinn).

use std::sync::Arc;

use ring::{digest, hmac};
use rustls_pki_types::PrivateKeyDer;

/// A secret derived from the node's private key for one purpose.
fn derive(key: &PrivateKeyDer<'_>, label: &[u8]) -> digest::Digest {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"hearsay-transport/1 ");
    ctx.update(label);
    ctx.update(&[0]);
    ctx.update(key.secret_der());
    ctx.finish()
}

/// Random 8-byte connection ids, any of which is accepted as possibly ours.
#[derive(Debug, Default)]
struct RandomCids;

impl quinn::ConnectionIdGenerator for RandomCids {
    fn generate_cid(&mut self) -> quinn::ConnectionId {
        quinn::ConnectionId::new(&rand::random::<[u8; 8]>())
    }

    fn cid_len(&self) -> usize {
        8
    }

    fn cid_lifetime(&self) -> Option<std::time::Duration> {
        None
    }
}

/// The endpoint configuration: stateless-reset key derived from `key`.
pub(crate) fn endpoint_config(key: &PrivateKeyDer<'_>) -> quinn::EndpointConfig {
    let reset = hmac::Key::new(hmac::HMAC_SHA256, derive(key, b"stateless reset").as_ref());
    let mut config = quinn::EndpointConfig::new(Arc::new(reset));
    config.cid_generator(|| Box::new(RandomCids));
    config
}
