//! The live capture benchmark: the import benchmark's synthetic capture replayed onto an
//! interface (loopback by default) at increasing rates, while a real `hearsayd` captures
//! it with a live sensor. Reports, per rate, what the sensor got, what the kernel and the
//! store writer dropped, and hearsayd's peak RSS.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hearsay_capture::FileSource;
use hearsay_gen::synth::{SynthConfig, write_pcap};

use crate::import::sibling;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packets in the synthetic capture (half queries, half responses).
    #[arg(long, default_value_t = 2_000_000)]
    packets: u64,
    /// Replay rates, packets per second.
    #[arg(long, value_delimiter = ',', default_values_t = [50_000u64, 100_000, 200_000, 300_000, 400_000])]
    rates: Vec<u64>,
    /// Seconds of traffic per rate (at most the whole capture).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The interface to replay onto and capture from.
    #[arg(long, default_value = "lo")]
    interface: String,
    /// Also run each rate with the sensor in immediate mode (a packet handed over as it
    /// arrives), the baseline of the default block mode.
    #[arg(long)]
    immediate_baseline: bool,
}

/// What one rate gave.
struct Outcome {
    sent: u64,
    send_rate: f64,
    captured: u64,
    kernel_dropped: u64,
    writer_dropped: u64,
    peak_rss_mib: f64,
}

pub fn run(args: Args) -> Result<()> {
    let hearsayd = sibling("hearsayd")?;
    let hearsay = sibling("hearsay")?;
    let tmp = tempfile::tempdir()?;
    let pcap = tmp.path().join("synth.pcap");
    write_pcap(
        &SynthConfig {
            packets: args.packets,
            ..SynthConfig::default()
        },
        std::io::BufWriter::new(std::fs::File::create(&pcap)?),
    )?;
    let frames = load(&pcap)?;
    println!(
        "capture: {} packets; replaying onto {} for up to {} s per rate",
        frames.len(),
        args.interface,
        args.seconds
    );
    println!(
        "| mode | target pkt/s | sent pkt/s | sent | captured | kernel drops | writer drops | hearsayd peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let modes: &[bool] = if args.immediate_baseline {
        &[false, true]
    } else {
        &[false]
    };
    for &rate in &args.rates {
        let n = (rate * args.seconds).min(frames.len() as u64) as usize;
        for &immediate in modes {
            let o = one_rate(
                &hearsayd,
                &hearsay,
                &args.interface,
                &frames[..n],
                rate,
                immediate,
                tmp.path(),
            )?;
            println!(
                "| {} | {rate} | {:.0} | {} | {} | {} | {} | {:.0} MiB |",
                if immediate { "immediate" } else { "blocks" },
                o.send_rate,
                o.sent,
                o.captured,
                o.kernel_dropped,
                o.writer_dropped,
                o.peak_rss_mib
            );
        }
    }
    Ok(())
}

fn load(pcap: &Path) -> Result<Vec<Vec<u8>>> {
    let mut source = FileSource::open(pcap)?;
    let mut frames = Vec::new();
    while let Some(frame) = source.next_frame() {
        frames.push(frame?.data.to_vec());
    }
    Ok(frames)
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn status(hearsay: &Path, data: &Path) -> Option<serde_json::Value> {
    let out = Command::new(hearsay)
        .arg("--data-dir")
        .arg(data)
        .args(["status", "--json"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).ok())
        .flatten()
}

fn one_rate(
    hearsayd: &Path,
    hearsay: &Path,
    interface: &str,
    frames: &[Vec<u8>],
    rate: u64,
    immediate: bool,
    dir: &Path,
) -> Result<Outcome> {
    let data: PathBuf = dir.join(format!("data-{rate}-{immediate}"));
    let config = dir.join(format!("live-{rate}-{immediate}.toml"));
    std::fs::write(
        &config,
        format!(
            "[node]\norigin = \"live-bench\"\ndata_dir = {data:?}\nflush_interval = 1\n\n\
             [[sensor]]\nname = \"live\"\ninterface = {interface:?}\npromiscuous = false\n\
             immediate = {immediate}\n"
        ),
    )?;
    let child = Command::new(hearsayd)
        .arg("--config")
        .arg(&config)
        .env("HEARSAY_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("starting hearsayd")?;
    let pid = child.id();
    let daemon = Daemon(child);
    let started = Instant::now();
    while status(hearsay, &data).is_none_or(|s| s["sensors"][0]["running"] != true) {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("hearsayd did not start capturing on {interface}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));

    let mut out = pcap::Capture::from_device(interface)
        .and_then(|c| c.open())
        .with_context(|| format!("opening {interface} to send"))?;
    // Paced by the clock: sleep when more than a millisecond ahead, else send (the
    // replayer shares the 2 cores with hearsayd: it must not spin).
    let t0 = Instant::now();
    let mut sent = 0u64;
    for f in frames {
        let due = Duration::from_secs_f64(sent as f64 / rate as f64);
        let now = t0.elapsed();
        if due > now + Duration::from_millis(1) {
            std::thread::sleep(due - now);
        }
        out.sendpacket(f.as_slice())
            .with_context(|| format!("sending on {interface}"))?;
        sent += 1;
    }
    let send_rate = sent as f64 / t0.elapsed().as_secs_f64();
    // Let the sensor drain, flush its window and report.
    std::thread::sleep(Duration::from_secs(3));
    let s = status(hearsay, &data).context("hearsayd stopped answering")?;
    let sensor = &s["sensors"][0];
    let u = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let peak_rss_mib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0;
    drop(daemon);
    Ok(Outcome {
        sent,
        send_rate,
        captured: u(&sensor["frames"]),
        kernel_dropped: u(&sensor["pcap"]["dropped"]) + u(&sensor["pcap"]["if_dropped"]),
        writer_dropped: u(&sensor["ingest"]["writer"]["dropped_records"]),
        peak_rss_mib,
    })
}
