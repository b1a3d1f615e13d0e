//! Partner nodes replicating over real QUIC with real certificates on 127.0.0.1: every
//! node a `hearsayd` process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hearsay_gen::paper;
use hearsay_gen::synth::{SynthConfig, write_pcap as write_synth};
use hearsay_node::federation::TeamSpec;
use hearsay_tests::{Daemon, converge, export, federation_configs, write_pcap};

const T: Duration = Duration::from_secs(60);

/// The paper's traffic split among `n` capture files.
fn paper_captures(dir: &std::path::Path, n: usize) -> Vec<PathBuf> {
    paper::assign(n)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, packets)| {
            let p = dir.join(format!("paper-{i}.pcap"));
            write_pcap(&p, packets);
            p
        })
        .collect()
}

/// Every row of a stopped node's reverse index (`rdata`) and owner-name index: what
/// the export does not show. A snapshot stages them and merges them at its end.
fn index_rows(data_dir: &std::path::Path) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let store = hearsay_store::Store::open(data_dir, Default::default()).unwrap();
    let view = store.view();
    let rows = |it: hearsay_store::IndexIter<'_>| it.map(|r| r.unwrap()).collect::<Vec<_>>();
    (rows(view.index_prefix(&[])), rows(view.names_prefix(&[])))
}

/// Run files a bulk load left staged in a stopped node's store: none once its snapshot
/// has ended (any open of the store, the export's too, merges them).
fn staged_runs(data_dir: &std::path::Path) -> usize {
    std::fs::read_dir(data_dir.join("bulk-runs")).map_or(0, |d| d.count())
}

/// Writes a synthetic capture of `packets` packets over `names` names at `path`.
fn synth_capture(path: &std::path::Path, packets: u64, seed: u64, names: usize) -> PathBuf {
    let synth = SynthConfig {
        packets,
        seed,
        names,
        ..SynthConfig::default()
    };
    write_synth(
        &synth,
        std::io::BufWriter::new(std::fs::File::create(path).unwrap()),
    )
    .unwrap();
    path.to_path_buf()
}

fn without_nothing(mut rows: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    rows.sort_by_key(|r| r.to_string());
    rows
}

#[test]
fn three_nodes_with_different_data_converge_to_identical_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let captures = paper_captures(tmp.path(), 3);
    let teams: Vec<TeamSpec> = ["cert-a", "cert-b", "cert-c"]
        .iter()
        .zip(&captures)
        .map(|(n, c)| TeamSpec::new(n, vec![c.clone()]))
        .collect();
    let configs = federation_configs(tmp.path(), &teams, 0.2);
    let daemons: Vec<Daemon> = configs.into_iter().map(Daemon::start).collect();
    converge(&daemons.iter().collect::<Vec<_>>(), T);
    let dirs: Vec<PathBuf> = daemons.iter().map(|d| d.data_dir().to_path_buf()).collect();
    for d in daemons {
        d.terminate();
    }
    let exports: Vec<Vec<serde_json::Value>> =
        dirs.iter().map(|d| without_nothing(export(d))).collect();
    assert!(exports[0].len() > 60, "{} records", exports[0].len());
    assert_eq!(exports[0], exports[1]);
    assert_eq!(exports[0], exports[2]);
    // Every record names the origins that saw it.
    assert!(
        exports[0]
            .iter()
            .any(|r| r["sensor_id"].as_str().unwrap().contains(','))
    );
}

/// The compressed size of a store's entries of one origin, as the protocol would send
/// them in one batch: the yardstick for what a catch-up may cost.
fn compressed_size_of(captures: &[PathBuf], origin: &str) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(hearsay_store::Store::open(tmp.path(), Default::default()).unwrap());
    store.set_local_origin_name(origin).unwrap();
    hearsay_ingest::import_files(store.clone(), captures, Default::default(), &mut |_| {}).unwrap();
    let mut entries = Vec::new();
    for item in store.view().records_after(None) {
        let (key, value) = item.unwrap();
        for (_, entry) in value.entries() {
            entries.push(hearsay_sync::WireEntry {
                key: key.clone(),
                origin: origin.into(),
                entry: *entry,
            });
        }
    }
    hearsay_sync::batch::encode(&mut entries).unwrap().len()
}

