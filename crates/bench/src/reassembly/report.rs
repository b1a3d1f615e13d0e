//! The reassembly benchmark's table and its correctness checks.

use anyhow::{Result, bail};

use super::Measured;
use crate::stats::median;

/// Medians of one transport.
struct Row {
    name: String,
    packets: u64,
    responses: f64,
    decode_responses_per_sec: f64,
    decode_packets_per_sec: f64,
    import_responses_per_sec: f64,
    import_packets_per_sec: f64,
    parsed: f64,
    stored: f64,
    peak_rss_mib: f64,
}

fn row(m: &Measured) -> Row {
    let d = |f: fn(&crate::decode::DecodePass) -> f64| median(m.decode.iter().map(f).collect());
    let i = |f: fn(&crate::import::Run) -> f64| median(m.import.iter().map(f).collect());
    Row {
        name: m.capture.transport.to_string(),
        packets: m.capture.stats.packets,
        responses: d(|p| p.responses as f64),
        decode_responses_per_sec: d(|p| p.responses as f64 / p.secs),
        decode_packets_per_sec: d(|p| p.frames as f64 / p.secs),
        import_responses_per_sec: i(|r| r.responses / r.elapsed),
        import_packets_per_sec: i(|r| r.packets_per_sec),
        parsed: d(|p| p.records as f64),
        stored: i(|r| r.records),
        peak_rss_mib: i(|r| r.peak_rss) / 1048576.0,
    }
}

/// `1234567.0` → `1,234,567`.
fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// The medians as a Markdown table; ratios against the first row (UDP).
pub fn print_table(measured: &[Measured], runs: usize) {
    let rows: Vec<Row> = measured.iter().map(row).collect();
    let Some(base) = rows.first() else {
        return;
    };
    println!("median of {runs} runs (decode-only = read + decode + parse, no store):");
    println!();
    println!(
        "| transport | packets in file | responses decoded | decode-only responses/s | decode-only packets/s | vs UDP | import responses/s | import packets/s | vs UDP | records parsed | records stored | peak RSS of import |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {} | {} | {:.2} | {} | {} | {:.0} MiB |",
            r.name,
            thousands(r.packets as f64),
            thousands(r.responses),
            thousands(r.decode_responses_per_sec),
            thousands(r.decode_packets_per_sec),
            r.decode_responses_per_sec / base.decode_responses_per_sec,
            thousands(r.import_responses_per_sec),
            thousands(r.import_packets_per_sec),
            r.import_responses_per_sec / base.import_responses_per_sec,
            thousands(r.parsed),
            thousands(r.stored),
            r.peak_rss_mib,
        );
    }
}

/// Every run must decode exactly the responses generated, and all transports must yield
/// the same records: the messages are the same, only their packets differ.
pub fn check(measured: &[Measured]) -> Result<()> {
    let mut failures = Vec::new();
    for m in measured {
        let name = m.capture.transport;
        let want = m.capture.stats.responses;
        for (i, p) in m.decode.iter().enumerate() {
            if p.responses != want {
                failures.push(format!(
                    "{name} run {i}: decode-only decoded {} responses, {want} were generated",
                    p.responses
                ));
            }
        }
        for (i, r) in m.import.iter().enumerate() {
            if r.responses != want as f64 {
                failures.push(format!(
                    "{name} run {i}: import decoded {} responses, {want} were generated",
                    r.responses
                ));
            }
        }
    }
    let same = |what: &str, mut values: Vec<(String, f64)>, failures: &mut Vec<String>| {
        let equal = values.windows(2).all(|w| w[0].1 == w[1].1);
        // Runs of a transport that agree are shown once.
        values.dedup();
        let shown: Vec<String> = values
            .iter()
            .map(|(n, v)| format!("{n} {}", thousands(*v)))
            .collect();
        println!(
            "{what:<28} {} ({})",
            if equal { "equal" } else { "DIFFER" },
            shown.join(", ")
        );
        if !equal {
            failures.push(format!("{what} differ: {}", shown.join(", ")));
        }
    };
    // Every run of every transport, not only the medians.
    let all = |f: &dyn Fn(&Measured) -> Vec<f64>| -> Vec<(String, f64)> {
        measured
            .iter()
            .flat_map(|m| {
                let name = m.capture.transport.to_string();
                f(m).into_iter().map(move |v| (name.clone(), v))
            })
            .collect()
    };
    same(
        "responses generated",
        all(&|m| vec![m.capture.stats.responses as f64]),
        &mut failures,
    );
    same(
        "records parsed (decode-only)",
        all(&|m| m.decode.iter().map(|p| p.records as f64).collect()),
        &mut failures,
    );
    same(
        "records parsed (import)",
        all(&|m| m.import.iter().map(|r| r.observed).collect()),
        &mut failures,
    );
    same(
        "records stored (import)",
        all(&|m| m.import.iter().map(|r| r.records).collect()),
        &mut failures,
    );
    if failures.is_empty() {
        println!("reassembly check passed: every response decoded, the same records everywhere");
        Ok(())
    } else {
        bail!("reassembly check FAILED:\n  {}", failures.join("\n  "))
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(-12_345.0), "-12,345");
    }
}
