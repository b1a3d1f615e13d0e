//! Replicators over in-memory replicas, wired by hand.

use std::time::Duration;

use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};

use super::*;

fn key(name: &str, last: u8) -> Vec<u8> {
    RecordKey::new(
        Name::from_presentation(name).unwrap(),
        RrType::A,
        Bailiwick::Unknown,
        vec![10, 0, 0, last],
    )
    .unwrap()
    .encode()
}

fn sight(t: u64) -> Sighting {
    Sighting {
        time_first: t,
        time_last: t + 10,
        count: 1,
    }
}

/// A few nodes and the links between them; `pump` moves frames until nothing moves.
struct Net<R: Replica = MemReplica> {
    nodes: Vec<Replicator<R>>,
    names: Vec<String>,
    links: Vec<(usize, usize, ConnId)>,
    now: Duration,
    next_conn: ConnId,
}

impl Net {
    fn new(specs: &[(&str, Vec<PeerPolicy>)]) -> Self {
        let nodes = specs
            .iter()
            .map(|(n, peers)| {
                Replicator::new(MemReplica::new(n), SyncConfig::new(peers.clone())).unwrap()
            })
            .collect();
        Net::of(specs, nodes)
    }

    fn records(
        &self,
        i: usize,
    ) -> std::collections::BTreeMap<
        Vec<u8>,
        std::collections::BTreeMap<String, hearsay_record::Entry>,
    > {
        self.nodes[i].replica().dump().records()
    }
}

impl<R: Replica> Net<R> {
    fn of(specs: &[(&str, Vec<PeerPolicy>)], nodes: Vec<Replicator<R>>) -> Self {
        Net {
            nodes,
            names: specs.iter().map(|(n, _)| n.to_string()).collect(),
            links: Vec::new(),
            now: Duration::ZERO,
            next_conn: 1,
        }
    }

    fn connect(&mut self, a: usize, b: usize) -> ConnId {
        let c = self.next_conn;
        self.next_conn += 1;
        let (na, nb) = (self.names[a].clone(), self.names[b].clone());
        self.nodes[a].open(c, &nb, self.now).unwrap();
        self.nodes[b].open(c, &na, self.now).unwrap();
        self.links.push((a, b, c));
        c
    }

    fn disconnect(&mut self, conn: ConnId) {
        if let Some(i) = self.links.iter().position(|l| l.2 == conn) {
            let (a, b, c) = self.links.remove(i);
            self.nodes[a].close(c);
            self.nodes[b].close(c);
        }
    }

    /// Moves frames (advancing time) until nothing moves and nothing waits; returns the
    /// frame bytes moved.
    fn pump(&mut self) -> u64 {
        let mut moved = 0;
        for _ in 0..10_000 {
            let mut any = false;
            for (a, b, c) in self.links.clone() {
                for (from, to) in [(a, b), (b, a)] {
                    while let Some(frame) = self.nodes[from].poll_transmit(c, self.now).unwrap() {
                        moved += frame.len() as u64;
                        any = true;
                        self.nodes[to].handle(c, &frame, self.now).unwrap();
                    }
                }
            }
            self.now += Duration::from_millis(60);
            if !any && self.nodes.iter().all(|n| n.poll_timeout().is_none()) {
                return moved;
            }
        }
        panic!("the network never went quiet");
    }
}

fn open(names: &[&str]) -> Vec<PeerPolicy> {
    names.iter().map(|n| PeerPolicy::open(n)).collect()
}

#[test]
fn two_nodes_converge_both_ways() {
    let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
    net.nodes[0].replica().observe(&[
        (key("x.example", 1), sight(100)),
        (key("y.example", 2), sight(200)),
    ]);
    net.nodes[1].replica().observe(&[
        (key("x.example", 1), sight(50)),
        (key("z.example", 3), sight(300)),
    ]);
    net.connect(0, 1);
    net.pump();
    assert_eq!(net.records(0), net.records(1));
    assert_eq!(net.records(0).len(), 3);
    // Both origins' entries of the shared record are kept.
    assert_eq!(net.records(0)[&key("x.example", 1)].len(), 2);
    assert_eq!(net.nodes[1].replica().vector().get("a"), Some(&1));
    // Live: a new local update flows.
    net.nodes[0]
        .replica()
        .observe(&[(key("w.example", 4), sight(400))]);
    net.pump();
    assert_eq!(net.records(0), net.records(1));
    assert_eq!(net.nodes[1].replica().vector().get("a"), Some(&2));
}

