//! The query benchmark on a large store.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use hearsay_query::{Flow, IpMatch, Lookup, NamePattern, Query, TypeFilter, run as run_query};
use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
use hearsay_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::stats::{median, percentile};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Records in the store.
    #[arg(long, default_value_t = 10_000_000)]
    records: u64,
    /// Where the store is kept between runs [default: target/bench-store-RECORDS].
    #[arg(long)]
    store: Option<PathBuf>,
    /// Lookups per measurement round.
    #[arg(long, default_value_t = 20_000)]
    lookups: usize,
    /// Rounds (medians are reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Rows read by the wildcard scan.
    #[arg(long, default_value_t = 1_000_000)]
    scan_rows: u64,
}

const TLDS: [&str; 8] = ["com", "com", "com", "net", "org", "de", "io", "co.uk"];
const HOSTS: [&str; 8] = ["www", "mail", "api", "cdn", "static", "smtp", "ns1", "vpn"];

/// What lookups can ask for: names and addresses known to be in the store.
pub(crate) struct Sample {
    names: Vec<Name>,
    v4: Vec<Ipv4Addr>,
}

fn label(rng: &mut ChaCha8Rng) -> String {
    let len = rng.random_range(5..12);
    (0..len)
        .map(|_| (b'a' + rng.random_range(0..26u8)) as char)
        .collect()
}

