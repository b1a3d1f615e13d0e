//! Certificate verification for both directions: who is this peer, and is it allowed?
//!
//! A presented end-entity certificate is accepted only if, in this order:
//!
//! 1. it parses and names exactly one valid origin in a `urn:hearsay:origin:` SAN URI
//!    (else [`Refusal::NoIdentity`]);
//! 2. when we dialed partner P, that origin is P (else [`Refusal::IdentityMismatch`]);
//! 3. the origin is a configured partner (else [`Refusal::NotPartner`]);
//! 4. it matches *that partner's* pin:
//!    - [`Pin::Ca`](crate::Pin::Ca): webpki builds a chain to that partner's CA only, and
//!      checks validity times and EKUs; the end-entity certificate must carry the EKU
//!      of its role, clientAuth for a client and serverAuth for a server
//!      ([`Refusal::UnknownCa`], [`Refusal::Expired`], [`Refusal::WrongEku`]). A certificate from partner B's CA that names origin `c`
//!      therefore fails against `c`'s CA;
//!    - [`Pin::Fingerprint`](crate::Pin::Fingerprint): SHA-256 of the DER certificate
//!      equals the pin ([`Refusal::FingerprintMismatch`]), and validity and EKU are
//!      checked from the certificate itself.
//!
//! The handshake signature (proof of the private key) is checked by rustls' own
//! `verify_tls13_signature` with the ring provider's algorithms. TLS 1.2 is never
//! negotiated (QUIC is TLS 1.3 only), so its signature check refuses.
//!
//! Each refusal is counted by reason on the refusing side and logged.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};

use crate::certs::fingerprint_der;
use crate::config::{PeerTrust, Pin};
use crate::error::TransportError;
use crate::identity::origin_of_parsed;
use crate::stats::{Counters, Refusal};
use x509_parser::prelude::X509Certificate;

/// DER contents of the id-kp-serverAuth OID (1.3.6.1.5.5.7.3.1).
const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
/// DER contents of the id-kp-clientAuth OID (1.3.6.1.5.5.7.3.2).
const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

/// The role the certificate's owner plays in this handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Client,
    Server,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

