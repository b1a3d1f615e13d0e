//! Choosing output formats and writing to stdout.

use std::io::IsTerminal;

use hearsay_query::Format;

use crate::args::OutputFormat;

/// The requested format, or table on a terminal and JSON lines otherwise.
pub fn choose(requested: Option<OutputFormat>) -> Format {
    match requested {
        Some(OutputFormat::Table) => Format::Table,
        Some(OutputFormat::Json) => Format::Json,
        Some(OutputFormat::Csv) => Format::Csv,
        None if std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    }
}
