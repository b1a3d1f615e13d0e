//! Serves a store's query API, for trying the API out and for the HTTP benchmark.
//!
//! ```sh
//! cargo run --release -p hearsay-api --example serve -- STORE_DIR \
//!     [--listen 127.0.0.1:8053] [--key KEY] [--sample N OUT_DIR]
//! ```
//!
//! The key gets generous limits (1024 queries at once, no quota). With `--sample`, it
//! first writes `OUT_DIR/rrset.txt` and `OUT_DIR/ip.txt`: N request paths each of exact
//! rrset lookups of owner names and of IPv4 addresses found in the store (a reservoir
//! sample over one pass), for a load generator such as `wrk`.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use hearsay_api::{ApiConfig, ApiKeyConfig};
use hearsay_record::{KeyParts, Name, RrType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let store_dir = PathBuf::from(args.next().ok_or("usage: serve STORE_DIR [options]")?);
    let mut listen = "127.0.0.1:8053".to_owned();
    let mut key = "bench-key-0123456789".to_owned();
    let mut sample: Option<(usize, PathBuf)> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().ok_or("--listen ADDR")?,
            "--key" => key = args.next().ok_or("--key KEY")?,
            "--sample" => {
                let n = args.next().ok_or("--sample N DIR")?.parse()?;
                sample = Some((n, PathBuf::from(args.next().ok_or("--sample N DIR")?)));
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let store = Arc::new(hearsay_store::Store::open(&store_dir, Default::default())?);
    if let Some((n, dir)) = sample {
        write_samples(&store, n, &dir)?;
    }
    let mut api_key = ApiKeyConfig::new(key);
    api_key.max_concurrent = 1024;
    api_key.max_results = 1_000_000;
    let config = ApiConfig {
        listen: listen.parse()?,
        api_keys: vec![api_key],
        max_queries: 1024,
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = hearsay_api::bind(store, config).await?;
        eprintln!("serving on http://{}", server.local_addr());
        server
            .run(async {
                tokio::signal::ctrl_c().await.ok();
            })
            .await
    })?;
    Ok(())
}

/// Reservoir-samples owner names and IPv4 addresses over one pass of the records.
fn write_samples(
    store: &hearsay_store::Store,
    n: usize,
    dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut names, mut addrs): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let (mut seen_names, mut seen_addrs) = (0usize, 0usize);
    let mut last_name: Vec<u8> = Vec::new();
    let view = store.view();
    for item in view.records_after(None) {
        let (key, _) = item?;
        let parts = KeyParts::split(&key)?;
        if parts.reversed_name != last_name.as_slice() {
            last_name = parts.reversed_name.to_vec();
            let (name, _) = Name::from_reversed(parts.reversed_name)?;
            seen_names += 1;
            reservoir(&mut names, n, seen_names, name.to_string(), &mut next);
        }
        if parts.rrtype == RrType::A && parts.rdata.len() == 4 {
            let a = std::net::Ipv4Addr::new(
                parts.rdata[0],
                parts.rdata[1],
                parts.rdata[2],
                parts.rdata[3],
            );
            seen_addrs += 1;
            reservoir(&mut addrs, n, seen_addrs, a.to_string(), &mut next);
        }
    }
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::File::create(dir.join("rrset.txt"))?;
    for name in &names {
        writeln!(f, "/dnsdb/v2/lookup/rrset/name/{name}")?;
    }
    let mut f = std::fs::File::create(dir.join("ip.txt"))?;
    for a in &addrs {
        writeln!(f, "/dnsdb/v2/lookup/rdata/ip/{a}")?;
    }
    eprintln!(
        "sampled {} of {seen_names} names and {} of {seen_addrs} IPv4 addresses into {}",
        names.len(),
        addrs.len(),
        dir.display()
    );
    Ok(())
}

fn reservoir(
    out: &mut Vec<String>,
    n: usize,
    seen: usize,
    item: String,
    next: &mut impl FnMut() -> u64,
) {
    if out.len() < n {
        out.push(item);
    } else {
        let j = (next() % seen as u64) as usize;
        if j < n {
            out[j] = item;
        }
    }
}
