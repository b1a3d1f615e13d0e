//! hearsayd as a sensor: a capture-file sensor and a live capture on the loopback
//! interface, where this test runs a UDP and a TCP DNS responder and asks them questions.
//! SIGTERM must leave every record in the store; SIGKILL at most the unflushed window.
//! Live capture needs the right to capture on `lo` (root or CAP_NET_RAW): without it the
//! test says so and skips the live part.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hearsay_gen::{dns, paper};
use hearsay_node::config::{Config, SensorConfig};
use hearsay_tests::{Daemon, export, write_pcap};
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;

/// The address a name gets from the responder.
fn addr_of(name: &str) -> String {
    let h = name
        .bytes()
        .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("192.0.2.{}", 1 + h % 250)
}

fn answer(query: &[u8]) -> Option<Vec<u8>> {
    let q = Message::from_vec(query).ok()?;
    let question = q.queries.first()?;
    let name = question.name().to_ascii();
    let name = name.trim_end_matches('.');
    dns::Response::new(q.metadata.id, name, RecordType::A)
        .ok()?
        .authoritative(true)
        .answer(dns::a(name, addr_of(name).as_str(), 60).ok()?)
        .to_bytes()
        .ok()
}

/// A DNS responder on UDP and TCP 127.0.0.1:port until `stop`.
fn responder(stop: Arc<AtomicBool>) -> SocketAddr {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    tcp.set_nonblocking(true).unwrap();
    let s = stop.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while !s.load(Ordering::Relaxed) {
            if let Ok((n, from)) = udp.recv_from(&mut buf)
                && let Some(r) = answer(&buf[..n])
            {
                let _ = udp.send_to(&r, from);
            }
        }
    });
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match tcp.accept() {
                Ok((mut conn, _)) => {
                    conn.set_nonblocking(false).unwrap();
                    let mut len = [0u8; 2];
                    while conn.read_exact(&mut len).is_ok() {
                        let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                        if conn.read_exact(&mut q).is_err() {
                            break;
                        }
                        if let Some(r) = answer(&q) {
                            let _ = conn.write_all(&(r.len() as u16).to_be_bytes());
                            let _ = conn.write_all(&r);
                        }
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    addr
}

fn ask_udp(server: SocketAddr, names: &[String]) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 1500];
    for (i, n) in names.iter().enumerate() {
        sock.send_to(
            &dns::query(i as u16 + 1, n.as_str(), RecordType::A).unwrap(),
            server,
        )
        .unwrap();
        sock.recv_from(&mut buf).unwrap();
    }
}

fn ask_tcp(server: SocketAddr, names: &[String]) {
    let mut conn = TcpStream::connect(server).unwrap();
    for (i, n) in names.iter().enumerate() {
        let q = dns::query(i as u16 + 1, n.as_str(), RecordType::A).unwrap();
        conn.write_all(&(q.len() as u16).to_be_bytes()).unwrap();
        conn.write_all(&q).unwrap();
        let mut len = [0u8; 2];
        conn.read_exact(&mut len).unwrap();
        let mut r = vec![0u8; usize::from(u16::from_be_bytes(len))];
        conn.read_exact(&mut r).unwrap();
    }
}

fn can_capture_on_lo() -> bool {
    let config = hearsay_capture::LiveConfig {
        interface: "lo".into(),
        ..hearsay_capture::LiveConfig::default()
    };
    match hearsay_capture::LiveSource::open(&config) {
        Ok(_) => true,
        Err(e) => {
            eprintln!("NOTE: cannot capture on lo ({e}); the live part of this test is skipped");
            false
        }
    }
}

/// A node with only `sensors` (no partners, no API), its windows flushed every 200 ms.
fn config(dir: &std::path::Path, sensors: Vec<SensorConfig>) -> Config {
    let mut config: Config = toml::from_str(&format!(
        "[node]\norigin = \"sensor-a\"\ndata_dir = {:?}\nflush_interval = 0.2\n",
        dir.join("data")
    ))
    .unwrap();
    config.sensors = sensors;
    config
}