#[test]
fn a_relay_carries_records_between_nodes_that_are_not_connected() {
    let mut net = Net::new(&[
        ("a", open(&["c"])),
        ("b", open(&["c"])),
        ("c", open(&["a", "b"])),
    ]);
    net.nodes[0]
        .replica()
        .observe(&[(key("from-a.example", 1), sight(1))]);
    net.nodes[1]
        .replica()
        .observe(&[(key("from-b.example", 2), sight(2))]);
    net.connect(0, 2);
    net.connect(1, 2);
    net.pump();
    for i in 0..3 {
        assert_eq!(net.records(i).len(), 2, "node {i}");
    }
    // b's vector for a advanced through c (c covers everything b may see of a).
    assert_eq!(net.nodes[1].replica().vector().get("a"), Some(&1));
}

#[test]
fn a_withheld_zone_never_reaches_the_partner_not_even_through_a_relay() {
    let mut a_peers = open(&["b", "c"]);
    a_peers[0].withhold = vec![Name::from_presentation("corp.example").unwrap()];
    let mut net = Net::new(&[
        ("a", a_peers),
        ("b", open(&["a", "c"])),
        ("c", open(&["a", "b"])),
    ]);
    let secret = key("intranet.corp.example", 1);
    let public = key("www.example", 2);
    net.nodes[0]
        .replica()
        .observe(&[(secret.clone(), sight(1)), (public.clone(), sight(2))]);
    net.connect(0, 1);
    net.connect(0, 2);
    net.connect(1, 2);
    net.pump();
    assert!(net.records(2).contains_key(&secret), "c may see it");
    assert!(!net.records(1).contains_key(&secret), "b must never see it");
    assert!(net.records(1).contains_key(&public));
    // b's vector for a advances (directly from a), c's relay markers must not have let
    // anything slip either way.
    assert_eq!(net.nodes[1].replica().vector().get("a"), Some(&1));
}

#[test]
fn a_peer_speaking_for_an_origin_it_may_not_is_disconnected() {
    let mut b_peers = open(&["a"]);
    b_peers[0].accept_relayed = false;
    let mut net = Net::new(&[("a", open(&["b"])), ("b", b_peers)]);
    let c = net.connect(0, 1);
    net.pump();
    // a forges entries of origin "x" on the wire.
    let mut entries = vec![WireEntry {
        key: key("forged.example", 9),
        origin: "x".into(),
        entry: hearsay_record::Entry {
            time_first: 1,
            time_last: 1,
            count: 1,
            seq: 1,
        },
    }];
    let frame = Message::Entries {
        batch: batch::encode(&mut entries).unwrap(),
    }
    .to_frame();
    let err = net.nodes[1].handle(c, &frame, net.now).unwrap_err();
    assert!(matches!(err, SyncError::Protocol(ProtocolError::ForbiddenOrigin(ref o)) if o == "x"));
    assert_eq!(
        net.nodes[1].stats().violations.get("forbidden_origin"),
        Some(&1)
    );
    assert!(!net.records(1).contains_key(&key("forged.example", 9)));
}

#[test]
fn garbage_and_out_of_phase_messages_are_protocol_errors() {
    let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
    let c = net.connect(0, 1);
    assert!(matches!(
        net.nodes[1].handle(c, &[0, 0, 0, 3, 1, 0xFF, 0xFF], net.now),
        Err(SyncError::Protocol(ProtocolError::Undecodable))
    ));
    let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
    let c = net.connect(0, 1);
    let early = Message::Complete {
        origin: "a".into(),
        seq: 5,
    }
    .to_frame();
    assert!(matches!(
        net.nodes[1].handle(c, &early, net.now),
        Err(SyncError::Protocol(ProtocolError::Unexpected(_)))
    ));
    let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
    assert!(net.nodes[0].open(9, "stranger", Duration::ZERO).is_err());
}

