use super::*;
use hearsay_record::{Bailiwick, Entry, Name, RecordKey, RrType, Sighting};

fn key(name: &str, t: RrType, rdata: &[u8]) -> Vec<u8> {
    RecordKey::new(
        Name::from_presentation(name).unwrap(),
        t,
        Bailiwick::Unknown,
        rdata.to_vec(),
    )
    .unwrap()
    .encode()
}

fn s(first: u64, last: u64, count: u64) -> Sighting {
    Sighting {
        time_first: first,
        time_last: last,
        count,
    }
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path(), StoreOptions::default()).unwrap()
}

#[test]
fn local_updates_accumulate_and_log_keeps_one_line_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = key("www.example.com", RrType::A, &[192, 0, 2, 1]);
    let b = key(
        "example.com",
        RrType::NS,
        Name::from_presentation("ns1.example.net")
            .unwrap()
            .as_wire(),
    );
    let r = store
        .apply_local(vec![
            (a.clone(), s(100, 200, 2)),
            (b.clone(), s(150, 150, 1)),
        ])
        .unwrap();
    assert_eq!(
        r,
        ApplyReport {
            changed: 2,
            new_records: 2,
            duplicates: 0,
            lowest_changed: vec![],
            readable: vec![],
        }
    );
    let r = store.apply_local(vec![(a.clone(), s(50, 120, 3))]).unwrap();
    assert_eq!(r.new_records, 0);

    let view = store.view();
    let value = view.get(&a).unwrap().unwrap();
    let local = store.local_origin();
    assert_eq!(
        value.get(local),
        Some(&Entry {
            time_first: 50,
            time_last: 200,
            count: 5,
            seq: 2
        })
    );
    // Each apply is one update (one seq); the line of `a` at seq 1 was superseded.
    let log: Vec<_> = view.log_from(local, 0).map(|r| r.unwrap()).collect();
    assert_eq!(log, vec![(1, b.clone()), (2, a.clone())]);
    assert_eq!(store.version_vector()[&local], 2);

    let stats = store.stats().unwrap();
    assert_eq!(stats.records, 2);
    assert_eq!(
        stats.records_by_type,
        vec![("A".to_string(), 1), ("NS".to_string(), 1)]
    );
}

#[test]
fn reverse_index_finds_addresses_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let www = key("www.example.com", RrType::A, &[212, 9, 189, 164]);
    let stat = key("static.example.com", RrType::A, &[212, 9, 189, 164]);
    let other = key("other.example.com", RrType::A, &[212, 9, 190, 1]);
    store
        .apply_local(vec![
            (www.clone(), s(1, 1, 1)),
            (stat.clone(), s(1, 1, 1)),
            (other, s(1, 1, 1)),
        ])
        .unwrap();
    let view = store.view();
    let hits: Vec<_> = view
        .index_prefix(&[keys::TAG_V4, 212, 9, 189, 164])
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(hits.len(), 2);
    let cidr: Vec<_> = view.index_prefix(&[keys::TAG_V4, 212, 9]).collect();
    assert_eq!(cidr.len(), 3);
}

#[test]
fn remote_entries_merge_and_vector_advances_only_on_markers() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let peer = store.origin_id("cert-b").unwrap();
    let a = key("www.example.com", RrType::A, &[192, 0, 2, 1]);
    let e = |seq, count| RemoteEntry {
        key: a.clone(),
        origin: peer,
        entry: Entry {
            time_first: 10,
            time_last: 20,
            count,
            seq,
        },
    };
    let r = store.apply_remote(vec![e(5, 2)], &[]).unwrap();
    assert_eq!(r.new_records, 1);
    assert_eq!(store.version_vector().get(&peer), None);
    // Older state and duplicates change nothing.
    let r = store
        .apply_remote(vec![e(3, 1), e(5, 2)], &[(peer, 5)])
        .unwrap();
    assert_eq!(
        r,
        ApplyReport {
            changed: 0,
            new_records: 0,
            duplicates: 2,
            lowest_changed: vec![],
            readable: vec![],
        }
    );
    assert_eq!(store.version_vector()[&peer], 5);
    let r = store.apply_remote(vec![e(9, 4)], &[(peer, 4)]).unwrap();
    assert_eq!(r.lowest_changed, vec![(peer, 9)]);
    assert_eq!(store.version_vector()[&peer], 5, "vector never goes back");
    let view = store.view();
    let log: Vec<_> = view.log_from(peer, 0).map(|r| r.unwrap().0).collect();
    assert_eq!(log, vec![9]);
    assert_eq!(view.get(&a).unwrap().unwrap().get(peer).unwrap().count, 4);
}

#[test]
fn own_entries_echoed_with_higher_seq_move_the_counter_past_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let local = store.local_origin();
    let a = key("a.example", RrType::A, &[1, 1, 1, 1]);
    store
        .apply_remote(
            vec![RemoteEntry {
                key: a.clone(),
                origin: local,
                entry: Entry {
                    time_first: 1,
                    time_last: 1,
                    count: 1,
                    seq: 40,
                },
            }],
            &[],
        )
        .unwrap();
    store.apply_local(vec![(a, s(2, 2, 1))]).unwrap();
    assert_eq!(store.version_vector()[&local], 41);
}

