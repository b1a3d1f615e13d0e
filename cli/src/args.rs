//! The command-line interface (the product's UI: keep it stable).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// hearsay: a federated passive DNS database.
///
/// Capture files go in with `import`; `query` answers "what did this name point to, and
/// since when?" (rrset) and "which names pointed here?" (rdata).
#[derive(Debug, Parser)]
#[command(name = "hearsay", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The node's data directory [default: $HEARSAY_DATA_DIR, else the per-user data
    /// directory, e.g. ~/.local/share/hearsay].
    #[arg(long, global = true, env = "HEARSAY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import pcap or pcapng capture files.
    Import(ImportArgs),
    /// Look up records.
    #[command(subcommand)]
    Query(QueryKind),
    /// Summarise the records a lookup matches: how many, total count, first and last seen.
    #[command(subcommand)]
    Summarize(QueryKind),
    /// Write every record, streamed in key order.
    Export(ExportArgs),
    /// Record counts by type, origins and their sequence numbers, disk size.
    Stats(StatsArgs),
    /// Flush and fully compact the store (maintenance: reclaims the space of superseded
    /// versions and the journal; the store also compacts in the background).
    Compact,
    /// A running node's sensors, store and replication (from its admin socket).
    Status(StatusArgs),
    /// A running node's partners: link state, version vectors, lag, bytes.
    Peers(StatusArgs),
    /// Three CERT teams' nodes on loopback replicating the paper's examples: no config.
    Demo(DemoArgs),
    /// Make a federation's certificates: a CA, node certificates, fingerprints.
    #[command(subcommand)]
    Certs(CertsCommand),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the node's JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the federation's files (certificates, configs, stores) in this directory
    /// instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Capture files (pcap or pcapng).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seconds between writes of the aggregation window to the store (repeats within a
    /// window cost one write; a crash loses at most one window).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub flush_interval: f64,
    /// Where the capture was taken: below the resolver (bailiwick unknown) or above it
    /// (bailiwick from the zone cuts learned from referrals, out-of-zone records dropped).
    #[arg(long, value_enum, default_value = "below")]
    pub placement: PlacementArg,
    /// Drop responses that answer no query in the capture (for captures of both
    /// directions; a spoofing defence).
    #[arg(long)]
    pub require_query: bool,
    /// Also keep names answered NXDOMAIN (see `hearsay query nxdomain`).
    #[arg(long)]
    pub nxdomain: bool,
    /// Ports that carry DNS, UDP and TCP (repeat for several; DNS on other ports is
    /// counted as `not_dns_port` and skipped).
    #[arg(long = "dns-port", value_name = "PORT", default_value = "53")]
    pub dns_ports: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlacementArg {
    /// Between the resolver and its clients.
    Below,
    /// Between the resolver and the authoritative servers.
    Above,
}

#[derive(Debug, Subcommand)]
pub enum QueryKind {
    /// By owner name: NAME, *.NAME (its subdomains), or NAME --subdomains (both).
    Rrset(RrsetArgs),
    /// By rdata: an address, a target name, or raw bytes.
    #[command(subcommand)]
    Rdata(RdataKind),
    /// Names answered NXDOMAIN (kept when sensors or imports track them).
    Nxdomain(RrsetArgs),
}

#[derive(Debug, Args)]
pub struct RrsetArgs {
    /// Owner name, e.g. www.example.com or *.example.com.
    pub name: String,
    /// Include the name's subdomains.
    #[arg(long)]
    pub subdomains: bool,
    /// Only records served from this zone.
    #[arg(long, value_name = "ZONE")]
    pub bailiwick: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum RdataKind {
    /// A/AAAA records pointing into ADDR, a CIDR network or a range FIRST-LAST.
    Ip {
        /// 192.0.2.1, 192.0.2.0/24, 2001:db8::/32 or 192.0.2.1-192.0.2.9.
        #[arg(value_name = "ADDR|CIDR")]
        addr: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Records whose rdata names NAME (NS, CNAME, MX, PTR, SRV, SOA, … targets); *.NAME for the names below it.
    Name {
        /// Target name, e.g. ns1.example.net or *.example.net.
        name: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Records whose rdata is exactly these bytes (hex).
    Raw {
        /// Rdata in hex, e.g. c0000201.
        hex: String,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// Options every lookup takes.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Record type (A, NS, TYPE65280, …; ANY = all but DNSSEC; ANY-DNSSEC).
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub rrtype: Option<String>,
    /// Only records first seen at or after TIME (epoch seconds, RFC 3339, or relative like -7d).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub time_first_after: Option<String>,
    /// Only records first seen at or before TIME.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub time_first_before: Option<String>,
    /// Only records last seen at or after TIME.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub time_last_after: Option<String>,
    /// Only records last seen at or before TIME.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub time_last_before: Option<String>,
    /// At most N results.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Skip the first N results.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: u64,
    /// Output format [default: table on a terminal, else json].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns: first seen, last seen, count, name, type, data (UTC).
    Table,
    /// One JSON object per line (Passive DNS Common Output Format).
    Json,
    /// Comma-separated values with a header.
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// json (COF lines) or csv.
    #[arg(long, value_enum, default_value = "json")]
    pub format: ExportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One COF JSON object per line.
    Json,
    /// Comma-separated values with a header.
    Csv,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Create a certificate authority: writes DIR/ca.pem and DIR/ca.key (mode 0600).
    Ca(CertsCaArgs),
    /// Issue a node certificate for an origin, signed by a CA: writes DIR/node.pem
    /// (the certificate, then the CA's) and DIR/node.key (mode 0600).
    Node(CertsNodeArgs),
    /// Print the SHA-256 fingerprint partners pin (sha256:<hex>) of a certificate file.
    Fingerprint(CertsFingerprintArgs),
}

#[derive(Debug, Args)]
pub struct CertsCaArgs {
    /// The CA's name (its certificate's common name), e.g. "CERT-A hearsay CA".
    #[arg(long)]
    pub name: String,
    /// Directory to write ca.pem and ca.key to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Validity in days.
    #[arg(long, value_name = "N", default_value_t = 3650)]
    pub days: i64,
    /// Overwrite an existing ca.pem/ca.key.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CertsNodeArgs {
    /// Directory holding the CA's ca.pem and ca.key.
    #[arg(long, value_name = "DIR")]
    pub ca: PathBuf,
    /// The origin name the node speaks for (1-64 characters of a-z 0-9 . - _).
    #[arg(long)]
    pub origin: String,
    /// Directory to write node.pem and node.key to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Validity in days (never beyond the CA's).
    #[arg(long, value_name = "N", default_value_t = 825)]
    pub days: i64,
    /// Overwrite an existing node.pem/node.key.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CertsFingerprintArgs {
    /// A certificate file, PEM (its first certificate counts) or DER.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}