#[test]
fn after_a_disconnect_only_what_was_missed_is_sent() {
    let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
    let first: Vec<(Vec<u8>, Sighting)> = (0..200u8)
        .map(|i| (key(&format!("h{i}.example"), i), sight(1)))
        .collect();
    net.nodes[0].replica().observe(&first);
    let c = net.connect(0, 1);
    net.pump();
    assert_eq!(net.nodes[1].peers(net.now)[0].stats.entries_in, 200);
    net.disconnect(c);
    net.nodes[0]
        .replica()
        .observe(&[(key("new.example", 1), sight(5))]);
    net.connect(0, 1);
    net.pump();
    assert_eq!(net.records(0), net.records(1));
    let again = &net.nodes[1].peers(net.now)[0].stats;
    assert_eq!(again.entries_in, 1, "only the missed record is sent again");
    assert_eq!(
        net.nodes[0].peers(net.now)[0].stats.entries_in,
        0,
        "and nothing back"
    );
}

#[test]
fn an_empty_node_bootstraps_by_snapshot_and_can_resume_it() {
    let mut peers = open(&["b"]);
    peers[0].relay = true;
    let mut net = Net::new(&[("a", peers), ("b", open(&["a"]))]);
    let records: Vec<(Vec<u8>, Sighting)> = (0..20_000u32)
        .map(|i| {
            (
                key(&format!("h{i}.example"), (i % 250) as u8),
                sight(u64::from(i)),
            )
        })
        .collect();
    net.nodes[0].replica().observe(&records);
    let c = net.connect(0, 1);
    // Move a few frames only, then cut the connection mid-snapshot.
    for _ in 0..4 {
        if let Some(f) = net.nodes[0].poll_transmit(c, net.now).unwrap() {
            net.nodes[1].handle(c, &f, net.now).unwrap();
        }
        if let Some(f) = net.nodes[1].poll_transmit(c, net.now).unwrap() {
            net.nodes[0].handle(c, &f, net.now).unwrap();
        }
    }
    // Received entries are held for one large write, or until the connection closes.
    assert!(net.records(1).is_empty());
    net.disconnect(c);
    let partial = net.records(1).len();
    assert!(
        partial > 0 && partial < 20_000,
        "partial snapshot: {partial}"
    );
    net.connect(0, 1);
    net.pump();
    assert_eq!(net.records(0), net.records(1));
    let stats = &net.nodes[1].peers(net.now)[0].stats;
    assert_eq!(
        stats.snapshot_records_in as usize + partial,
        20_000,
        "the resumed snapshot sent only the rest"
    );
    assert_eq!(net.nodes[1].replica().vector().get("a"), Some(&1));
}

#[test]
fn entries_that_arrive_late_are_relayed_again() {
    // c learns a's update from b before a's own marker arrives, and a's older-seq
    // entries after; d, behind c, must still get everything.
    let mut net = Net::new(&[
        ("a", open(&["b", "c"])),
        ("b", open(&["a", "c"])),
        ("c", open(&["a", "b", "d"])),
        ("d", open(&["c"])),
    ]);
    net.nodes[0]
        .replica()
        .observe(&[(key("one.example", 1), sight(1))]);
    net.nodes[0]
        .replica()
        .observe(&[(key("two.example", 2), sight(2))]);
    net.connect(0, 1);
    net.pump();
    net.connect(1, 2);
    net.connect(2, 3);
    net.pump();
    net.nodes[0]
        .replica()
        .observe(&[(key("three.example", 3), sight(3))]);
    net.connect(0, 2);
    net.pump();
    for i in 1..4 {
        assert_eq!(net.records(i), net.records(0), "node {i}");
    }
}

#[test]
fn have_messages_spare_duplicates_in_a_mesh() {
    // Three nodes in a triangle; a's updates reach c both directly and through b.
    let mut net = Net::new(&[
        ("a", open(&["b", "c"])),
        ("b", open(&["a", "c"])),
        ("c", open(&["a", "b"])),
    ]);
    net.connect(0, 1);
    net.connect(0, 2);
    net.connect(1, 2);
    net.pump();
    for round in 0..20u8 {
        let batch: Vec<(Vec<u8>, Sighting)> = (0..50u8)
            .map(|i| {
                (
                    key(&format!("r{round}-{i}.example"), i),
                    sight(u64::from(round)),
                )
            })
            .collect();
        net.nodes[0].replica().observe(&batch);
        net.pump();
    }
    for i in 1..3 {
        assert_eq!(net.records(i), net.records(0));
    }
    let c = &net.nodes[2];
    let received: u64 = c.peers(net.now).iter().map(|p| p.stats.entries_in).sum();
    let duplicates: u64 = c.peers(net.now).iter().map(|p| p.stats.duplicates_in).sum();
    assert_eq!(received - duplicates, 1000);
    assert!(duplicates < 200, "{duplicates} duplicates of 1000 entries");
}