fn sensor(
    name: &str,
    interface: Option<&str>,
    file: Option<std::path::PathBuf>,
    port: u16,
) -> SensorConfig {
    SensorConfig {
        name: name.into(),
        interface: interface.map(str::to_owned),
        file,
        directory: None,
        promiscuous: false,
        snaplen: 65_535,
        filter: None,
        dns_ports: vec![port],
        placement: hearsay_ingest::Placement::Below,
        require_query: None,
        nxdomain: false,
        max_new_names_per_zone: 20_000,
        immediate: false,
        buffer_mb: 32,
    }
}

fn names_in(rows: &[serde_json::Value]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["rrname"].as_str().unwrap().to_owned(),
                r["rdata"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_sensor_keeps_every_record_on_sigterm_and_the_store_survives_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("paper.pcap");
    let scenario = paper::scenarios()
        .unwrap()
        .into_iter()
        .find(|s| s.name == "kimble")
        .unwrap();
    write_pcap(&file, &paper::frames(&scenario).unwrap());
    let live = can_capture_on_lo();
    let stop = Arc::new(AtomicBool::new(false));
    let server = responder(stop.clone());

    let mut sensors = vec![sensor("file", None, Some(file), 53)];
    if live {
        sensors.push(sensor("lo", Some("lo"), None, server.port()));
    }
    let d = Daemon::start(config(tmp.path(), sensors.clone()));
    let udp_names: Vec<String> = (0..40).map(|i| format!("u{i}.live.example")).collect();
    let tcp_names: Vec<String> = (0..20).map(|i| format!("t{i}.live.example")).collect();
    if live {
        // The capture is open once the sensor reports itself running.
        std::thread::sleep(Duration::from_millis(300));
        ask_udp(server, &udp_names);
        ask_tcp(server, &tcp_names);
        d.wait_for(Duration::from_secs(30), |s| {
            s["sensors"][1]["ingest"]["parse"]["records"]
                .as_u64()
                .unwrap_or(0)
                >= 60
        });
    }
    d.wait_for(Duration::from_secs(30), |s| {
        s["sensors"][0]["running"] == false
    });
    let data = d.data_dir().to_path_buf();
    d.terminate();

    let rows = export(&data);
    let found = names_in(&rows);
    assert!(
        found.iter().any(|(n, _)| n == "kimble.org."),
        "the file sensor's records are stored"
    );
    if live {
        for n in udp_names.iter().chain(&tcp_names) {
            let want = (format!("{n}."), addr_of(n));
            assert!(found.contains(&want), "{want:?} missing after SIGTERM");
        }
        // Privacy: the clients' ports and addresses are nowhere; only 127.0.0.1 talked,
        // and no record has it as data.
        assert!(!rows.iter().any(|r| r["rdata"][0] == "127.0.0.1"));
    }

    // Again, then SIGKILL: the store opens and holds what was flushed before.
    let d = Daemon::start(config(
        tmp.path(),
        if live {
            vec![sensors[1].clone()]
        } else {
            vec![]
        },
    ));
    let before = rows.len();
    if live {
        let late: Vec<String> = (0..30).map(|i| format!("late{i}.live.example")).collect();
        std::thread::sleep(Duration::from_millis(300));
        ask_udp(server, &late);
        d.wait_for(Duration::from_secs(30), |s| {
            s["sensors"][0]["ingest"]["writer"]["records"]
                .as_u64()
                .unwrap_or(0)
                >= 30
        });
        let lost: Vec<String> = (0..30).map(|i| format!("lost{i}.live.example")).collect();
        ask_udp(server, &lost);
    }
    d.kill();
    stop.store(true, Ordering::Relaxed);
    let rows = export(&data);
    assert!(rows.len() >= before, "nothing flushed is lost");
    if live {
        let found = names_in(&rows);
        for i in 0..30 {
            let n = format!("late{i}.live.example");
            assert!(
                found.contains(&(format!("{n}."), addr_of(&n))),
                "{n} was flushed before the kill"
            );
        }
    }
}
