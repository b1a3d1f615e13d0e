//! The replication benchmarks: two hearsayd nodes (in process, real QUIC with real
//! certificates on 127.0.0.1) for snapshot bootstrap, catch-up and live push, and the
//! sync engine alone in lockstep for the round trips a catch-up costs before data flows.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hearsay_node::Node;
use hearsay_node::config::Config;
use hearsay_node::federation::{TeamSpec, make_certificates, team_config};
use hearsay_record::Sighting;
use hearsay_store::Store;
use hearsay_sync::message::FrameReader;
use hearsay_sync::{PeerPolicy, Replicator, SyncConfig, WireEntry};

use crate::stats::median;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Records in the store a new node bootstraps from.
    #[arg(long, default_value_t = 10_000_000)]
    records: u64,
    /// Where that store is kept between runs [default: target/bench-store-RECORDS, the
    /// query benchmark's store].
    #[arg(long)]
    store: Option<PathBuf>,
    /// Records both nodes hold before the catch-up and live-push runs.
    #[arg(long, default_value_t = 200_000)]
    base: u64,
    /// Runs of each measurement (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Only the snapshot bootstrap (and its engine-only baseline).
    #[arg(long)]
    snapshot_only: bool,
    /// Only the snapshot bootstrap on the sync engines alone (no QUIC run): for profiling.
    #[arg(long)]
    engine_only: bool,
    /// During each bootstrap, B also writes a window of 10,000 new local records every
    /// second, as a capture does, and the time each write takes is reported: how long a
    /// sensor's writes wait while the node bootstraps.
    #[arg(long)]
    local_writes: bool,
}

const A: &str = "bench-a";
const B: &str = "bench-b";
/// Bytes of the QUIC-alone reference transfer before each bootstrap.
const QUIC_ALONE_BYTES: u64 = 2 << 30;

/// Two partners' configs in `dir`: A serves `a_data`, B starts in `dir/bench-b`.
fn configs(dir: &Path, a_data: &Path) -> Result<(Config, Config)> {
    // B shares nothing with A: A serves the benchmark's store, which B's own records
    // (`--local-writes`) must not grow.
    let mut b = TeamSpec::new(B, Vec::new());
    b.withhold = vec![(A.to_owned(), vec![".".to_owned()])];
    let teams = [TeamSpec::new(A, Vec::new()), b];
    make_certificates(dir, &teams)?;
    let a_port = free_port()?;
    let mut a = team_config(dir, &teams, 0, &[None, None], 0.2);
    let mut b = team_config(dir, &teams, 1, &[Some(a_port), None], 0.2);
    a.node.data_dir = a_data.to_path_buf();
    if let Some(r) = a.replication.as_mut() {
        r.listen = a_port;
    }
    if let Some(r) = b.replication.as_mut() {
        r.listen = free_port()?;
    }
    Ok((a, b))
}

/// CPU time per thread name (user + system), from `/proc/self/task/*/stat`: which
/// engine, the storage engine's workers, the network.
fn cpu_by_thread() -> std::collections::BTreeMap<String, Duration> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        if let Some((name, cpu)) = read_stat(&task.path().join("stat")) {
            *out.entry(name).or_default() += cpu;
        }
    }
    out
}

/// CPU time this process has used (user + system), from `/proc/self/stat`.
pub(crate) fn cpu_time() -> Duration {
    read_stat(Path::new("/proc/self/stat")).map_or(Duration::ZERO, |(_, cpu)| cpu)
}

/// A `/proc` stat file's command name and CPU time (user + system).
fn read_stat(path: &Path) -> Option<(String, Duration)> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name, which may hold spaces, is in parentheses; fields follow.
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // The kernel reports in USER_HZ, 100 on Linux.
    Some((
        stat[open + 1..close].to_string(),
        Duration::from_millis(ticks * 10),
    ))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn free_port() -> Result<std::net::SocketAddr> {
    Ok(std::net::UdpSocket::bind("127.0.0.1:0")?.local_addr()?)
}

/// An origin's seq in a node's vector (read from the store directly: the node's status
/// also measures the disk, too dear to poll).
async fn seq_of(node: &Node, origin: &str) -> u64 {
    node.store()
        .version_vector_named()
        .into_iter()
        .find(|e| e.origin == origin)
        .map_or(0, |e| e.seq)
}

/// UDP bytes B received from and sent to A on the current link.
async fn udp_bytes(b: &Node) -> (u64, u64) {
    let status = b.status().await;
    let peer = status
        .replication
        .and_then(|r| r.peers.into_iter().find(|p| p.status.name == A));
    peer.map_or((0, 0), |p| {
        (p.udp_bytes_in.unwrap_or(0), p.udp_bytes_out.unwrap_or(0))
    })
}