#[test]
fn reopen_keeps_origin_vector_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let a = key("www.example.com", RrType::A, &[192, 0, 2, 1]);
    let name = {
        let store = open(&dir);
        store.set_local_origin_name("cert-a").unwrap();
        store.origin_id("cert-b").unwrap();
        store.apply_local(vec![(a.clone(), s(1, 2, 3))]).unwrap();
        store.local_origin_name()
    };
    assert_eq!(name, "cert-a");
    let store = open(&dir);
    assert_eq!(store.local_origin_name(), "cert-a");
    assert!(store.lookup_origin("cert-b").is_some());
    assert_eq!(store.version_vector()[&store.local_origin()], 1);
    assert_eq!(store.stats().unwrap().records, 1);
    assert!(store.set_local_origin_name("cert-b").is_err());
    assert!(store.set_local_origin_name("Bad Name").is_err());
}

#[test]
fn schema_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        store
            .meta
            .insert(keys::meta::SCHEMA, 99u32.to_be_bytes())
            .unwrap();
    }
    match Store::open(dir.path(), StoreOptions::default()) {
        Err(StoreError::SchemaMismatch {
            found: 99,
            expected: SCHEMA_VERSION,
            ..
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn cursor_scan_resumes_after_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let keys: Vec<Vec<u8>> = (0..10u8)
        .map(|i| key(&format!("h{i}.example"), RrType::A, &[10, 0, 0, i]))
        .collect();
    store
        .apply_local(keys.iter().map(|k| (k.clone(), s(1, 1, 1))).collect())
        .unwrap();
    let view = store.view();
    let all: Vec<Vec<u8>> = view.records_after(None).map(|r| r.unwrap().0).collect();
    assert_eq!(all.len(), 10);
    let rest: Vec<Vec<u8>> = view
        .records_after(Some(&all[3]))
        .map(|r| r.unwrap().0)
        .collect();
    assert_eq!(rest, all[4..].to_vec());

    // The snapshot sender's read: the same records, `max` at most, each with what the
    // mapping makes of its entries (a remote origin's too; `None` leaves one out).
    let peer = store.origin_id("cert-b").unwrap();
    let remote = RemoteEntry {
        key: keys[5].clone(),
        origin: peer,
        entry: Entry {
            time_first: 1,
            time_last: 2,
            count: 3,
            seq: 4,
        },
    };
    store.apply_remote(vec![remote.clone()], &[]).unwrap();
    let view = store.view();
    let plain: Vec<(Vec<u8>, Vec<_>)> = view
        .records_after(Some(&all[3]))
        .take(4)
        .map(|r| {
            let (k, v) = r.unwrap();
            (k, v.entries().to_vec())
        })
        .collect();
    let with = view
        .records_after_with(Some(&all[3]), 4, |o, e| Some((o, e)))
        .unwrap();
    assert_eq!(with, plain);
    assert_eq!(with[1].1.len(), 2, "the local and the remote entry");
    let remote_only = view
        .records_after_with(None, 100, |o, e| (o == peer).then_some(e))
        .unwrap();
    assert_eq!(remote_only.len(), 10);
    assert_eq!(remote_only[5], (keys[5].clone(), vec![remote.entry]));
    assert!(remote_only[4].1.is_empty());
}

#[test]
fn log_positions_resume_after_a_key_and_state_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let keys: Vec<Vec<u8>> = (0..5u8)
        .map(|i| key(&format!("h{i}.example"), RrType::A, &[10, 0, 0, i]))
        .collect();
    store
        .apply_local(keys.iter().map(|k| (k.clone(), s(1, 1, 1))).collect())
        .unwrap();
    store
        .apply_local(vec![(keys[0].clone(), s(2, 2, 1))])
        .unwrap();
    let local = store.local_origin();
    let view = store.view();
    let all: Vec<(u64, Vec<u8>)> = view.log_after(local, 1, None).map(|r| r.unwrap()).collect();
    assert_eq!(all.len(), 5);
    assert_eq!(all[4], (2, keys[0].clone()));
    let rest: Vec<(u64, Vec<u8>)> = view
        .log_after(local, all[1].0, Some(&all[1].1))
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rest, all[2..].to_vec());
    assert_eq!(view.log_after(local, 3, None).count(), 0);

    assert_eq!(store.state("x").unwrap(), None);
    store.set_state("x", Some(b"abc")).unwrap();
    assert_eq!(store.state("x").unwrap(), Some(b"abc".to_vec()));
    store.set_state("x", None).unwrap();
    assert_eq!(store.state("x").unwrap(), None);
}

#[test]
fn names_support_right_hand_wildcards() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .apply_local(vec![
            (key("www.example.com", RrType::A, &[1, 1, 1, 1]), s(1, 1, 1)),
            (key("www.example.com", RrType::A, &[1, 1, 1, 2]), s(1, 1, 1)),
            (
                key("www.example.co.uk", RrType::A, &[1, 1, 1, 3]),
                s(1, 1, 1),
            ),
            (
                key("www.examples.com", RrType::A, &[1, 1, 1, 4]),
                s(1, 1, 1),
            ),
        ])
        .unwrap();
    let view = store.view();
    let names: Vec<Vec<u8>> = view
        .names_prefix(b"\x03www\x07example")
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "one line per name, and not www.examples.com"
    );
}
