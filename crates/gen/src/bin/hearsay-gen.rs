//! `hearsay-gen`: write synthetic DNS traffic to capture files.
//!
//! ```text
//! hearsay-gen synth --packets 2000000 --seed 1 -o bench.pcap
//! hearsay-gen synth --packets 2000000 --transport tcp -o bench-tcp.pcap
//! hearsay-gen paper -o paper.pcap
//! hearsay-gen paper --teams 2 --team 0 -o team0.pcap
//! hearsay-gen paper --list
//! ```

use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use hearsay_gen::Packet;
use hearsay_gen::frame::Link;
use hearsay_gen::paper;
use hearsay_gen::pcap::PcapWriter;
use hearsay_gen::pcapng::PcapngWriter;
use hearsay_gen::synth::{SynthConfig, Transport, write_pcap, write_pcapng};

#[derive(Parser, Debug)]
#[command(
    name = "hearsay-gen",
    version,
    about = "Synthetic DNS traffic as pcap files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The benchmark workload: stub clients asking a few resolvers, Zipf-popular names.
    Synth(SynthArgs),
    /// The examples of Weimer's "Passive DNS Replication" (a reconstruction).
    Paper(PaperArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Pcap,
    Pcapng,
}

#[derive(Parser, Debug)]
struct SynthArgs {
    /// Number of frames (half queries, half responses).
    #[arg(long, default_value_t = 2_000_000)]
    packets: u64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Size of the name population.
    #[arg(long, default_value_t = 100_000)]
    names: usize,
    /// Unix time of the first packet.
    #[arg(long, default_value_t = 1_735_689_600)]
    start: u64,
    /// Seconds the traffic spans.
    #[arg(long, default_value_t = 3600)]
    duration: u64,
    /// Zipf exponent of name popularity.
    #[arg(long, default_value_t = 1.0)]
    zipf: f64,
    /// Share of exchanges over IPv6.
    #[arg(long, default_value_t = 0.25)]
    ipv6_share: f64,
    /// Share of exchanges answered NXDOMAIN.
    #[arg(long, default_value_t = 0.05)]
    nxdomain_share: f64,
    /// How the exchanges travel: `udp`; `fragmented` (every response in IP fragments of 48
    /// bytes of datagram); `tcp` (every exchange on a connection of its own). The same
    /// exchanges in every case: `--packets` counts frames as if over UDP.
    #[arg(long, default_value = "udp")]
    transport: Transport,
    /// Tag every frame with this 802.1Q VLAN id.
    #[arg(long)]
    vlan: Option<u16>,
    /// File format.
    #[arg(long, value_enum, default_value_t = Format::Pcap)]
    format: Format,
    /// Output file ("-" for standard output).
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Parser, Debug)]
struct PaperArgs {
    /// List the scenarios and the queries that show them, then exit.
    #[arg(long)]
    list: bool,
    /// Split the traffic among this many sensors...
    #[arg(long, default_value_t = 1)]
    teams: usize,
    /// ...and write the share of this one (0-based).
    #[arg(long, default_value_t = 0)]
    team: usize,
    /// File format.
    #[arg(long, value_enum, default_value_t = Format::Pcap)]
    format: Format,
    /// Output file ("-" for standard output).
    #[arg(short, long, required_unless_present = "list")]
    output: Option<PathBuf>,
}

fn open(path: &PathBuf) -> io::Result<Box<dyn Write>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(io::stdout().lock()))
    } else {
        Ok(Box::new(File::create(path)?))
    }
}

fn synth(args: SynthArgs) -> Result<(), Box<dyn Error>> {
    let mut link = Link::ethernet();
    if let Some(vlan) = args.vlan {
        link = link.with_vlan(vlan);
    }
    let cfg = SynthConfig {
        packets: args.packets,
        seed: args.seed,
        start_time: args.start,
        duration_secs: args.duration,
        names: args.names,
        zipf_s: args.zipf,
        ipv6_share: args.ipv6_share,
        nxdomain_share: args.nxdomain_share,
        link,
        transport: args.transport,
        ..SynthConfig::default()
    };
    let out = open(&args.output)?;
    let started = Instant::now();
    let stats = match args.format {
        Format::Pcap => write_pcap(&cfg, out)?,
        Format::Pcapng => write_pcapng(&cfg, out)?,
    };
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} packets ({} queries, {} responses, {} NXDOMAIN, {} NODATA, {} over IPv6; \
         {} fragments, {} TCP segments in {} connections), \
         {} distinct responses, {:.1} MB in {:.2} s: {:.2} M packets/s",
        stats.packets,
        stats.queries,
        stats.responses,
        stats.nxdomain,
        stats.nodata,
        stats.ipv6_packets,
        stats.fragments,
        stats.tcp_segments,
        stats.tcp_connections,
        stats.distinct_responses,
        stats.frame_bytes as f64 / 1e6,
        secs,
        stats.packets as f64 / secs.max(1e-9) / 1e6,
    );
    Ok(())
}

fn paper(args: PaperArgs) -> Result<(), Box<dyn Error>> {
    let scenarios = paper::scenarios()?;
    if args.list {
        for s in &scenarios {
            println!("{} — {} ({} exchanges)", s.name, s.title, s.exchanges.len());
            println!("    {}", s.description);
            for q in &s.queries {
                println!("    hearsay {q}");
            }
        }
        return Ok(());
    }
    if args.team >= args.teams {
        return Err(format!("--team {} is not below --teams {}", args.team, args.teams).into());
    }
    let packets: Vec<Packet> = if args.teams == 1 {
        let mut all = Vec::new();
        for s in &scenarios {
            all.extend(paper::frames(s)?);
        }
        all.sort_by_key(|p| p.ts);
        all
    } else {
        paper::assign_scenarios(&scenarios, args.teams)?
            .into_iter()
            .nth(args.team)
            .unwrap_or_default()
    };
    let Some(path) = args.output else {
        return Err("--output is required".into());
    };
    let out = BufWriter::new(open(&path)?);
    let linktype = Link::ethernet().linktype();
    match args.format {
        Format::Pcap => {
            let mut w = PcapWriter::new(out, linktype)?;
            for p in &packets {
                w.write_packet(p)?;
            }
            w.finish()?;
        }
        Format::Pcapng => {
            let mut w = PcapngWriter::new(out, linktype)?;
            for p in &packets {
                w.write_packet(p)?;
            }
            w.finish()?;
        }
    }
    eprintln!("{} packets written to {}", packets.len(), path.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Synth(args) => synth(args),
        Command::Paper(args) => paper(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearsay-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