/// Waits until B holds A's origin up to `seq`; returns how long that took.
async fn until_caught_up(b: &Node, seq: u64, limit: Duration) -> Result<Duration> {
    let started = Instant::now();
    while seq_of(b, A).await < seq {
        if started.elapsed() > limit {
            bail!("B did not catch up with A (seq {seq}) within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(started.elapsed())
}

/// Waits until B's storage engine has finished the flushes and compactions the
/// bootstrap left behind (idle at three polls in a row, 50 ms apart); returns how long
/// that took, up to the first of those polls. Blocks.
fn until_settled(store: &Store) -> Duration {
    let started = Instant::now();
    let mut idle_since: Option<Duration> = None;
    let mut idle = 0;
    while idle < 3 {
        if store.maintenance_running() {
            (idle, idle_since) = (0, None);
        } else {
            idle += 1;
            idle_since.get_or_insert(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    idle_since.unwrap_or_default()
}

/// A capture's writes beside a bootstrap: a window of new local records every second.
struct LocalWrites {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Result<Vec<Duration>>>,
}

impl LocalWrites {
    const EVERY: Duration = Duration::from_secs(1);
    const RECORDS: u64 = 10_000;

    fn start(store: Arc<Store>, seed: u64) -> LocalWrites {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut waits = Vec::new();
            for k in 0.. {
                let next = Instant::now() + Self::EVERY;
                if flag.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let window = fresh_records(50_000 + 1000 * seed + k, Self::RECORDS)?;
                let started = Instant::now();
                store.apply_local(window)?;
                waits.push(started.elapsed());
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            Ok(waits)
        });
        LocalWrites { stop, thread }
    }

    /// Stops the writes; the time each took.
    fn stop(self) -> Result<Vec<Duration>> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the local writer panicked"))?
    }

    fn summary(waits: Vec<Duration>) -> String {
        let ms: Vec<f64> = waits.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let max = ms.iter().copied().fold(0.0, f64::max);
        format!(
            "local writes during the bootstrap: {} windows of {} records, median {:.0} ms, max {max:.0} ms",
            ms.len(),
            Self::RECORDS,
            median(ms.clone())
        )
    }
}

/// About `n` new records like the store's (the query benchmark's generator with another
/// seed: random names, so practically distinct from everything else).
fn fresh_records(seed: u64, n: u64) -> Result<Vec<(Vec<u8>, Sighting)>> {
    let mut records = Vec::new();
    crate::query::generate(seed, n, &mut |key, s| {
        records.push((key, s));
        Ok(())
    })?;
    Ok(records)
}

/// The compressed size of `keys`' entries of origin A in `store`, in batches as the
/// protocol sends them: the yardstick for catch-up and live push.
fn compressed_size(store: &Store, keys: &[Vec<u8>], batch: usize) -> Result<u64> {
    let view = store.view();
    let a = store.origin_id(A)?;
    let mut entries = Vec::new();
    for key in keys {
        let Some(value) = view.get(key)? else {
            bail!("a fresh record is missing from A's store");
        };
        if let Some((_, entry)) = value.entries().iter().find(|(id, _)| *id == a) {
            entries.push(WireEntry {
                key: key.clone(),
                origin: A.into(),
                entry: *entry,
            });
        }
    }
    let mut total = 0u64;
    for chunk in entries.chunks_mut(batch) {
        total += hearsay_sync::batch::encode(chunk)?.len() as u64;
    }
    Ok(total)
}

pub fn run(args: Args) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let source = args
        .store
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/bench-store-{}", args.records)));
    {
        let store = Store::open(&source, Default::default())
            .with_context(|| format!("opening {}", source.display()))?;
        crate::query::build(&store, args.records)?;
    }
    let batch = SyncConfig::new(Vec::new()).batch_entries;

    let mut snap = Vec::new();
    let mut engine = Vec::new();
    let mut quic = Vec::new();
    // Each bootstrap's records/s per GB/s of the QUIC-alone run before it.
    let mut per_quic = Vec::new();
    for run in 0..args.runs {
        if !args.engine_only {
            let q = crate::quic::measure(&rt, QUIC_ALONE_BYTES)?;
            println!(
                "reference run {run}: QUIC alone (two transports, one link, {} MiB): {:.0} MB/s, {:.2} CPU s per GB",
                QUIC_ALONE_BYTES >> 20,
                q.bytes_per_sec / 1e6,
                q.cpu_per_gb
            );
            quic.push(q.bytes_per_sec);
        }
        let tmp = tempfile::tempdir()?;
        let cpu = cpu_time();
        let (records, took) = engine_snapshot(&source, tmp.path())?;
        let cpu = cpu_time().saturating_sub(cpu).as_secs_f64();
        let secs = took.as_secs_f64();
        println!(
            "baseline run {run}: the sync engine alone (lockstep, no network): {records} records in {secs:.1}s: {:.0} records/s, {:.2} CPU s per million",
            records as f64 / secs,
            cpu * 1e6 / records as f64
        );
        engine.push(records as f64 / secs);
        if args.engine_only {
            continue;
        }
        let tmp = tempfile::tempdir()?;
        let (a, b) = configs(tmp.path(), &source)?;
        let mut cpu = Duration::ZERO;
        let mut threads = std::collections::BTreeMap::new();
        let r = rt.block_on(async {
            let a = Node::start(a).await?;
            let target = seq_of(&a, A).await;
            let records = a.store().stats()?.records;
            let b = Node::start(b).await?;
            cpu = cpu_time();
            threads = cpu_by_thread();
            let writes = args
                .local_writes
                .then(|| LocalWrites::start(b.store().clone(), run as u64));
            let took = until_caught_up(&b, target, Duration::from_secs(3600)).await?;
            let store = b.store().clone();
            let settled = took + tokio::task::spawn_blocking(move || until_settled(&store)).await?;
            if let Some(w) = writes {
                let waits = tokio::task::spawn_blocking(move || w.stop()).await??;
                println!("  {}", LocalWrites::summary(waits));
            }
            let l0 = b.store().first_level_tables();
            cpu = cpu_time().saturating_sub(cpu);
            let after = cpu_by_thread();
            for (name, t) in threads.iter_mut() {
                *t = after
                    .get(name)
                    .copied()
                    .unwrap_or_default()
                    .saturating_sub(*t);
            }
            for (name, t) in after {
                threads.entry(name).or_insert(t);
            }
            let (rx, tx) = udp_bytes(&b).await;
            b.shutdown().await;
            a.shutdown().await;
            anyhow::Ok((records, took, settled, l0, rx + tx))
        })?;
        let (records, took, settled, l0, wire) = r;
        let secs = settled.as_secs_f64();
        println!(
            "snapshot run {run}: {records} records in {:.1}s, compactions done {secs:.1}s: {:.0} records/s ({:.0}/s until the vector), {:.1} MB/s on the wire ({:.1} bytes/record), {:.2} CPU s per million ({:.0}% of {} cores)",
            took.as_secs_f64(),
            records as f64 / secs,
            records as f64 / took.as_secs_f64(),
            wire as f64 / secs / 1e6,
            wire as f64 / records as f64,
            cpu.as_secs_f64() * 1e6 / records as f64,
            cpu.as_secs_f64() / secs * 100.0 / cores() as f64,
            cores()
        );
        // Per thread name, in CPU seconds per million records.
        let mut by_name: Vec<(String, f64)> = threads
            .into_iter()
            .map(|(n, t)| (n, t.as_secs_f64() * 1e6 / records as f64))
            .filter(|(_, s)| *s >= 0.01)
            .collect();
        by_name.sort_by(|a, b| b.1.total_cmp(&a.1));
        let listed: f64 = by_name.iter().map(|(_, s)| s).sum();
        let mut parts: Vec<String> = by_name.iter().map(|(n, s)| format!("{n} {s:.2}")).collect();
        // Threads that ended during the run (the bulk writes' helpers) are no longer listed.
        parts.push(format!(
            "threads that ended {:.2}",
            (cpu.as_secs_f64() * 1e6 / records as f64 - listed).max(0.0)
        ));
        println!("  CPU s per million by thread: {}", parts.join(", "));
        println!(
            "  first-level tables left (records, rdata, names, log): {:?}",
            l0
        );
        snap.push((records as f64 / secs, wire as f64 / secs / 1e6));
        if let Some(q) = quic.last() {
            let per_gbs = records as f64 / secs * 1e9 / q;
            println!(
                "  against QUIC alone just before: {per_gbs:.0} records/s per GB/s it moved (the target, 1M records/s where QUIC alone moves ~1 GB/s: {:.2}x)",
                per_gbs / 1e6
            );
            per_quic.push(per_gbs);
        }
    }

    let m = median;
    let engine_rate = m(engine.clone());
    if args.engine_only {
        println!(
            "snapshot median of {} runs: {engine_rate:.0} records/s engine alone",
            args.runs
        );
        return Ok(());
    }
    let snap_rate = m(snap.iter().map(|s| s.0).collect());
    println!(
        "snapshot median of {} runs: {snap_rate:.0} records/s over QUIC, {engine_rate:.0} records/s engine alone (QUIC / engine {:.2}); QUIC alone {:.0} MB/s; {:.0} records/s per GB/s QUIC alone moves",
        args.runs,
        snap_rate / engine_rate,
        m(quic) / 1e6,
        m(per_quic)
    );
    if args.snapshot_only {
        return Ok(());
    }
    let mut catchup = Vec::new();
    let mut live = Vec::new();
    for run in 0..args.runs {
        let tmp = tempfile::tempdir()?;
        let a_data = tmp.path().join("a-data");
        {
            let store = Store::open(&a_data, Default::default())?;
            crate::query::build(&store, args.base)?;
        }
        let (a_config, b_config) = configs(tmp.path(), &a_data)?;
        let r = rt.block_on(async {
            let a = Node::start(a_config).await?;
            let b = Node::start(b_config.clone()).await?;
            until_caught_up(&b, seq_of(&a, A).await, Duration::from_secs(600)).await?;
            b.shutdown().await;

            // 1% missed while B was down.
            let missed = fresh_records(1000 + run as u64, args.base / 100)?;
            let keys: Vec<Vec<u8>> = missed.iter().map(|(k, _)| k.clone()).collect();
            let missed_count = keys.len() as u64;
            let store = a.store().clone();
            tokio::task::spawn_blocking(move || store.apply_local(missed)).await??;
            let store = a.store().clone();
            let yardstick =
                tokio::task::spawn_blocking(move || compressed_size(&store, &keys, batch))
                    .await??;
            let b = Node::start(b_config).await?;
            until_caught_up(&b, seq_of(&a, A).await, Duration::from_secs(600)).await?;
            let (rx, tx) = udp_bytes(&b).await;
            let catchup = (rx + tx, yardstick, missed_count);

            // Live push: A ingests 1,000 new records every 50 ms for 10 s.
            let before = udp_bytes(&b).await;
            let mut pushed = Vec::new();
            for k in 0..200 {
                let recs = fresh_records(10_000 + 1000 * run as u64 + k, 1000)?;
                pushed.push(recs.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>());
                let store = a.store().clone();
                tokio::task::spawn_blocking(move || store.apply_local(recs)).await??;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            until_caught_up(&b, seq_of(&a, A).await, Duration::from_secs(600)).await?;
            // Let the last acknowledgments cross.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let after = udp_bytes(&b).await;
            let store = a.store().clone();
            let pushed: Vec<Vec<u8>> = pushed.into_iter().flatten().collect();
            let live_yardstick =
                tokio::task::spawn_blocking(move || compressed_size(&store, &pushed, batch))
                    .await??;
            let wire = (after.0 + after.1).saturating_sub(before.0 + before.1);
            b.shutdown().await;
            a.shutdown().await;
            anyhow::Ok((catchup, (wire, live_yardstick)))
        })?;
        let ((c_wire, c_comp, c_n), (l_wire, l_comp)) = r;
        let trips = lockstep_round_trips(tmp.path(), args.base.min(20_000))?;
        println!(
            "catch-up run {run}: {c_n} missed records: {c_wire} bytes on the wire for {c_comp} compressed ({:.2}x, {:.1} bytes/record); {trips} round trip(s) before data flows (sync engine in lockstep)",
            c_wire as f64 / c_comp as f64,
            c_wire as f64 / c_n as f64
        );
        println!(
            "live push run {run}: 200,000 records: {l_wire} bytes on the wire for {l_comp} compressed ({:.3}x)",
            l_wire as f64 / l_comp as f64
        );
        catchup.push((c_wire as f64 / c_comp as f64, trips as f64));
        live.push(l_wire as f64 / l_comp as f64);
    }

    println!();
    println!(
        "median of {} runs: snapshot {:.0} records/s ({:.1} MB/s); catch-up {:.2}x compressed, {} round trip(s); live push {:.3}x compressed",
        args.runs,
        m(snap.iter().map(|s| s.0).collect()),
        m(snap.iter().map(|s| s.1).collect()),
        m(catchup.iter().map(|c| c.0).collect()),
        m(catchup.iter().map(|c| c.1).collect()),
        m(live.clone()),
    );
    Ok(())
}

/// The snapshot bootstrap on the sync engine alone: A's store and a fresh store for B,
/// frames handed over in lockstep on this thread, no network, no encryption. The
/// baseline of the QUIC run: what the engine and the stores cost by themselves, until
/// B's storage engine has compacted what the bootstrap wrote.
pub fn engine_snapshot(source: &Path, dir: &Path) -> Result<(u64, Duration)> {
    let a_store = Arc::new(Store::open(source, Default::default())?);
    let origin = a_store.local_origin_name();
    let target = a_store
        .version_vector_named()
        .into_iter()
        .find(|e| e.origin == origin)
        .map_or(0, |e| e.seq);
    let records = a_store.stats()?.records;
    let b_store = Arc::new(Store::open(&dir.join("engine-b"), Default::default())?);
    b_store.set_local_origin_name(B)?;
    let mut a = Replicator::new(a_store, SyncConfig::new(vec![PeerPolicy::open(B)]))?;
    // As in a node: B writes the snapshot's batches in the background.
    let mut b = Replicator::new(
        hearsay_node::write_behind::WriteBehind::new(b_store.clone()),
        SyncConfig::new(vec![PeerPolicy::open(&origin)]),
    )?;
    let started = Instant::now();
    let now = Duration::ZERO;
    a.open(1, B, now)?;
    b.open(1, &origin, now)?;
    let has = |s: &Store| {
        s.version_vector_named()
            .into_iter()
            .find(|e| e.origin == origin)
            .map_or(0, |e| e.seq)
    };
    while has(&b_store) < target {
        let moved = flight(&mut a, &mut b, 1, now)?.0 + flight(&mut b, &mut a, 1, now)?.0;
        if moved == 0 {
            bail!("the engines stopped before B had A's records");
        }
    }
    until_settled(&b_store);
    Ok((records, started.elapsed()))
}

/// Round trips before entries flow in a catch-up, counted on the sync engine alone
/// (two real stores, frames handed over in lockstep flights): B held everything, went
/// away, A got 1% more; B comes back. A flight is everything one side sends in reply to
/// the other's last flight; two flights make a round trip.
fn lockstep_round_trips(dir: &Path, base: u64) -> Result<u64> {
    let a_store = Arc::new(Store::open(&dir.join("lock-a"), Default::default())?);
    a_store.set_local_origin_name(A)?;
    crate::query::build(&a_store, base)?;
    let b_store = Arc::new(Store::open(&dir.join("lock-b"), Default::default())?);
    b_store.set_local_origin_name(B)?;
    let mut a = Replicator::new(a_store.clone(), SyncConfig::new(vec![PeerPolicy::open(B)]))?;
    let mut b = Replicator::new(b_store, SyncConfig::new(vec![PeerPolicy::open(A)]))?;
    let mut now = Duration::ZERO;
    a.open(1, B, now)?;
    b.open(1, A, now)?;
    // Sync fully.
    loop {
        let moved = flight(&mut a, &mut b, 1, now)?.0 + flight(&mut b, &mut a, 1, now)?.0;
        now += Duration::from_millis(100);
        if moved == 0 && a.poll_timeout().is_none() && b.poll_timeout().is_none() {
            break;
        }
    }
    a.close(1);
    b.close(1);
    a_store.apply_local(fresh_records(7, base / 100)?)?;
    // Reconnect: count flights until B receives entries.
    a.open(2, B, now)?;
    b.open(2, A, now)?;
    let mut flights = 0u64;
    for _ in 0..20 {
        // B speaks first (it dialed), then A answers.
        let (_, _) = flight(&mut b, &mut a, 2, now)?;
        flights += 1;
        let (_, entries) = flight(&mut a, &mut b, 2, now)?;
        flights += 1;
        if entries {
            return Ok(flights.div_ceil(2));
        }
        now += Duration::from_millis(100);
    }
    bail!("no entries reached B in 20 flights")
}

/// Hands everything `from` has to send on `conn` to `to`; returns the bytes moved and
/// whether any frame carried entries.
fn flight<R1: hearsay_sync::Replica, R2: hearsay_sync::Replica>(
    from: &mut Replicator<R1>,
    to: &mut Replicator<R2>,
    conn: u64,
    now: Duration,
) -> Result<(u64, bool)> {
    let mut moved = 0;
    let mut entries = false;
    let mut frames = Vec::new();
    while let Some(f) = from.poll_transmit(conn, now)? {
        frames.push(f);
    }
    for f in frames {
        moved += f.len() as u64;
        let mut reader = FrameReader::new();
        reader.push(&f);
        while let Some(m) = reader.next_message()? {
            entries |= m.kind() == "entries";
        }
        to.handle(conn, &f, now)?;
    }
    Ok((moved, entries))
}