/// Every frame `from` has for `conn` now, delivered to `to`; returns the origins whose
/// entries went.
fn exchange(net: &mut Net, from: usize, to: usize, conn: ConnId) -> Vec<String> {
    let mut origins = Vec::new();
    while let Some(frame) = net.nodes[from].poll_transmit(conn, net.now).unwrap() {
        let mut reader = message::FrameReader::new();
        reader.push(&frame);
        if let Some(Message::Entries { batch }) = reader.next_message().unwrap() {
            origins.extend(
                batch::decode(&batch)
                    .unwrap()
                    .into_iter()
                    .map(|e| e.origin.to_string()),
            );
        }
        net.nodes[to].handle(conn, &frame, net.now).unwrap();
    }
    origins
}

/// Seed 853 of the simulator: after a reconnect, every relayed origin the peer already
/// holds is still due once (its log may hold lines past the cursor). Each such origin
/// found up to date used to end the poll ("nothing to send"), so the hub's own news
/// waited one driver tick per origin, with no timer set in the meantime — a driver that
/// took that as idle (the simulator did) stopped with the news never sent. One poll now
/// goes through every due origin.
#[test]
fn one_poll_sends_the_news_however_many_origins_are_up_to_date() {
    let relays = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"];
    // "z" sorts after every relayed origin, so a round robin reaches it last.
    let mut specs: Vec<(&str, Vec<PeerPolicy>)> = vec![
        ("z", open(&[&["y"][..], &relays[..]].concat())),
        ("y", open(&["z"])),
    ];
    specs.extend(relays.iter().map(|r| (*r, open(&["z"]))));
    let mut net = Net::new(&specs);
    for (i, _) in relays.iter().enumerate() {
        net.nodes[i + 2]
            .replica()
            .observe(&[(key(&format!("r{i}.example"), 1), sight(1))]);
    }
    net.nodes[0]
        .replica()
        .observe(&[(key("z.example", 1), sight(1))]);
    let zy = net.connect(0, 1);
    for i in 0..relays.len() {
        net.connect(0, i + 2);
    }
    net.pump();
    assert_eq!(net.records(0), net.records(1));

    net.disconnect(zy);
    net.nodes[0]
        .replica()
        .observe(&[(key("news.z.example", 2), sight(2))]);
    let c = net.next_conn;
    net.next_conn += 1;
    net.nodes[0].open(c, "y", net.now).unwrap();
    net.nodes[1].open(c, "z", net.now).unwrap();
    // Hellos both ways; then z answers y's Hello with its policies and, a backlog being
    // due at once, the news.
    exchange(&mut net, 0, 1, c);
    exchange(&mut net, 1, 0, c);
    let sent = exchange(&mut net, 0, 1, c);
    assert_eq!(sent, vec!["z".to_owned()], "the news goes in one poll");
    assert_eq!(net.records(0), net.records(1));
}

#[test]
fn a_crash_loses_only_the_snapshot_entries_not_yet_written_and_they_come_again() {
    use std::sync::Arc;
    let mut a = snapshot_source();
    let b_replica = Arc::new(MemReplica::new("b"));
    let mut config = SyncConfig::new(open(&["a"]));
    // Written every few batches.
    config.snapshot_apply_bytes = 1_000_000;
    let mut b = Replicator::new(b_replica.clone(), config.clone()).unwrap();
    let now = Duration::ZERO;
    let (c1, c2) = (1, 2);
    a.open(c1, "b", now).unwrap();
    b.open(c1, "a", now).unwrap();
    let mut received = 0;
    for _ in 0..200 {
        if let Some(f) = a.poll_transmit(c1, now).unwrap() {
            b.handle(c1, &f, now).unwrap();
        }
        if let Some(f) = b.poll_transmit(c1, now).unwrap() {
            a.handle(c1, &f, now).unwrap();
        }
        received = b.peers(now)[0].stats.snapshot_records_in;
        let written = b_replica.dump().len() as u64;
        if written > 0 && received > written && received < 20_000 {
            break;
        }
    }
    let written = b_replica.dump().len() as u64;
    assert!(
        written > 0 && written < received && received < 20_000,
        "written {written}, received {received}"
    );
    // b crashes: its engine is gone without a close; its replica keeps what was written.
    drop(b);
    a.close(c1);
    let mut b = Replicator::new(b_replica.clone(), config).unwrap();
    a.open(c2, "b", now).unwrap();
    b.open(c2, "a", now).unwrap();
    drain(&mut a, &mut b, c2).unwrap();
    assert_eq!(b_replica.dump().len(), 20_000);
    let again = b.peers(now)[0].stats.snapshot_records_in;
    assert_eq!(
        again + written,
        20_000,
        "the stream resumed after the last entries written, not the last received"
    );
    assert_eq!(b_replica.vector().get("a"), Some(&1));
}

