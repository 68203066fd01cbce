//! `--format csv`: one breakdown (`--by`, default domains), complete, with a
//! header row, from the report model (`report/model.rs`): the section's
//! table with every row and the columns meant for data (rates as
//! fractions, times in RFC 3339, the cause's description, advice and
//! example). Quoting is the csv crate's job; every cell goes through
//! [`csv_record`], which shows controls as escapes and guards cells a
//! spreadsheet would read as formulas.

use std::io::{self, Write};

use super::escape::csv_record;
use super::model;
use super::Report;

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let table = model::breakdown(report);
    let mut w = csv::Writer::from_writer(out);
    if let Some(t) = &table {
        let shown = t.shown(|s| s.data);
        csv_record(&mut w, shown.iter().map(|&i| t.columns[i].key)).map_err(io::Error::from)?;
        for row in &t.rows {
            csv_record(&mut w, shown.iter().map(|&i| row[i].data())).map_err(io::Error::from)?;
        }
    }
    w.flush()
}
