//! Counters of an endpoint: handshakes, refusals by reason, links, dialing.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a peer was refused. Counted on the side that refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Refusal {
    /// A client presented no certificate.
    NoClientCert,
    /// The chain does not verify against the claimed partner's CA: unknown CA, another
    /// partner's CA, bad signature, broken chain.
    UnknownCa,
    /// Outside its validity period (expired or not yet valid).
    Expired,
    /// No clientAuth EKU on a client, or no serverAuth EKU on a server.
    WrongEku,
    /// No usable `urn:hearsay:origin:` SAN URI (or an unparseable certificate).
    NoIdentity,
    /// The identity is not one of the configured partners.
    NotPartner,
    /// We dialed partner P and the server is someone else.
    IdentityMismatch,
    /// A fingerprint-pinned partner presented another certificate.
    FingerprintMismatch,
    /// The peer does not speak our ALPN.
    WrongAlpn,
}

impl Refusal {
    /// Every reason, in counter order.
    pub const ALL: [Refusal; 9] = [
        Refusal::NoClientCert,
        Refusal::UnknownCa,
        Refusal::Expired,
        Refusal::WrongEku,
        Refusal::NoIdentity,
        Refusal::NotPartner,
        Refusal::IdentityMismatch,
        Refusal::FingerprintMismatch,
        Refusal::WrongAlpn,
    ];

    /// A short stable name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::NoClientCert => "no_client_cert",
            Refusal::UnknownCa => "unknown_ca",
            Refusal::Expired => "expired",
            Refusal::WrongEku => "wrong_eku",
            Refusal::NoIdentity => "no_identity",
            Refusal::NotPartner => "not_partner",
            Refusal::IdentityMismatch => "identity_mismatch",
            Refusal::FingerprintMismatch => "fingerprint_mismatch",
            Refusal::WrongAlpn => "wrong_alpn",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The live counters, shared by the endpoint's tasks and verifiers.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub handshakes_ok: AtomicU64,
    pub handshakes_failed: AtomicU64,
    refused: [AtomicU64; Refusal::ALL.len()],
    pub links_established: AtomicU64,
    pub links_replaced: AtomicU64,
    pub duplicates_refused: AtomicU64,
    pub dial_attempts: AtomicU64,
    pub reconnect_attempts: AtomicU64,
    pub dial_failures: AtomicU64,
}

impl Counters {
    pub fn refuse(&self, why: Refusal) {
        self.refused[why.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self, links_up: usize) -> TransportStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut refused = [0; Refusal::ALL.len()];
        for (slot, c) in refused.iter_mut().zip(&self.refused) {
            *slot = get(c);
        }
        TransportStats {
            handshakes_ok: get(&self.handshakes_ok),
            handshakes_failed: get(&self.handshakes_failed),
            refused,
            links_up,
            links_established: get(&self.links_established),
            links_replaced: get(&self.links_replaced),
            duplicates_refused: get(&self.duplicates_refused),
            dial_attempts: get(&self.dial_attempts),
            reconnect_attempts: get(&self.reconnect_attempts),
            dial_failures: get(&self.dial_failures),
        }
    }
}

/// A snapshot of an endpoint's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportStats {
    /// QUIC+TLS handshakes completed with a verified partner (either direction).
    pub handshakes_ok: u64,
    /// Handshakes that failed for any reason, refusals included (either direction).
    pub handshakes_failed: u64,
    refused: [u64; Refusal::ALL.len()],
    /// Links currently up (one per partner at most).
    pub links_up: usize,
    /// Links ever delivered to the application.
    pub links_established: u64,
    /// Links closed because a newer link to the same partner replaced them.
    pub links_replaced: u64,
    /// Connections closed because both sides dialed each other at once and the other
    /// connection was kept.
    pub duplicates_refused: u64,
    /// Dial attempts.
    pub dial_attempts: u64,
    /// Dial attempts after the first one to a partner (after a failure or a lost link).
    pub reconnect_attempts: u64,
    /// Dial attempts that did not give a link.
    pub dial_failures: u64,
}

impl TransportStats {
    /// Peers refused for `why`.
    pub fn refused(&self, why: Refusal) -> u64 {
        self.refused[why.index()]
    }

    /// Peers refused for any reason.
    pub fn refused_total(&self) -> u64 {
        self.refused.iter().sum()
    }

    /// Every reason with its count.
    pub fn refusals(&self) -> impl Iterator<Item = (Refusal, u64)> + '_ {
        Refusal::ALL.iter().map(|&r| (r, self.refused(r)))
    }
}
