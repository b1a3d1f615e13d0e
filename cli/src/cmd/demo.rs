//! `hearsay demo`: a federation of three CERT teams on loopback, no configuration.
//!
//! Two teams' sensors replay the traffic of the passive DNS paper's examples (as packets
//! through the real capture and parse path); the third team sees none of it. The three
//! nodes replicate over mutually authenticated QUIC with freshly made certificates, and
//! the paper's tables are printed from the third team's node.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use hearsay_gen::frame::Link;
use hearsay_gen::pcap::PcapWriter;
use hearsay_gen::{Packet, paper};
use hearsay_node::federation::{LocalFederation, TeamSpec};
use hearsay_query::{
    Flow, Format, IpMatch, Lookup, NamePattern, Query, RowWriter, TypeFilter, run as run_query,
};
use hearsay_record::RrType;
use hearsay_store::Store;

use crate::args::DemoArgs;

const TEAMS: [&str; 3] = ["cert-a", "cert-b", "cert-c"];

pub fn run(args: DemoArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let tmp;
    let dir = match args.dir {
        Some(d) => {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            d
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    runtime.block_on(demo(&dir))
}

fn write_pcap(path: &Path, packets: &[Packet]) -> Result<()> {
    let file = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    let mut w = PcapWriter::new(file, Link::ethernet().linktype())?;
    for p in packets {
        w.write_packet(p)?;
    }
    w.finish()?;
    Ok(())
}

async fn demo(dir: &Path) -> Result<()> {
    println!("hearsay demo: a federation of three CERT teams on 127.0.0.1\n");
    let scenarios = paper::scenarios()?;
    let split = paper::assign_scenarios(&scenarios, 2)?;
    let mut captures: Vec<Vec<PathBuf>> = Vec::new();
    for (i, packets) in split.iter().enumerate() {
        let path = dir.join(format!("{}-traffic.pcap", TEAMS[i]));
        write_pcap(&path, packets)?;
        println!(
            "  {} sensor replays {} packets of the paper's examples ({})",
            TEAMS[i],
            packets.len(),
            path.display()
        );
        captures.push(vec![path]);
    }
    captures.push(Vec::new());
    println!("  {} sensor sees none of that traffic\n", TEAMS[2]);
    for s in &scenarios {
        println!("  · {:<10} {}", s.name, s.title);
    }
    println!();

    let teams: Vec<TeamSpec> = TEAMS
        .iter()
        .zip(captures)
        .map(|(n, c)| TeamSpec::new(n, c))
        .collect();
    let federation = LocalFederation::start(dir, &teams, 0.2).await?;
    for (name, addr) in federation.names.iter().zip(&federation.addrs) {
        println!("  node {name:<7} QUIC + mutual TLS on {addr}, certificate from its own team CA");
    }
    let took = federation.converge(Duration::from_secs(60)).await?;
    println!("\nconverged in {:.2}s:", took.as_secs_f64());
    for n in &federation.nodes {
        let s = n.status().await;
        let store = s.store.clone();
        let records = store.as_ref().map(|x| x.records).unwrap_or(0);
        let vector: Vec<String> = store
            .map(|x| {
                x.origins
                    .iter()
                    .map(|e| format!("{}:{}", e.origin, e.seq))
                    .collect()
            })
            .unwrap_or_default();
        let captured: u64 = s.sensors.iter().map(|x| x.ingest.writer.new_records).sum();
        println!(
            "  {:<7} {records:>4} records ({captured} from its own sensor), version vector {}",
            s.origin,
            vector.join(" ")
        );
    }

    let store = federation.nodes[2].store().clone();
    let tables = tokio::task::spawn_blocking(move || print_tables(&store))
        .await
        .context("query thread")?;
    federation.shutdown().await;
    tables
}

/// The paper's examples, as queries on the node that saw none of the traffic.
fn print_tables(store: &Store) -> Result<()> {
    let rrset = |name: &str, t: RrType| Lookup::Rrset {
        owner: NamePattern::parse(name, false)
            .unwrap_or(NamePattern::Below(hearsay_record::Name::root())),
        rrtype: TypeFilter::One(t),
        bailiwick: None,
    };
    let ip = |a: &str| IpMatch::parse(a).map(Lookup::RdataIp);
    let examples: Vec<(&str, &str, Lookup)> = vec![
        (
            "What did kimble.org point to, and since when?",
            "hearsay query rrset kimble.org --type A",
            rrset("kimble.org", RrType::A),
        ),
        (
            "The ebay.de delegation, hijacked for a day and a half in August 2004",
            "hearsay query rrset ebay.de --type NS",
            rrset("ebay.de", RrType::NS),
        ),
        (
            "Site Finder: nonexistent .com/.net names resolving to one address",
            "hearsay query rdata ip 64.94.110.11",
            ip("64.94.110.11")?,
        ),
        (
            "Which domains use the name server ns1.m-dns.us?",
            "hearsay query rdata name ns1.m-dns.us",
            Lookup::RdataName {
                name: NamePattern::parse("ns1.m-dns.us", false)?,
                rrtype: TypeFilter::All,
            },
        ),
        (
            "Who claimed to serve com?",
            "hearsay query rrset com --type NS",
            rrset("com", RrType::NS),
        ),
        (
            "Which names pointed at 212.9.189.164?",
            "hearsay query rdata ip 212.9.189.164",
            ip("212.9.189.164")?,
        ),
    ];
    let origin = store.local_origin_name();
    let view = store.view();
    let stdout = std::io::stdout();
    for (question, command, lookup) in examples {
        println!("\n{question}\n  $ {command}      (on {origin})\n");
        let mut w = RowWriter::new(stdout.lock(), Format::Table);
        let mut seen_by = std::collections::BTreeSet::new();
        run_query(&view, &Query::new(lookup), &mut |row| {
            seen_by.extend(row.origins.clone());
            match w.row(&row) {
                Ok(()) => Flow::Continue,
                Err(_) => Flow::Stop,
            }
        })?;
        w.finish()?;
        let seen: Vec<String> = seen_by.into_iter().collect();
        println!(
            "  (seen by {}; {origin} saw none of this traffic itself)",
            seen.join(", ")
        );
    }
    Ok(())
}
