//! `hearsay export`

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use hearsay_query::{Format, Row, RowWriter};
use hearsay_record::RecordKey;

use crate::args::{ExportArgs, ExportFormat};

pub fn run(data_dir: &Path, args: ExportArgs) -> Result<()> {
    let store = super::open_existing(data_dir)?;
    let origins = store.origins();
    let view = store.view();
    let format = match args.format {
        ExportFormat::Json => Format::Json,
        ExportFormat::Csv => Format::Csv,
    };
    let stdout = std::io::stdout();
    let mut writer = RowWriter::new(std::io::BufWriter::new(stdout.lock()), format);
    for item in view.records_after(None) {
        let (key, value) = item?;
        let Some(summary) = value.summary() else {
            continue;
        };
        let key = RecordKey::decode(&key)
            .map_err(|e| anyhow::anyhow!("corrupt record key in the store: {e}"))?;
        let row = Row {
            key,
            time_first: summary.time_first,
            time_last: summary.time_last,
            count: summary.count,
            origins: hearsay_query::origin_names(&value, &origins),
        };
        writer.row(&row)?;
    }
    writer.finish()?;
    writer.into_inner().flush()?;
    Ok(())
}