/// Every record of a store with its entries: what must be equal everywhere.
fn store_records(store: &hearsay_store::Store) -> Vec<replica::SnapshotRecord> {
    store
        .view()
        .records_after(None)
        .map(|r| {
            let (key, value) = r.unwrap();
            let entries = value
                .entries()
                .iter()
                .map(|(id, e)| (store.origin_name(*id).unwrap().into(), *e))
                .collect();
            (key, entries)
        })
        .collect()
}

/// Real stores, where a snapshot's log lines wait in runs until its end. b bootstraps
/// from a and c (both offer it a snapshot) while a keeps writing and c relays a's news
/// to b live; d hears of a only through b. Every node ends with every record, and b's
/// indexes and log are what a store written entry by entry holds.
#[test]
fn a_node_bootstrapping_into_real_stores_relays_everything_it_loaded() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let names = ["a", "b", "c", "d"];
    let peers: [&[&str]; 4] = [&["b", "c"], &["a", "c", "d"], &["a", "b"], &["b"]];
    let stores: Vec<Arc<hearsay_store::Store>> = names
        .iter()
        .map(|n| {
            let s = hearsay_store::Store::open(&dir.path().join(n), Default::default()).unwrap();
            s.set_local_origin_name(n).unwrap();
            Arc::new(s)
        })
        .collect();
    let batch = |prefix: &str, from: u32, n: u32| -> Vec<(Vec<u8>, Sighting)> {
        (from..from + n)
            .map(|i| {
                (
                    key(&format!("{prefix}{i}.example"), (i % 250) as u8),
                    sight(u64::from(i)),
                )
            })
            .collect()
    };
    for i in 0..10 {
        stores[0].apply_local(batch("a", i * 3000, 3000)).unwrap();
    }
    stores[3].apply_local(batch("d", 0, 500)).unwrap();
    let specs: Vec<(&str, Vec<PeerPolicy>)> = names
        .iter()
        .zip(peers)
        .map(|(n, p)| (*n, open(p)))
        .collect();
    let nodes = stores
        .iter()
        .zip(&specs)
        .map(|(s, (_, p))| {
            let mut config = SyncConfig::new(p.clone());
            // Several bulk writes per snapshot (each above the bulk threshold).
            config.snapshot_apply_bytes = 700_000;
            Replicator::new(s.clone(), config).unwrap()
        })
        .collect();
    let mut net = Net::of(&specs, nodes);
    net.connect(0, 2);
    net.pump();
    net.connect(1, 0);
    net.connect(1, 2);
    net.connect(1, 3);
    // A few rounds of frames with a writing in between, then until quiet.
    for round in 0..12u32 {
        for (x, y, c) in net.links.clone() {
            for (from, to) in [(x, y), (y, x)] {
                for _ in 0..3 {
                    if let Some(f) = net.nodes[from].poll_transmit(c, net.now).unwrap() {
                        net.nodes[to].handle(c, &f, net.now).unwrap();
                    }
                }
            }
        }
        net.now += Duration::from_millis(60);
        if round % 3 == 0 {
            stores[0]
                .apply_local(batch("late", round * 100, 100))
                .unwrap();
        }
    }
    net.pump();
    let want = store_records(&stores[0]);
    assert_eq!(want.len(), 30_000 + 400 + 500);
    for (i, s) in stores.iter().enumerate().skip(1) {
        assert_eq!(store_records(s), want, "{}", names[i]);
    }
    let b_in: u64 = net.nodes[1]
        .peers(net.now)
        .iter()
        .map(|p| p.stats.snapshot_records_in)
        .sum();
    assert!(
        b_in >= 30_000,
        "b bootstrapped by snapshot ({b_in} records)"
    );
    // b's secondary keyspaces hold what c's (written entry by entry) hold.
    let rows = |s: &hearsay_store::Store| {
        let v = s.view();
        let all = |it: hearsay_store::IndexIter<'_>| it.map(|r| r.unwrap()).collect::<Vec<_>>();
        (all(v.index_prefix(&[])), all(v.names_prefix(&[])))
    };
    assert_eq!(rows(&stores[1]), rows(&stores[2]));
    for origin in ["a", "d"] {
        let lines = |s: &hearsay_store::Store| {
            let id = s.lookup_origin(origin).unwrap();
            let mut l: Vec<Vec<u8>> = s.view().log_from(id, 0).map(|r| r.unwrap().1).collect();
            l.sort();
            l
        };
        assert_eq!(lines(&stores[1]), lines(&stores[2]), "log of {origin}");
    }
}

