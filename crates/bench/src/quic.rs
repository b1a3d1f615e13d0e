//! QUIC alone: the yardstick the replication issue sets its bootstrap target against
//! ("quinn alone moves ~1 GB/s here"). Two [`Transport`]s as the nodes make them (real
//! certificates, mutual TLS 1.3, the same flow-control windows and UDP buffers) on
//! 127.0.0.1, one link, a stream of incompressible bytes pushed through it as fast as
//! the receiver reads. Measured in the same command as the bootstrap, it tells this
//! machine's speed from the code's.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use hearsay_transport::pem::{certs_from_pem, key_from_pem};
use hearsay_transport::{PeerTrust, Pin, Transport, TransportConfig, certs};
use rand::RngCore;

/// What one transfer measured.
#[derive(Debug, Clone, Copy)]
pub struct QuicAlone {
    /// Payload bytes per second (not counting QUIC's and UDP's headers).
    pub bytes_per_sec: f64,
    /// CPU seconds (all threads of the process) per GB moved.
    pub cpu_per_gb: f64,
}

/// Moves `bytes` over one link between two fresh transports on `rt`.
pub fn measure(rt: &tokio::runtime::Runtime, bytes: u64) -> Result<QuicAlone> {
    rt.block_on(transfer(bytes))
}

async fn transfer(bytes: u64) -> Result<QuicAlone> {
    let ca = certs::create_ca("quic-alone CA", 1)?;
    let a_cert = certs::issue_node(&ca.cert_pem, &ca.key_pem, "quic-a", 1)?;
    let b_cert = certs::issue_node(&ca.cert_pem, &ca.key_pem, "quic-b", 1)?;
    let pem = |s: &str| certs_from_pem(s.as_bytes(), "pem");
    let key = |s: &str| key_from_pem(s.as_bytes(), "key");
    let local = "127.0.0.1:0".parse().context("loopback address")?;
    let b = TransportConfig::new(local, pem(&b_cert.cert_pem)?, key(&b_cert.key_pem)?).peer(
        PeerTrust {
            name: "quic-a".into(),
            address: None,
            pin: Pin::Ca(pem(&ca.cert_pem)?),
        },
    );
    let (b, mut b_links) = Transport::start(b, "quic-b")?;
    let a = TransportConfig::new(local, pem(&a_cert.cert_pem)?, key(&a_cert.key_pem)?).peer(
        PeerTrust {
            name: "quic-b".into(),
            address: Some(b.local_addr()),
            pin: Pin::Ca(pem(&ca.cert_pem)?),
        },
    );
    let (a, mut a_links) = Transport::start(a, "quic-a")?;
    let wait = Duration::from_secs(30);
    let at_a = tokio::time::timeout(wait, a_links.recv())
        .await?
        .ok_or_else(|| anyhow!("no link at A"))?;
    let mut at_b = tokio::time::timeout(wait, b_links.recv())
        .await?
        .ok_or_else(|| anyhow!("no link at B"))?;

    let mut chunk = vec![0u8; 1 << 20];
    rand::rng().fill_bytes(&mut chunk);
    let cpu = crate::replication::cpu_time();
    let started = Instant::now();
    let mut send = at_a.send;
    let sender = tokio::spawn(async move {
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            send.send(&chunk[..n]).await?;
            left -= n as u64;
        }
        send.finish().await
    });
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    while let Some(n) = at_b.recv.recv(&mut buf).await? {
        got += n as u64;
    }
    sender.await??;
    let secs = started.elapsed().as_secs_f64();
    let cpu = crate::replication::cpu_time()
        .saturating_sub(cpu)
        .as_secs_f64();
    a.shutdown().await;
    b.shutdown().await;
    anyhow::ensure!(got == bytes, "received {got} of {bytes} bytes");
    Ok(QuicAlone {
        bytes_per_sec: got as f64 / secs,
        cpu_per_gb: cpu * 1e9 / got as f64,
    })
}
