//! A partner that breaks the rules over a real, mutually authenticated QUIC link: it
//! holds a valid certificate and is a configured partner, but sends records of another
//! partner's origin, which it may not speak for (it is not a relay). The node must
//! refuse the batch, disconnect it, store nothing of it, and carry on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hearsay_node::federation::TeamSpec;
use hearsay_record::{Bailiwick, Entry, Name, RecordKey, RrType};
use hearsay_sync::message::FrameReader;
use hearsay_sync::{Message, WireEntry};
use hearsay_tests::{Daemon, export, federation_configs};
use hearsay_transport::pem::{certs_from_pem, key_from_pem};
use hearsay_transport::{PeerTrust, Pin, Transport, TransportConfig};

fn forged_entry(origin: &str) -> WireEntry {
    let key = RecordKey::new(
        Name::from_presentation("www.forged.example").unwrap(),
        RrType::A,
        Bailiwick::Unknown,
        vec![203, 0, 113, 66],
    )
    .unwrap();
    WireEntry {
        key: key.encode(),
        origin: origin.into(),
        entry: Entry {
            time_first: 1_760_000_000,
            time_last: 1_760_000_100,
            count: 7,
            seq: 1,
        },
    }
}

#[test]
fn a_partner_sending_records_of_an_origin_it_may_not_speak_for_is_disconnected() {
    let tmp = tempfile::tempdir().unwrap();
    let teams: Vec<TeamSpec> = ["cert-a", "cert-b", "cert-c"]
        .iter()
        .map(|n| TeamSpec::new(n, Vec::new()))
        .collect();
    let mut configs = federation_configs(tmp.path(), &teams, 0.2);
    // a accepts b as a partner, but no relayed records from it: b speaks for cert-b only.
    for p in &mut configs[0].peers {
        p.accept_relayed = p.name != "cert-b";
    }
    let a_addr = configs[0].replication.as_ref().unwrap().listen;
    let a = Daemon::start(configs.remove(0));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let read = |p: &str| std::fs::read(tmp.path().join(p)).unwrap();
    let b_config = TransportConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        certs_from_pem(&read("cert-b/node.pem"), "node.pem").unwrap(),
        key_from_pem(&read("cert-b/node.key"), "node.key").unwrap(),
    )
    .peer(PeerTrust {
        name: "cert-a".into(),
        address: Some(a_addr),
        pin: Pin::Ca(certs_from_pem(&read("cert-a/ca.pem"), "ca.pem").unwrap()),
    });
    let closed = rt.block_on(async {
        let (b, mut links) = Transport::start(b_config, "cert-b").unwrap();
        let mut link = tokio::time::timeout(Duration::from_secs(20), links.recv())
            .await
            .expect("b links to a")
            .unwrap();
        assert_eq!(link.peer, "cert-a");
        let hello = Message::Hello {
            origin: "cert-b".into(),
            vector: Default::default(),
            resume: None,
            wants_relayed: false,
            direct: Vec::new(),
        };
        let batch = hearsay_sync::batch::encode(&mut [forged_entry("cert-c")]).unwrap();
        for m in [hello, Message::Entries { batch }] {
            link.send.send(&m.to_frame()).await.unwrap();
        }
        // Read what a says until it closes the link; a well-behaved partner would
        // have been answered with its Hello and policies and left connected.
        let mut reader = FrameReader::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut kinds = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match link.recv.recv(&mut buf).await {
                    Ok(Some(n)) => {
                        reader.push(&buf[..n]);
                        while let Ok(Some(m)) = reader.next_message() {
                            kinds.push(m.kind());
                        }
                    }
                    Ok(None) | Err(_) => return,
                }
            }
        })
        .await
        .is_ok();
        b.shutdown().await;
        closed
    });
    assert!(
        closed,
        "a did not close the link of a partner breaking the rules"
    );

    let status = a.wait_for(Duration::from_secs(10), |s| {
        s["replication"]["engine"]["violations"]["forbidden_origin"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    });
    // a carries on: it still answers, and holds nothing of the forged origin.
    assert!(status["store"]["origins"].as_array().is_some_and(|o| {
        o.iter()
            .all(|e| e["origin"] != "cert-c" || e["seq"].as_u64() == Some(0))
    }));
    let data = a.data_dir().to_path_buf();
    a.terminate();
    let rows = export(&data);
    assert!(
        !rows.iter().any(|r| r["rrname"] == "www.forged.example."),
        "the forged record was stored: {rows:?}"
    );
}