#[test]
fn a_killed_node_catches_up_with_only_what_it_missed_and_a_new_node_bootstraps_by_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let captures = paper_captures(tmp.path(), 3);
    let spool = tmp.path().join("spool-a");
    std::fs::create_dir_all(&spool).unwrap();
    let mut teams: Vec<TeamSpec> = ["cert-a", "cert-b", "cert-c", "cert-d"]
        .iter()
        .enumerate()
        .map(|(i, n)| TeamSpec::new(n, captures.get(i).cloned().into_iter().collect()))
        .collect();
    // d starts later and empty; it peers with a only.
    teams[3].not_peering_with = vec!["cert-b".into(), "cert-c".into()];
    let mut configs = federation_configs(tmp.path(), &teams, 0.2);
    configs[0].sensors.push(hearsay_node::config::SensorConfig {
        name: "spool".into(),
        interface: None,
        file: None,
        directory: Some(spool.clone()),
        promiscuous: false,
        snaplen: 65_535,
        filter: None,
        dns_ports: vec![53],
        placement: hearsay_ingest::Placement::Below,
        require_query: None,
        nxdomain: false,
        max_new_names_per_zone: 20_000,
        immediate: false,
        buffer_mb: 32,
    });
    let d_config = configs.pop().unwrap();
    let mut daemons: Vec<Option<Daemon>> = configs
        .into_iter()
        .map(|c| Some(Daemon::start(c)))
        .collect();
    converge(&daemons.iter().flatten().collect::<Vec<_>>(), T);

    // c dies hard while a keeps ingesting new traffic.
    let c = daemons[2].take().unwrap();
    let c_config = c.config.clone();
    c.kill();
    let new_traffic = synth_capture(&tmp.path().join("new.pcap"), 40_000, 99, 5_000);
    let missed = compressed_size_of(std::slice::from_ref(&new_traffic), "cert-a");
    std::fs::copy(&new_traffic, spool.join("new.pcap.tmp")).unwrap();
    std::fs::rename(spool.join("new.pcap.tmp"), spool.join("new.pcap")).unwrap();
    let a = daemons[0].as_ref().unwrap();
    let before = a.vector();
    a.wait_for(T, |s| {
        hearsay_tests::vector_of(s) != before && s["sensors"][1]["files"] == 1
    });
    converge(
        &[daemons[0].as_ref().unwrap(), daemons[1].as_ref().unwrap()],
        T,
    );

    // c comes back and receives (about) only what it missed.
    let c = Daemon::start(c_config);
    converge(
        &[
            daemons[0].as_ref().unwrap(),
            daemons[1].as_ref().unwrap(),
            &c,
        ],
        T,
    );
    let status = c.status();
    let peers = status["replication"]["peers"].as_array().unwrap();
    let received: u64 = peers
        .iter()
        .map(|p| p["stats"]["bytes_in"].as_u64().unwrap())
        .sum();
    let snapshot: u64 = peers
        .iter()
        .map(|p| p["stats"]["snapshot_records_in"].as_u64().unwrap())
        .sum();
    assert_eq!(
        snapshot, 0,
        "a node that knows something catches up from the log"
    );
    assert!(
        received as usize <= 2 * missed,
        "c received {received} bytes for missed records of {missed} compressed bytes"
    );
    println!(
        "catch-up: {received} bytes received for {missed} compressed bytes of missed records ({:.2}x)",
        received as f64 / missed as f64
    );

    // A new, empty node bootstraps from a by snapshot.
    let d = Daemon::start(d_config);
    converge(&[daemons[0].as_ref().unwrap(), &d], T);
    let ds = d.status();
    let from_a = &ds["replication"]["peers"][0]["stats"];
    assert!(
        from_a["snapshot_records_in"].as_u64().unwrap() > 1000,
        "{from_a}"
    );

    let dirs: Vec<PathBuf> = vec![
        daemons[0].as_ref().unwrap().data_dir().to_path_buf(),
        c.data_dir().to_path_buf(),
        d.data_dir().to_path_buf(),
    ];
    for x in daemons.into_iter().flatten() {
        x.terminate();
    }
    c.terminate();
    d.terminate();
    assert_eq!(staged_runs(&dirs[2]), 0, "d's snapshot ended");
    let exports: Vec<Vec<serde_json::Value>> =
        dirs.iter().map(|p| without_nothing(export(p))).collect();
    assert_eq!(exports[0], exports[1], "c caught up");
    assert_eq!(exports[0], exports[2], "d bootstrapped");
    let (rdata, names) = index_rows(&dirs[0]);
    assert!(!rdata.is_empty() && !names.is_empty());
    assert_eq!(index_rows(&dirs[2]), (rdata, names), "d's indexes");
}

