//! `hearsay status` and `hearsay peers`: ask a running node over its admin socket.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::args::StatusArgs;

fn ask(data_dir: &Path) -> Result<Value> {
    let path = hearsay_node::admin::socket_path(data_dir);
    let mut stream = UnixStream::connect(&path).with_context(|| {
        format!(
            "no running node answers on {} (is hearsayd running with this --data-dir?)",
            path.display()
        )
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(b"status\n")?;
    let mut text = String::new();
    for line in BufReader::new(stream).lines() {
        text.push_str(&line?);
        text.push('\n');
    }
    serde_json::from_str(&text).with_context(|| format!("bad answer from {}", path.display()))
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

pub fn status(data_dir: &Path, args: StatusArgs) -> Result<()> {
    let s = ask(data_dir)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!(
        "node       {} (hearsayd {}), up {:.0}s",
        s["origin"].as_str().unwrap_or("?"),
        s["version"].as_str().unwrap_or("?"),
        s["uptime_secs"].as_f64().unwrap_or(0.0)
    );
    println!("data dir   {}", s["data_dir"].as_str().unwrap_or("?"));
    if let Some(store) = s.get("store").filter(|v| !v.is_null()) {
        println!(
            "records    {} ({} bytes on disk)",
            n(&store["records"]),
            n(&store["disk_bytes"])
        );
    }
    for sensor in s["sensors"].as_array().into_iter().flatten() {
        let ing = &sensor["ingest"];
        let p = &ing["parse"];
        let malformed: u64 = p["malformed"]
            .as_object()
            .map(|m| m.values().map(n).sum())
            .unwrap_or(0);
        println!(
            "sensor     {} ({} {}): {} — {} packets, {} responses, {} records ({} new), {} malformed",
            sensor["name"].as_str().unwrap_or("?"),
            sensor["kind"].as_str().unwrap_or("?"),
            sensor["source"].as_str().unwrap_or("?"),
            if sensor["running"].as_bool() == Some(true) {
                "running"
            } else {
                "stopped"
            },
            n(&sensor["frames"]),
            n(&p["responses"]),
            n(&p["records"]),
            n(&ing["writer"]["new_records"]),
            malformed,
        );
        if let Some(pcap) = sensor.get("pcap").filter(|v| !v.is_null()) {
            println!(
                "           kernel: {} received, {} dropped, {} dropped by the interface",
                n(&pcap["received"]),
                n(&pcap["dropped"]),
                n(&pcap["if_dropped"])
            );
        }
        let w = &ing["writer"];
        if n(&w["dropped_batches"]) > 0 || n(&w["errors"]) > 0 {
            println!(
                "           writer: {} windows dropped ({} records), {} errors",
                n(&w["dropped_batches"]),
                n(&w["dropped_records"]),
                n(&w["errors"])
            );
        }
        if let Some(err) = sensor["error"].as_str() {
            println!("           error: {err}");
        }
    }
    if let Some(r) = s.get("replication").filter(|v| !v.is_null()) {
        let up = r["peers"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter(|x| x["connected"].as_bool() == Some(true))
                    .count()
            })
            .unwrap_or(0);
        let total = r["peers"].as_array().map(Vec::len).unwrap_or(0);
        println!(
            "peers      {up}/{total} connected, listening on {} (see `hearsay peers`)",
            r["listen"].as_str().unwrap_or("?")
        );
    }
    if let Some(a) = s.get("api").filter(|v| !v.is_null()) {
        let st = &a["stats"];
        println!(
            "api        {}://{}: {} requests, {} queries ({} running), {} rows",
            if a["tls"].as_bool() == Some(true) {
                "https"
            } else {
                "http"
            },
            a["listen"].as_str().unwrap_or("?"),
            n(&st["requests"]),
            n(&st["queries"]),
            n(&st["running"]),
            n(&st["rows"]),
        );
        println!(
            "           refused {} (limits), rejected {} (bad or unauthorised), cancelled {}, timed out {}, failed {}",
            n(&st["refused"]),
            n(&st["rejected"]),
            n(&st["cancelled"]),
            n(&st["timed_out"]),
            n(&st["failed"]),
        );
    }
    Ok(())
}

pub fn peers(data_dir: &Path, args: StatusArgs) -> Result<()> {
    let s = ask(data_dir)?;
    let r = s
        .get("replication")
        .filter(|v| !v.is_null())
        .context("this node does not replicate (no [replication] section)")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    let ours: Value = s["store"]["origins"].clone();
    println!(
        "this node  {} listening on {}",
        s["origin"].as_str().unwrap_or("?"),
        r["listen"].as_str().unwrap_or("?")
    );
    print!("  vector  ");
    for o in ours.as_array().into_iter().flatten() {
        print!(" {}:{}", o["origin"].as_str().unwrap_or("?"), n(&o["seq"]));
    }
    println!();
    for p in r["peers"].as_array().into_iter().flatten() {
        let st = &p["stats"];
        let state = if p["connected"].as_bool() == Some(true) {
            p["phase"].as_str().unwrap_or("connected").to_lowercase()
        } else {
            "disconnected".into()
        };
        println!("peer       {} — {state}", p["name"].as_str().unwrap_or("?"));
        print!("  vector  ");
        if let Some(v) = p["peer_vector"].as_object() {
            for (o, seq) in v {
                print!(" {o}:{}", n(seq));
            }
        }
        println!();
        let lag_secs = p["lag_seconds"]
            .as_f64()
            .map(|s| format!("{s:.1}s"))
            .unwrap_or_else(|| "0s".into());
        println!("  lag      {} updates, {lag_secs}", n(&p["lag_updates"]));
        println!(
            "  traffic  out {} B ({} entries, {} withheld), in {} B ({} entries, {} duplicate)",
            n(&st["bytes_out"]),
            n(&st["entries_out"]),
            n(&st["withheld_out"]),
            n(&st["bytes_in"]),
            n(&st["entries_in"]),
            n(&st["duplicates_in"])
        );
        if let (Some(tx), Some(rx)) = (p["udp_bytes_out"].as_u64(), p["udp_bytes_in"].as_u64()) {
            println!(
                "  udp      out {tx} B, in {rx} B, rtt {:.1} ms",
                p["rtt_ms"].as_f64().unwrap_or(0.0)
            );
        }
    }
    let refused = &r["transport"]["refused"];
    if refused.as_object().is_some_and(|m| !m.is_empty()) {
        println!("refused    {refused}");
    }
    let violations = &r["engine"]["violations"];
    if violations.as_object().is_some_and(|m| !m.is_empty()) {
        println!("protocol violations {violations}");
    }
    Ok(())
}