/// A store stages a snapshot's log lines until the snapshot ends, or until the vector
/// of their origin moves. A session that read past them in the meantime (here: d's, at
/// b, reading a's news relayed live) must read them again once they are readable, or d
/// would be told "complete" without them.
#[test]
fn log_lines_that_become_readable_late_are_sent_to_sessions_that_passed_them() {
    let mut net = Net::new(&[
        ("a", open(&["b"])),
        ("b", open(&["a", "d"])),
        ("d", open(&["b"])),
    ]);
    let ab = net.connect(0, 1);
    net.connect(1, 2);
    let records = |prefix: &str, n: u32| -> Vec<(Vec<u8>, Sighting)> {
        (0..n)
            .map(|i| {
                (
                    key(&format!("{prefix}{i}.example"), i as u8),
                    sight(u64::from(i)),
                )
            })
            .collect()
    };
    for u in 0..3 {
        net.nodes[0]
            .replica()
            .observe(&records(&format!("u{u}-"), 10));
    }
    net.pump();
    assert_eq!(net.records(2), net.records(0));
    // a's update 4 reaches b as a snapshot would bring it: merged, its lines staged.
    let seq4 = net.nodes[0].replica().observe(&records("u3-", 20));
    let staged: Vec<WireEntry> = net.nodes[0]
        .replica()
        .dump()
        .entries()
        .filter(|(_, _, e)| e.seq == seq4)
        .map(|(k, o, e)| WireEntry {
            key: k.to_vec(),
            origin: o.into(),
            entry: *e,
        })
        .collect();
    assert_eq!(staged.len(), 20);
    net.nodes[1].replica().apply_snapshot(vec![staged]).unwrap();
    // Update 5 goes to b live: its entries first (readable at once)...
    net.nodes[0].replica().observe(&records("u4-", 5));
    let mut frames = Vec::new();
    while let Some(f) = net.nodes[0].poll_transmit(ab, net.now).unwrap() {
        frames.push(f);
    }
    let (entries, rest) = frames.split_at(1);
    net.nodes[1].handle(ab, &entries[0], net.now).unwrap();
    // ... which b relays to d (after the push interval), whose cursor passes the staged
    // lines.
    let bd = net.links[1].2;
    let mut sent = exchange(&mut net, 1, 2, bd);
    net.now += Duration::from_millis(60);
    sent.extend(exchange(&mut net, 1, 2, bd));
    assert_eq!(sent.len(), 5, "update 5 went to d");
    // Then a's marker: b's vector for a moves, so its staged lines become readable.
    for f in rest {
        net.nodes[1].handle(ab, f, net.now).unwrap();
    }
    net.pump();
    assert_eq!(net.records(2), net.records(0), "d has update 4 too");
    assert_eq!(net.nodes[2].replica().vector().get("a"), Some(&5));
}

/// 400 records of 40 kB rdata each (a private type), under `owners` names.
fn large_records(owners: u32) -> Vec<(Vec<u8>, Sighting)> {
    (0..400u32)
        .map(|i| {
            let mut rdata = vec![b'x'; 40_000];
            rdata[..4].copy_from_slice(&i.to_be_bytes());
            let key = RecordKey::new(
                Name::from_presentation(&format!("big{}.example", i % owners)).unwrap(),
                RrType(65_280),
                Bailiwick::Unknown,
                rdata,
            )
            .unwrap()
            .encode();
            (key, sight(u64::from(i)))
        })
        .collect()
}

/// Records with large rdata: a snapshot batch of as many records as usual would decode
/// to more than a receiver accepts, so the sender sends them in smaller batches.
#[test]
fn a_snapshot_of_large_records_goes_in_batches_a_receiver_accepts() {
    let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
    net.nodes[0].replica().observe(&large_records(7));
    net.connect(0, 1);
    net.pump();
    assert_eq!(net.records(1), net.records(0));
    assert_eq!(net.records(1).len(), 400);
}