/// Builds the store (deterministically) unless it exists; returns names and addresses
/// to look up.
pub(crate) fn build(store: &Store, records: u64) -> Result<Sample> {
    // The generator repeats a key now and then (the store merges them): a store built
    // before holds slightly fewer records than were generated, and must not be fed the
    // same records again.
    let existing = store.stats()?.records;
    let build = existing < records - records / 100;
    if build {
        eprintln!(
            "building a store of {records} records in {} …",
            store.path().display()
        );
    }
    let started = Instant::now();
    let mut batch = Vec::with_capacity(250_000);
    let mut made = 0u64;
    let sample = generate(42, records, &mut |key, s| {
        made += 1;
        if !build {
            return Ok(());
        }
        batch.push((key, s));
        if batch.len() >= 250_000 {
            store.apply_local(std::mem::take(&mut batch))?;
            eprint!(
                "\r{made} records, {:.0}/s   ",
                made as f64 / started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    })?;
    if build {
        store.apply_local(batch)?;
        eprintln!(
            "\rbuilt {made} records in {:.0}s; compacting …",
            started.elapsed().as_secs_f64()
        );
        store.compact()?;
    }
    Ok(sample)
}

/// `records` synthetic records as zones look (a domain with a few hosts and records of
/// mixed types), the same for the same seed, handed to `sink` as store keys.
pub(crate) fn generate(
    seed: u64,
    records: u64,
    sink: &mut dyn FnMut(Vec<u8>, Sighting) -> Result<()>,
) -> Result<Sample> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sample = Sample {
        names: Vec::new(),
        v4: Vec::new(),
    };
    let mut made = 0u64;
    while made < records {
        let domain = format!(
            "{}.{}",
            label(&mut rng),
            TLDS[rng.random_range(0..TLDS.len())]
        );
        let zone = Name::from_presentation(&domain)?;
        // A domain with a few hosts and records, as zones look.
        for _ in 0..rng.random_range(1..8) {
            let host = if rng.random_bool(0.3) {
                domain.clone()
            } else {
                format!("{}.{domain}", HOSTS[rng.random_range(0..HOSTS.len())])
            };
            let name = Name::from_presentation(&host)?;
            let roll: f64 = rng.random();
            let (rrtype, rdata) = if roll < 0.55 {
                let a = Ipv4Addr::from(rng.random::<u32>());
                if sample.v4.len() < 100_000 && rng.random_bool(0.02) {
                    sample.v4.push(a);
                }
                (RrType::A, a.octets().to_vec())
            } else if roll < 0.70 {
                (
                    RrType::AAAA,
                    Ipv6Addr::from(rng.random::<u128>()).octets().to_vec(),
                )
            } else if roll < 0.80 {
                (
                    RrType::CNAME,
                    Name::from_presentation(&format!("{}.cdn.example.net", label(&mut rng)))?
                        .as_wire()
                        .to_vec(),
                )
            } else if roll < 0.87 {
                (
                    RrType::NS,
                    Name::from_presentation(&format!(
                        "ns{}.{}.net",
                        rng.random_range(1..5),
                        label(&mut rng)
                    ))?
                    .as_wire()
                    .to_vec(),
                )
            } else if roll < 0.93 {
                let mut rd = vec![0, 10];
                rd.extend_from_slice(Name::from_presentation(&format!("mx.{domain}"))?.as_wire());
                (RrType::MX, rd)
            } else {
                let text = format!("v=spf1 include:{} ~all", label(&mut rng));
                let mut rd = vec![text.len() as u8];
                rd.extend_from_slice(text.as_bytes());
                (RrType::TXT, rd)
            };
            if sample.names.len() < 100_000 && rng.random_bool(0.02) {
                sample.names.push(name.clone());
            }
            let bailiwick = if rng.random_bool(0.5) {
                Bailiwick::Zone(zone.clone())
            } else {
                Bailiwick::Unknown
            };
            let first = 1_600_000_000 + rng.random_range(0..31_536_000u64);
            let s = Sighting {
                time_first: first,
                time_last: first + rng.random_range(0..8_000_000u64),
                count: rng.random_range(1..1000),
            };
            sink(RecordKey::new(name, rrtype, bailiwick, rdata)?.encode(), s)?;
            made += 1;
        }
    }
    Ok(sample)
}

pub fn run(args: Args) -> Result<()> {
    let dir = args
        .store
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/bench-store-{}", args.records)));
    let store = Store::open(&dir, Default::default())
        .with_context(|| format!("opening {}", dir.display()))?;
    let sample = build(&store, args.records)?;
    let stats = store.stats()?;
    println!(
        "store: {} records, {:.1} bytes/record on disk",
        stats.records,
        stats.disk_bytes as f64 / stats.records.max(1) as f64
    );

    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut results: Vec<[f64; 7]> = Vec::new();
    for round in 0..args.rounds {
        let names: Vec<&Name> = (0..args.lookups)
            .map(|_| &sample.names[rng.random_range(0..sample.names.len())])
            .collect();
        let addrs: Vec<Ipv4Addr> = (0..args.lookups)
            .map(|_| sample.v4[rng.random_range(0..sample.v4.len())])
            .collect();

        // Baseline: raw point reads of a record key (no query semantics).
        let view = store.view();
        let mut raw = Vec::with_capacity(names.len());
        for name in &names {
            let prefix = name.reversed();
            let t = Instant::now();
            let hit = view.records_prefix(&prefix).next().transpose()?;
            raw.push(t.elapsed().as_secs_f64() * 1e6);
            anyhow::ensure!(hit.is_some(), "sampled name {name} not found");
        }
        let rrset = latencies(
            &store,
            names.iter().map(|n| Lookup::Rrset {
                owner: NamePattern::Exact((*n).clone()),
                rrtype: TypeFilter::All,
                bailiwick: None,
            }),
        )?;
        let ip = latencies(
            &store,
            addrs.iter().map(|a| {
                Lookup::RdataIp(IpMatch {
                    first: (*a).into(),
                    last: (*a).into(),
                })
            }),
        )?;
        let (scan_rows, scan_secs) = scan(&store, args.scan_rows)?;
        raw.sort_by(f64::total_cmp);
        let r = [
            percentile(&rrset, 50.0),
            percentile(&rrset, 99.0),
            percentile(&ip, 50.0),
            percentile(&ip, 99.0),
            percentile(&raw, 50.0),
            percentile(&raw, 99.0),
            scan_rows as f64 / scan_secs,
        ];
        println!(
            "round {round}: rrset p50 {:.0}µs p99 {:.0}µs | ip p50 {:.0}µs p99 {:.0}µs | raw read p50 {:.0}µs p99 {:.0}µs | scan {:.0} rows/s",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6]
        );
        results.push(r);
    }
    let m = |i: usize| median(results.iter().map(|r| r[i]).collect());
    println!();
    println!(
        "median of {} rounds, {} lookups each:",
        results.len(),
        args.lookups
    );
    println!(
        "  exact rrset lookup   p50 {:>6.0} µs   p99 {:>6.0} µs",
        m(0),
        m(1)
    );
    println!(
        "  IP lookup            p50 {:>6.0} µs   p99 {:>6.0} µs",
        m(2),
        m(3)
    );
    println!(
        "  baseline raw read    p50 {:>6.0} µs   p99 {:>6.0} µs   (first record of the name, no query semantics)",
        m(4),
        m(5)
    );
    println!("  rrset p99 / raw p99  {:>6.2}", m(1) / m(5));
    println!(
        "  wildcard scan        {:>10.0} rows/s   (*.com, rows decoded and folded)",
        m(6)
    );
    Ok(())
}

/// Per-lookup latency in microseconds, sorted; every lookup must find something.
fn latencies(store: &Store, lookups: impl Iterator<Item = Lookup>) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for lookup in lookups {
        let query = Query::new(lookup);
        let t = Instant::now();
        let view = store.view();
        let mut rows = Vec::new();
        run_query(&view, &query, &mut |row| {
            rows.push(row);
            Flow::Continue
        })?;
        out.push(t.elapsed().as_secs_f64() * 1e6);
        anyhow::ensure!(!rows.is_empty(), "lookup found nothing: {:?}", query.lookup);
    }
    out.sort_by(f64::total_cmp);
    Ok(out)
}

fn scan(store: &Store, rows: u64) -> Result<(u64, f64)> {
    let mut query = Query::new(Lookup::Rrset {
        owner: NamePattern::parse("*.com", false)?,
        rrtype: TypeFilter::All,
        bailiwick: None,
    });
    query.limit = Some(rows);
    let view = store.view();
    let t = Instant::now();
    let mut n = 0u64;
    run_query(&view, &query, &mut |_row| {
        n += 1;
        Flow::Continue
    })?;
    Ok((n, t.elapsed().as_secs_f64()))
}