#[test]
fn a_node_that_crashes_in_a_snapshot_bulk_write_resumes_it_and_counts_its_records_right() {
    let tmp = tempfile::tempdir().unwrap();
    let capture = synth_capture(&tmp.path().join("a.pcap"), 200_000, 7, 40_000);
    let teams = [
        TeamSpec::new("cert-a", vec![capture]),
        TeamSpec::new("cert-d", Vec::new()),
    ];
    let mut configs = federation_configs(tmp.path(), &teams, 0.2);
    // d writes what it receives every megabyte: many bulk writes.
    if let Some(r) = configs[1].replication.as_mut() {
        r.snapshot_buffer_mb = 1;
    }
    let d_config = configs.pop().unwrap();
    let a = Daemon::start(configs.pop().unwrap());
    // The capture replayed and its records written.
    let a_status = a.wait_for(T, |s| {
        s["sensors"][0]["running"] == false && s["store"]["records"].as_u64() > Some(0)
    });
    let a_records = a_status["store"]["records"].as_u64().unwrap();
    assert!(a_records > 20_000, "{a_records} records; {a_status}");

    // d starts empty and dies in its second bulk write of snapshot records, after that
    // write's tables and before its last batch (the worst moment).
    let crashed = Daemon::spawn(d_config.clone(), &[("HEARSAY_CRASH_IN_BULK_WRITE", "2")]);
    let status = crashed.wait_exit(T);
    assert!(!status.success(), "d aborted: {status}");

    // Restarted, it resumes and ends with exactly a's records, and counts them right.
    let d = Daemon::start(d_config);
    converge(&[&a, &d], T);
    let d_status = d.status();
    let d_records = d_status["store"]["records"].as_u64().unwrap();
    let resent = d_status["replication"]["peers"][0]["stats"]["snapshot_records_in"]
        .as_u64()
        .unwrap();
    assert!(
        resent < a_records,
        "the snapshot resumed after the first write: {resent} of {a_records} sent again"
    );
    println!("after the crash, {resent} of {a_records} snapshot records were sent again");
    let dirs = [a.data_dir().to_path_buf(), d.data_dir().to_path_buf()];
    a.terminate();
    d.terminate();
    assert_eq!(staged_runs(&dirs[1]), 0, "d's snapshot ended");
    let exports: Vec<Vec<serde_json::Value>> =
        dirs.iter().map(|p| without_nothing(export(p))).collect();
    assert_eq!(exports[0].len() as u64, a_records);
    assert_eq!(exports[0], exports[1], "d bootstrapped after the crash");
    assert_eq!(index_rows(&dirs[0]), index_rows(&dirs[1]), "d's indexes");
    assert_eq!(d_records, a_records, "d's record counters");
}
