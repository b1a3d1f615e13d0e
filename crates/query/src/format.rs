//! Output formats: a table like the examples of the passive DNS paper, JSON lines in
//! the Passive DNS Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof), and CSV.

use std::io::{self, Write};

use hearsay_record::Bailiwick;
use hearsay_record::rdata::present;
use serde::Serialize;

use crate::engine::{Row, Summary};
use crate::time::format_utc;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns: first seen, last seen, count, name, type, data (UTC).
    Table,
    /// One COF JSON object per line.
    Json,
    /// Comma-separated values with a header line.
    Csv,
}

impl std::str::FromStr for Format {
    type Err = crate::QueryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Format::Table),
            "json" | "jsonl" | "cof" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(crate::QueryError::BadFormat(other.to_owned())),
        }
    }
}

/// A record in the Common Output Format.
#[derive(Debug, Serialize)]
pub struct Cof<'a> {
    /// Owner, fully qualified with the trailing dot.
    pub rrname: String,
    /// Type mnemonic (`TYPEnnn` if unknown).
    pub rrtype: String,
    /// Presentation forms of the rdata.
    pub rdata: Vec<String>,
    /// First seen, epoch seconds.
    pub time_first: u64,
    /// Last seen, epoch seconds.
    pub time_last: u64,
    /// Times seen.
    pub count: u64,
    /// Zone the record was served from, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bailiwick: Option<String>,
    /// The origins (sensors' nodes) that saw it, comma-separated.
    pub sensor_id: &'a str,
}

/// The COF object of a row (`sensor_id` must be the joined origins, see
/// [`sensor_id`]).
pub fn cof<'a>(row: &Row, sensor_id: &'a str) -> Cof<'a> {
    Cof {
        rrname: row.key.rrname.to_string(),
        rrtype: row.key.rrtype.to_string(),
        rdata: vec![present(row.key.rrtype, &row.key.rdata)],
        time_first: row.time_first,
        time_last: row.time_last,
        count: row.count,
        bailiwick: row.key.bailiwick.zone().map(ToString::to_string),
        sensor_id,
    }
}

/// The origins of a row joined with commas.
pub fn sensor_id(row: &Row) -> String {
    row.origins.join(",")
}

/// Rows buffered before the table's column widths are fixed.
const TABLE_BUFFER: usize = 1000;

/// Writes rows in one format.
#[derive(Debug)]
pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    pending: Vec<[String; 6]>,
    widths: Option<[usize; 6]>,
    header_done: bool,
}

impl<W: Write> RowWriter<W> {
    /// A writer to `out`.
    pub fn new(out: W, format: Format) -> Self {
        RowWriter {
            out,
            format,
            pending: Vec::new(),
            widths: None,
            header_done: false,
        }
    }

    /// Writes one row.
    pub fn row(&mut self, row: &Row) -> io::Result<()> {
        match self.format {
            Format::Json => {
                let sid = sensor_id(row);
                serde_json::to_writer(&mut self.out, &cof(row, &sid))?;
                self.out.write_all(b"\n")
            }
            Format::Csv => {
                if !self.header_done {
                    self.out.write_all(
                        b"time_first,time_last,count,rrname,rrtype,bailiwick,rdata,sensor_id\n",
                    )?;
                    self.header_done = true;
                }
                let bailiwick = match &row.key.bailiwick {
                    Bailiwick::Unknown => String::new(),
                    Bailiwick::Zone(z) => z.to_string(),
                };
                let fields = [
                    row.time_first.to_string(),
                    row.time_last.to_string(),
                    row.count.to_string(),
                    row.key.rrname.to_string(),
                    row.key.rrtype.to_string(),
                    bailiwick,
                    present(row.key.rrtype, &row.key.rdata),
                    sensor_id(row),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                self.out.write_all(line.join(",").as_bytes())?;
                self.out.write_all(b"\n")
            }
            Format::Table => {
                let cells = [
                    format_utc(row.time_first),
                    format_utc(row.time_last),
                    row.count.to_string(),
                    row.key.rrname.to_string(),
                    row.key.rrtype.to_string(),
                    present(row.key.rrtype, &row.key.rdata),
                ];
                match self.widths {
                    Some(w) => self.table_line(&cells, &w),
                    None => {
                        self.pending.push(cells);
                        if self.pending.len() >= TABLE_BUFFER {
                            self.fix_widths()?;
                        }
                        Ok(())
                    }
                }
            }
        }
    }

    /// Writes what is buffered and flushes.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.format == Format::Table && self.widths.is_none() && !self.pending.is_empty() {
            self.fix_widths()?;
        }
        self.out.flush()
    }

    /// Gives back the underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn fix_widths(&mut self) -> io::Result<()> {
        let header = table_header();
        let mut w = header.map(|h| h.len());
        for cells in &self.pending {
            for (i, c) in cells.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        self.widths = Some(w);
        self.table_line(&header.map(str::to_owned), &w)?;
        for cells in std::mem::take(&mut self.pending) {
            self.table_line(&cells, &w)?;
        }
        Ok(())
    }

    fn table_line(&mut self, cells: &[String; 6], w: &[usize; 6]) -> io::Result<()> {
        let pad =
            |s: &str, n: usize| format!("{s}{}", " ".repeat(n.saturating_sub(s.chars().count())));
        let line = format!(
            "{}  {}  {:>cw$}  {}  {}  {}",
            pad(&cells[0], w[0]),
            pad(&cells[1], w[1]),
            cells[2],
            pad(&cells[3], w[3]),
            pad(&cells[4], w[4]),
            cells[5],
            cw = w[2]
        );
        self.out.write_all(line.trim_end().as_bytes())?;
        self.out.write_all(b"\n")
    }
}

fn table_header() -> [&'static str; 6] {
    ["first seen", "last seen", "count", "name", "type", "data"]
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Writes a summary in a format.
pub fn write_summary(out: &mut dyn Write, format: Format, s: &Summary) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, s)?;
            out.write_all(b"\n")
        }
        Format::Csv => {
            writeln!(out, "num_results,count,time_first,time_last")?;
            writeln!(
                out,
                "{},{},{},{}",
                s.num_results,
                s.count,
                s.time_first.map(|t| t.to_string()).unwrap_or_default(),
                s.time_last.map(|t| t.to_string()).unwrap_or_default()
            )
        }
        Format::Table => {
            writeln!(out, "records     {}", s.num_results)?;
            writeln!(out, "total count {}", s.count)?;
            writeln!(
                out,
                "first seen  {}",
                s.time_first.map(format_utc).unwrap_or_else(|| "-".into())
            )?;
            writeln!(
                out,
                "last seen   {}",
                s.time_last.map(format_utc).unwrap_or_else(|| "-".into())
            )?;
            if s.limited {
                writeln!(out, "(limited: more records matched than the limit)")?;
            }
            Ok(())
        }
    }
}
