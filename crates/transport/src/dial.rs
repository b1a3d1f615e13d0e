//! Dialing a partner and keeping it connected: one task per partner with an address,
//! reconnecting with jittered exponential backoff whenever there is no live link.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::time::timeout;

use crate::endpoint::{ACK, PREAMBLE, Shared};
use crate::link::{Link, code};
use crate::stats::Counters;

/// Why one dial gave no link.
#[derive(Debug, thiserror::Error)]
enum DialError {
    #[error("cannot start the connection: {0}")]
    Connect(#[from] quinn::ConnectError),
    #[error("handshake: {0}")]
    Handshake(quinn::ConnectionError),
    #[error("handshake timed out")]
    Timeout,
    #[error("refused after the handshake: {0}")]
    Refused(crate::Refusal),
    #[error("a link to this partner came up meanwhile")]
    Superseded,
    #[error("the partner kept its own connection to us")]
    Duplicate,
    #[error("link set-up: {0}")]
    Setup(String),
}

/// The delay before the next attempt: `min · 2^failures`, capped at `max`, drawn
/// uniformly from its upper half so that partners do not dial in lockstep.
pub(crate) fn backoff(min: Duration, max: Duration, failures: u32) -> Duration {
    let ceiling = min.saturating_mul(1u32 << failures.min(20)).min(max);
    let floor = ceiling / 2;
    let span = u64::try_from((ceiling - floor).as_micros()).unwrap_or(u64::MAX);
    floor + Duration::from_micros(rand::rng().random_range(0..=span))
}

pub(crate) async fn dial_loop(
    shared: Arc<Shared>,
    peer: String,
    addr: SocketAddr,
    client: quinn::ClientConfig,
) {
    let mut failures: u32 = 0;
    let mut attempts: u64 = 0;
    loop {
        shared.registry.wait_unlinked(&peer).await;
        if shared.links_unwanted() {
            tracing::debug!(peer, "the application takes no more links: not dialing");
            return;
        }
        if attempts > 0 {
            let delay = backoff(shared.reconnect_min, shared.reconnect_max, failures);
            tracing::debug!(peer, ?delay, failures, "reconnecting after a delay");
            tokio::time::sleep(delay).await;
        }
        if !shared.registry.begin_dial(&peer) {
            continue;
        }
        attempts += 1;
        Counters::inc(&shared.counters.dial_attempts);
        if attempts > 1 {
            Counters::inc(&shared.counters.reconnect_attempts);
        }
        let result = dial_once(&shared, &peer, addr, &client).await;
        shared.registry.end_dial(&peer);
        match result {
            Ok(link) => {
                failures = 0;
                shared.deliver(link).await;
            }
            Err(DialError::Superseded | DialError::Duplicate) => {
                tracing::debug!(peer, "dial dropped: the other link is kept");
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                Counters::inc(&shared.counters.dial_failures);
                tracing::info!(peer, %addr, error = %e, failures, "dial failed");
            }
        }
    }
}

/// One attempt: handshake (our verifier insists the server is `peer`), open the link's
/// stream, preamble, wait for the acceptor's ack, register.
async fn dial_once(
    shared: &Arc<Shared>,
    peer: &str,
    addr: SocketAddr,
    client: &quinn::ClientConfig,
) -> Result<Link, DialError> {
    // The IP literal as server name: rustls then sends no SNI. Our verifier ignores it.
    let server_name = addr.ip().to_string();
    let connecting = shared
        .endpoint
        .connect_with(client.clone(), addr, &server_name)?;
    let conn = match timeout(shared.handshake_timeout, connecting).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            shared.handshake_failed(&e, addr, Some(peer));
            return Err(DialError::Handshake(e));
        }
        Err(_) => {
            Counters::inc(&shared.counters.handshakes_failed);
            return Err(DialError::Timeout);
        }
    };
    match shared.identify(&conn) {
        Ok(id) if id == peer => {}
        Ok(_) => {
            // The verifier already refuses this; kept as a second lock.
            let why = crate::Refusal::IdentityMismatch;
            shared.refuse_after_handshake(&conn, why);
            return Err(DialError::Refused(why));
        }
        Err(why) => {
            shared.refuse_after_handshake(&conn, why);
            return Err(DialError::Refused(why));
        }
    }
    Counters::inc(&shared.counters.handshakes_ok);
    tracing::debug!(%addr, peer, "handshake ok (dialed)");

    let setup = async {
        let (mut send, mut recv) = conn
            .open_bi()
            .await
            .map_err(|e| DialError::Setup(e.to_string()))?;
        if shared.registry.has_live(peer) {
            return Err(DialError::Superseded);
        }
        send.write_all(PREAMBLE)
            .await
            .map_err(|e| DialError::Setup(e.to_string()))?;
        let mut ack = [0u8; 1];
        match recv.read_exact(&mut ack).await {
            Ok(()) if ack[0] == ACK => Ok((send, recv)),
            Ok(()) => Err(DialError::Setup("bad acknowledgement".into())),
            Err(quinn::ReadExactError::ReadError(quinn::ReadError::ConnectionLost(
                quinn::ConnectionError::ApplicationClosed(c),
            ))) if c.error_code == code::DUPLICATE => Err(DialError::Duplicate),
            Err(e) => Err(DialError::Setup(e.to_string())),
        }
    };
    // The acceptor may hold us while its own dial to us settles.
    let (send, recv) = match timeout(shared.handshake_timeout * 6, setup).await {
        Ok(Ok(streams)) => streams,
        Ok(Err(e)) => {
            conn.close(code::PROTOCOL, b"link set-up failed");
            return Err(e);
        }
        Err(_) => {
            conn.close(code::TIMEOUT, b"link set-up timed out");
            return Err(DialError::Setup("timed out".into()));
        }
    };
    let old = shared.registry.register_dialed(peer, &conn);
    shared.close_replaced(peer, old);
    shared.watch_link(peer.to_owned(), conn.clone(), true);
    Ok(Link::new(peer.to_owned(), true, conn, send, recv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_jittered_and_capped() {
        let (min, max) = (Duration::from_millis(200), Duration::from_secs(30));
        for failures in 0..40 {
            let ceiling = min.saturating_mul(1u32 << failures.min(20)).min(max);
            for _ in 0..20 {
                let d = backoff(min, max, failures);
                assert!(d >= ceiling / 2 && d <= ceiling, "{failures}: {d:?}");
            }
        }
        assert!(backoff(min, max, 0) <= min);
        assert!(backoff(min, max, 100) >= max / 2);
    }
}