/// The same large records as a catch-up from the log (the peer already had a record,
/// so no snapshot): log batches are bounded in bytes too.
#[test]
fn a_catch_up_of_large_records_goes_in_batches_a_receiver_accepts() {
    let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
    net.nodes[0]
        .replica()
        .observe(&[(key("first.example", 1), sight(1))]);
    net.connect(0, 1);
    net.pump();
    net.nodes[0].replica().observe(&large_records(1));
    net.pump();
    assert_eq!(net.records(1), net.records(0));
    assert_eq!(net.records(1).len(), 401);
}

/// 20,000 records of origin `a`, and a sender of them in batches small enough that a
/// receiver writing every 1 MB of entries writes several times.
fn snapshot_source() -> Replicator<MemReplica> {
    let a_replica = MemReplica::new("a");
    let records: Vec<(Vec<u8>, Sighting)> = (0..20_000u32)
        .map(|i| {
            (
                key(&format!("h{i}.example"), (i % 250) as u8),
                sight(u64::from(i)),
            )
        })
        .collect();
    a_replica.observe(&records);
    let mut a_config = SyncConfig::new(open(&["b"]));
    a_config.snapshot_records = 4096;
    Replicator::new(a_replica, a_config).unwrap()
}

/// Moves frames both ways over `conn` until nothing moves; `Err` if b's engine fails
/// the session.
fn drain<R: Replica>(
    a: &mut Replicator<MemReplica>,
    b: &mut Replicator<R>,
    conn: ConnId,
) -> Result<(), SyncError> {
    let now = Duration::ZERO;
    for _ in 0..1000 {
        let mut moved = false;
        while let Some(f) = a.poll_transmit(conn, now)? {
            b.handle(conn, &f, now)?;
            moved = true;
        }
        while let Some(f) = b.poll_transmit(conn, now)? {
            a.handle(conn, &f, now)?;
            moved = true;
        }
        if !moved {
            return Ok(());
        }
    }
    panic!("the link never went quiet");
}

#[test]
fn a_snapshot_written_behind_resumes_after_the_last_batch_known_written() {
    let mut a = snapshot_source();
    let mut config = SyncConfig::new(open(&["a"]));
    // A write every 3,000 records or so.
    config.snapshot_apply_bytes = 300_000;
    let b_replica = std::sync::Arc::new(MemReplica::new("b").writing_behind());
    let mut b = Replicator::new(b_replica.clone(), config.clone()).unwrap();
    let now = Duration::ZERO;
    a.open(1, "b", now).unwrap();
    b.open(1, "a", now).unwrap();
    // Until a write has finished and the next is in flight.
    let mut received = 0;
    for _ in 0..400 {
        if let Some(f) = a.poll_transmit(1, now).unwrap() {
            b.handle(1, &f, now).unwrap();
        }
        if let Some(f) = b.poll_transmit(1, now).unwrap() {
            a.handle(1, &f, now).unwrap();
        }
        received = b.peers(now)[0].stats.snapshot_records_in;
        let written = b_replica.dump().len() as u64;
        if written > 0 && received > written + 3_000 {
            break;
        }
    }
    // b crashes with a write in flight: it is lost with the engine.
    let durable = b_replica.dump();
    let written = durable.len() as u64;
    assert!(
        written > 0 && received > written && received < 20_000,
        "written {written}, received {received}"
    );
    drop(b);
    a.close(1);
    let b_replica = std::sync::Arc::new(MemReplica::from_state(durable).writing_behind());
    let mut b = Replicator::new(b_replica.clone(), config).unwrap();
    a.open(2, "b", now).unwrap();
    b.open(2, "a", now).unwrap();
    drain(&mut a, &mut b, 2).unwrap();
    assert!(
        b_replica.dump().records() == a.replica().dump().records(),
        "b holds a's records"
    );
    assert_eq!(
        b.peers(now)[0].stats.snapshot_records_in + written,
        20_000,
        "the stream resumed after the last batch whose write finished"
    );
    assert_eq!(b_replica.vector().get("a"), Some(&1));
}

/// A replica whose snapshot writes run "in the background" (when waited for), the
/// `fail_at`th of which fails after writing nothing.
struct FailingWrite {
    inner: MemReplica,
    fail_at: usize,
    writes: std::sync::atomic::AtomicUsize,
    in_flight: std::sync::Mutex<Option<Vec<Vec<WireEntry>>>>,
}

