//! `hearsay query …` and `hearsay summarize …`

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use hearsay_query::time::{now, parse_time};
use hearsay_query::{
    Fences, Flow, IpMatch, Lookup, NamePattern, Query, RowWriter, TypeFilter, parse_hex,
    run as run_query, summarize, write_summary,
};
use hearsay_record::Name;

use crate::args::{CommonArgs, QueryKind, RdataKind};
use crate::output::choose;

pub fn run(data_dir: &Path, kind: QueryKind, summary: bool) -> Result<()> {
    if let QueryKind::Nxdomain(args) = kind {
        return nxdomain(data_dir, args, summary);
    }
    let (lookup, common) = lookup(kind)?;
    let query = Query {
        lookup,
        fences: fences(&common)?,
        limit: common.limit,
        offset: common.offset,
    };
    let store = super::open_existing(data_dir)?;
    let view = store.view();
    let format = choose(common.format);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if summary {
        let s = summarize(&view, &query)?;
        write_summary(&mut out, format, &s)?;
        out.flush()?;
        return Ok(());
    }
    let mut writer = RowWriter::new(out, format);
    let mut failure: Option<std::io::Error> = None;
    let outcome = run_query(&view, &query, &mut |row| match writer.row(&row) {
        Ok(()) => Flow::Continue,
        Err(e) => {
            failure = Some(e);
            Flow::Stop
        }
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    writer.finish()?;
    if outcome.limited {
        eprintln!(
            "hearsay: more results than --limit {}; use --offset to page",
            query.limit.unwrap_or(0)
        );
    }
    Ok(())
}

/// `query nxdomain NAME`: names answered NXDOMAIN, with first/last seen and count.
fn nxdomain(data_dir: &Path, args: crate::args::RrsetArgs, summary: bool) -> Result<()> {
    let pattern = NamePattern::parse(&args.name, args.subdomains)
        .with_context(|| format!("NAME {:?}", args.name))?;
    let types = type_filter(&args.common)?;
    let fences = fences(&args.common)?;
    let store = super::open_existing(data_dir)?;
    let view = store.view();
    let format = choose(args.common.format);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut rows = Vec::new();
    let (mut skip, limit) = (args.common.offset, args.common.limit.unwrap_or(u64::MAX));
    for item in view.nxdomain_prefix(&pattern.prefix()) {
        let (key, e) = item?;
        let Ok((name, used)) = Name::from_reversed(&key) else {
            continue;
        };
        let Some(t) = key
            .get(used..used + 2)
            .map(|b| hearsay_record::RrType(u16::from_be_bytes([b[0], b[1]])))
        else {
            continue;
        };
        if !pattern.accepts_reversed(&key[..used])
            || !types.accepts(t)
            || !fences.accepts(e.time_first, e.time_last)
        {
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if rows.len() as u64 >= limit {
            break;
        }
        rows.push((name, t, e));
    }
    if summary {
        let s = hearsay_query::Summary {
            num_results: rows.len() as u64,
            count: rows.iter().map(|r| r.2.count).sum(),
            time_first: rows.iter().map(|r| r.2.time_first).min(),
            time_last: rows.iter().map(|r| r.2.time_last).max(),
            limited: false,
        };
        write_summary(&mut out, format, &s)?;
        return Ok(out.flush()?);
    }
    match format {
        hearsay_query::Format::Json => {
            for (name, t, e) in rows {
                let obj = serde_json::json!({"rrname": name.to_string(), "rrtype": t.to_string(), "rcode": "NXDOMAIN",
                    "time_first": e.time_first, "time_last": e.time_last, "count": e.count});
                writeln!(out, "{obj}")?;
            }
        }
        hearsay_query::Format::Csv => {
            writeln!(out, "time_first,time_last,count,rrname,rrtype,rcode")?;
            for (name, t, e) in rows {
                writeln!(
                    out,
                    "{},{},{},{name},{t},NXDOMAIN",
                    e.time_first, e.time_last, e.count
                )?;
            }
        }
        hearsay_query::Format::Table => {
            writeln!(
                out,
                "first seen           last seen            count  name (NXDOMAIN)  type"
            )?;
            for (name, t, e) in rows {
                writeln!(
                    out,
                    "{}  {}  {:>5}  {name}  {t}",
                    hearsay_query::time::format_utc(e.time_first),
                    hearsay_query::time::format_utc(e.time_last),
                    e.count
                )?;
            }
        }
    }
    Ok(out.flush()?)
}

fn lookup(kind: QueryKind) -> Result<(Lookup, CommonArgs)> {
    Ok(match kind {
        QueryKind::Nxdomain(_) => anyhow::bail!("nxdomain is not a record lookup"),
        QueryKind::Rrset(a) => {
            let owner = NamePattern::parse(&a.name, a.subdomains)
                .with_context(|| format!("NAME {:?}", a.name))?;
            let bailiwick = a
                .bailiwick
                .as_deref()
                .map(Name::from_presentation)
                .transpose()
                .with_context(|| {
                    format!("--bailiwick {:?}", a.bailiwick.clone().unwrap_or_default())
                })?;
            (
                Lookup::Rrset {
                    owner,
                    rrtype: type_filter(&a.common)?,
                    bailiwick,
                },
                a.common,
            )
        }
        QueryKind::Rdata(RdataKind::Ip { addr, common }) => {
            let m = IpMatch::parse(&addr).with_context(|| format!("ADDR {addr:?}"))?;
            (Lookup::RdataIp(m), common)
        }
        QueryKind::Rdata(RdataKind::Name { name, common }) => {
            let pattern =
                NamePattern::parse(&name, false).with_context(|| format!("NAME {name:?}"))?;
            (
                Lookup::RdataName {
                    name: pattern,
                    rrtype: type_filter(&common)?,
                },
                common,
            )
        }
        QueryKind::Rdata(RdataKind::Raw { hex, common }) => {
            let rdata = parse_hex(&hex).with_context(|| format!("HEX {hex:?}"))?;
            (
                Lookup::RdataRaw {
                    rdata,
                    rrtype: type_filter(&common)?,
                },
                common,
            )
        }
    })
}

fn type_filter(c: &CommonArgs) -> Result<TypeFilter> {
    match &c.rrtype {
        None => Ok(TypeFilter::All),
        Some(t) => TypeFilter::parse(t).with_context(|| format!("--type {t:?}")),
    }
}

fn fences(c: &CommonArgs) -> Result<Fences> {
    let now = now();
    let parse = |flag: &str, v: &Option<String>| -> Result<Option<u64>> {
        v.as_deref()
            .map(|t| parse_time(t, now).with_context(|| format!("--{flag}")))
            .transpose()
    };
    Ok(Fences {
        first_after: parse("time-first-after", &c.time_first_after)?,
        first_before: parse("time-first-before", &c.time_first_before)?,
        last_after: parse("time-last-after", &c.time_last_after)?,
        last_before: parse("time-last-before", &c.time_last_before)?,
    })
}