#[derive(Debug)]
enum PeerPin {
    Ca(Vec<TrustAnchor<'static>>),
    Fingerprint([u8; 32]),
}

/// Every partner's pin, by origin name.
#[derive(Debug)]
pub(crate) struct Trust {
    peers: HashMap<String, PeerPin>,
    algs: WebPkiSupportedAlgorithms,
    counters: Arc<Counters>,
}

impl Trust {
    pub fn new(
        peers: &[PeerTrust],
        algs: WebPkiSupportedAlgorithms,
        counters: Arc<Counters>,
    ) -> Result<Self, TransportError> {
        let mut map = HashMap::new();
        for peer in peers {
            let pin = match &peer.pin {
                Pin::Ca(certs) => {
                    if certs.is_empty() {
                        return Err(TransportError::Config(format!(
                            "partner {}: CA pin without a certificate",
                            peer.name
                        )));
                    }
                    let anchors = certs
                        .iter()
                        .map(|c| {
                            webpki::anchor_from_trusted_cert(c)
                                .map(|a| a.to_owned())
                                .map_err(|e| {
                                    TransportError::Config(format!(
                                        "partner {}: CA certificate unusable as a trust anchor: {e:?}",
                                        peer.name
                                    ))
                                })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    PeerPin::Ca(anchors)
                }
                Pin::Fingerprint(d) => PeerPin::Fingerprint(*d),
            };
            map.insert(peer.name.clone(), pin);
        }
        Ok(Trust {
            peers: map,
            algs,
            counters,
        })
    }

    /// The verified origin of `end_entity`, or why it is refused. Counts and logs a
    /// refusal.
    pub fn check(
        &self,
        role: Role,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        expect: Option<&str>,
    ) -> Result<String, Refusal> {
        let result = self.judge(role, end_entity, intermediates, now, expect);
        if let Err((why, ref claimed, ref detail)) = result {
            self.counters.refuse(why);
            tracing::warn!(
                peer_role = role.as_str(),
                claimed = claimed.as_deref().unwrap_or("-"),
                expected = expect.unwrap_or("-"),
                reason = why.as_str(),
                detail = %detail,
                "refused peer certificate"
            );
        }
        result.map_err(|(why, _, _)| why)
    }

    #[allow(clippy::type_complexity)]
    fn judge(
        &self,
        role: Role,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        expect: Option<&str>,
    ) -> Result<String, (Refusal, Option<String>, String)> {
        let (_, cert) = x509_parser::parse_x509_certificate(end_entity).map_err(|e| {
            (
                Refusal::NoIdentity,
                None,
                format!("unparseable certificate: {e}"),
            )
        })?;
        let origin =
            origin_of_parsed(&cert).map_err(|e| (Refusal::NoIdentity, None, e.to_string()))?;
        let refuse = |why: Refusal, detail: String| (why, Some(origin.clone()), detail);
        if let Some(expected) = expect
            && origin != expected
        {
            return Err(refuse(
                Refusal::IdentityMismatch,
                format!("dialed {expected}, the certificate names {origin}"),
            ));
        }
        let Some(pin) = self.peers.get(&origin) else {
            return Err(refuse(
                Refusal::NotPartner,
                "not a configured partner".into(),
            ));
        };
        let eku = match role {
            Role::Client => EKU_CLIENT_AUTH,
            Role::Server => EKU_SERVER_AUTH,
        };
        match pin {
            PeerPin::Ca(anchors) => {
                let ee = webpki::EndEntityCert::try_from(end_entity)
                    .map_err(|e| refuse(Refusal::NoIdentity, format!("{e:?}")))?;
                ee.verify_for_usage(
                    self.algs.all,
                    anchors,
                    intermediates,
                    now,
                    // "If present" so that a CA certificate sent along in the chain
                    // (without EKUs, as CAs have) does not fail the path; the end-entity
                    // certificate must carry the EKU, checked below.
                    webpki::KeyUsage::required_if_present(eku),
                    None,
                    None,
                )
                .map_err(|e| refuse(webpki_refusal(&e), format!("{e:?}")))?;
                check_eku(&cert, role).map_err(|d| refuse(Refusal::WrongEku, d))?;
            }
            PeerPin::Fingerprint(pinned) => {
                if fingerprint_der(end_entity) != *pinned {
                    return Err(refuse(
                        Refusal::FingerprintMismatch,
                        "certificate is not the pinned one".into(),
                    ));
                }
                let t = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
                let v = cert.validity();
                if t < v.not_before.timestamp() || t > v.not_after.timestamp() {
                    return Err(refuse(
                        Refusal::Expired,
                        format!("valid {} to {}", v.not_before, v.not_after),
                    ));
                }
                check_eku(&cert, role).map_err(|d| refuse(Refusal::WrongEku, d))?;
            }
        }
        Ok(origin)
    }

    fn verify_tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
}

/// The end-entity certificate must carry an EKU extension naming its role's purpose.
fn check_eku(cert: &X509Certificate<'_>, role: Role) -> Result<(), String> {
    let has = match cert.extended_key_usage() {
        Ok(Some(ext)) => match role {
            Role::Client => ext.value.client_auth,
            Role::Server => ext.value.server_auth,
        },
        _ => false,
    };
    if has {
        Ok(())
    } else {
        Err(format!("no {}Auth EKU", role.as_str()))
    }
}

fn webpki_refusal(e: &webpki::Error) -> Refusal {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } | E::CertNotValidYet { .. } | E::InvalidCertValidity => {
            Refusal::Expired
        }
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => Refusal::WrongEku,
        _ => Refusal::UnknownCa,
    }
}

/// The error rustls turns into the TLS alert the peer sees.
fn refusal_error(why: Refusal) -> rustls::Error {
    let e = match why {
        Refusal::Expired => CertificateError::Expired,
        Refusal::UnknownCa => CertificateError::UnknownIssuer,
        Refusal::WrongEku => CertificateError::InvalidPurpose,
        Refusal::NoIdentity => CertificateError::BadEncoding,
        _ => CertificateError::ApplicationVerificationFailure,
    };
    rustls::Error::InvalidCertificate(e)
}

fn tls12_refused() -> rustls::Error {
    rustls::Error::PeerIncompatible(rustls::PeerIncompatible::Tls13RequiredForQuic)
}

/// Verifies clients connecting to us: any configured partner, client certificate
/// mandatory.
#[derive(Debug)]
pub(crate) struct ClientVerifier {
    pub trust: Arc<Trust>,
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.trust
            .check(Role::Client, end_entity, intermediates, now, None)
            .map(|_| ClientCertVerified::assertion())
            .map_err(refusal_error)
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(tls12_refused())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust.verify_tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.algs.supported_schemes()
    }
}

/// Verifies the server when we dial one partner: it must be that partner.
#[derive(Debug)]
pub(crate) struct ServerVerifier {
    pub trust: Arc<Trust>,
    pub expect: String,
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.trust
            .check(
                Role::Server,
                end_entity,
                intermediates,
                now,
                Some(&self.expect),
            )
            .map(|_| ServerCertVerified::assertion())
            .map_err(refusal_error)
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(tls12_refused())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust.verify_tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.algs.supported_schemes()
    }
}