impl Replica for FailingWrite {
    crate::forward_replica_reads!(inner);
    fn apply(
        &self,
        entries: Vec<WireEntry>,
        complete: &[(String, u64)],
    ) -> Result<Applied, ReplicaError> {
        self.inner.apply(entries, complete)
    }
    fn start_snapshot_write(
        &self,
        batches: Vec<Vec<WireEntry>>,
    ) -> Result<Option<Applied>, ReplicaError> {
        let mut in_flight = self.in_flight.lock().unwrap();
        assert!(in_flight.is_none(), "one write in flight at most");
        *in_flight = Some(batches);
        Ok(None)
    }
    fn wait_snapshot_write(&self) -> Result<Applied, ReplicaError> {
        let Some(batches) = self.in_flight.lock().unwrap().take() else {
            return Ok(Applied::default());
        };
        let n = self
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n + 1 == self.fail_at {
            return Err(ReplicaError("disk full".into()));
        }
        self.inner.apply_snapshot(batches)
    }
    fn end_snapshot(&self) -> Result<Applied, ReplicaError> {
        self.inner.end_snapshot()
    }
}

#[test]
fn a_failed_background_write_ends_its_stream_which_resumes_after_the_last_batch_written() {
    let mut a = snapshot_source();
    let mut config = SyncConfig::new(open(&["a"]));
    config.snapshot_apply_bytes = 300_000;
    let b_replica = std::sync::Arc::new(FailingWrite {
        inner: MemReplica::new("b"),
        fail_at: 3,
        writes: Default::default(),
        in_flight: Default::default(),
    });
    let mut b = Replicator::new(b_replica.clone(), config).unwrap();
    let now = Duration::ZERO;
    a.open(1, "b", now).unwrap();
    b.open(1, "a", now).unwrap();
    let failed = drain(&mut a, &mut b, 1).expect_err("the failed write ends the session");
    assert!(failed.to_string().contains("disk full"), "{failed}");
    b.close(1);
    a.close(1);
    let written = b_replica.inner.dump().len();
    assert!(
        written > 0 && written < 20_000,
        "written before the failure: {written}"
    );
    assert_eq!(
        b_replica.vector().get("a"),
        None,
        "no marker after a failed write"
    );
    a.open(2, "b", now).unwrap();
    b.open(2, "a", now).unwrap();
    drain(&mut a, &mut b, 2).unwrap();
    assert!(
        b_replica.inner.dump().records() == a.replica().dump().records(),
        "b holds a's records"
    );
    assert_eq!(b_replica.vector().get("a"), Some(&1));
}

#[test]
fn snapshot_entries_out_of_order_are_a_protocol_error() {
    let entry = |name: &str| WireEntry {
        key: key(name, 1),
        origin: "a".into(),
        entry: hearsay_record::Entry {
            time_first: 1,
            time_last: 1,
            count: 1,
            seq: 1,
        },
    };
    // Unsorted on purpose: `encode_raw` keeps the order it is given.
    let frame = |entries: &[WireEntry]| {
        Message::SnapshotEntries {
            batch: batch::compress(&batch::encode_raw(entries)).unwrap(),
        }
        .to_frame()
    };
    let begin = Message::SnapshotBegin {
        vector: Vector::from([("a".to_owned(), 2)]),
    }
    .to_frame();
    let (low, high) = (entry("a.example"), entry("z.example"));
    // Within a batch, and across batches (a key before what came already).
    for frames in [
        vec![frame(&[high.clone(), low.clone()])],
        vec![
            frame(std::slice::from_ref(&high)),
            frame(std::slice::from_ref(&low)),
        ],
    ] {
        let mut net = Net::new(&[("a", open(&["b"])), ("b", open(&["a"]))]);
        let c = net.connect(0, 1);
        net.pump();
        net.nodes[1].handle(c, &begin, net.now).unwrap();
        let (last, first) = frames.split_last().unwrap();
        for f in first {
            net.nodes[1].handle(c, f, net.now).unwrap();
        }
        assert!(matches!(
            net.nodes[1].handle(c, last, net.now),
            Err(SyncError::Protocol(ProtocolError::SnapshotOrder))
        ));
        assert_eq!(net.nodes[1].stats().violations.len(), 1);
    }
}
