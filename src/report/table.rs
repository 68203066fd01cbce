//! The text report for people (the default): the report model
//! (`report/model.rs`) drawn as text. Tables through comfy-table: box
//! lines and the terminal's width on a terminal; outside one (a pipe, cron
//! mail) plain ASCII, as wide as `COLUMNS` when it is set and otherwise as
//! wide as the content. A name (domain, address, relay) is never broken
//! across lines, whatever the width: only long text (replies) wraps.

use std::io::{self, IsTerminal, Write};

use comfy_table::{Cell as TableCell, CellAlignment, ColumnConstraint, ContentArrangement, Table};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::escape::visible;
use super::model::{self, Cell, Header, Section};
use super::text::truncate;
use super::Report;
use crate::classify::Lang;

/// Characters of a reply in a table cell, and of an example reply under
/// "What to do".
const CELL_TEXT: usize = 160;
const EXAMPLE_TEXT: usize = 230;

/// How wide the report may be.
struct Layout {
    tty: bool,
    /// `COLUMNS`, when set to a width.
    columns: Option<u16>,
    lang: Lang,
}

impl Layout {
    fn new(lang: Lang) -> Layout {
        Layout {
            tty: io::stdout().is_terminal(),
            columns: std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse::<u16>().ok())
                .filter(|&w| w >= 20),
            lang,
        }
    }

    /// Lines of prose wrap at `COLUMNS`, or 80.
    fn prose(&self) -> usize {
        self.columns.map_or(80, usize::from)
    }

    /// `Label: ` (`标签：` in Chinese).
    fn label(&self, label: &str) -> String {
        match self.lang {
            Lang::En => format!("{label}: "),
            Lang::Zh => format!("{label}："),
        }
    }
}

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let layout = Layout::new(report.lang);
    header(&layout, &model::header(report), out)?;
    for s in model::sections(report, false) {
        section(report, &layout, &s, out)?;
    }
    Ok(())
}

fn header(l: &Layout, h: &Header, out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<String> = h.inputs.iter().map(|n| visible(n).into_owned()).collect();
    writeln!(
        out,
        "bounce-report: {}",
        if names.is_empty() {
            super::text::tr(l.lang, "(no input)").to_string()
        } else {
            names.join(", ")
        }
    )?;
    for (name, kind, detail) in &h.files {
        writeln!(out, "  {}{kind}: {}", visible(name), visible(detail))?;
    }
    for m in &h.not_read {
        writeln!(out, "  not read: {}", visible(m))?;
    }
    // The facts on a line each, unwrapped: scripts and tests grep them.
    let (lines, facts) = h.facts.split_last().expect("the lines fact");
    for (label, value) in facts {
        writeln!(out, "{}{value}", l.label(label))?;
    }
    for (condition, value) in &h.alerts {
        writeln!(out, "ALERT: {} (value {})", visible(condition), visible(value))?;
    }
    for w in &h.warnings {
        wrapped(l, out, "WARNING: ", &visible(w))?;
    }
    writeln!(out, "{}{}", l.label(&lines.0), lines.1)?;
    for w in &h.resolver {
        wrapped(l, out, "WARNING: ", &visible(w))?;
    }
    Ok(())
}

fn section(report: &Report<'_>, l: &Layout, s: &Section, out: &mut dyn Write) -> io::Result<()> {
    let title = s.heading(str::to_string, |c| visible(c).into_owned());
    writeln!(out, "\n{title}")?;
    if let Some(w) = &s.warning {
        wrapped(l, out, "WARNING: ", &visible(w))?;
    }
    if !s.lead.is_empty() {
        wrapped(l, out, "  ", &s.lead_text())?;
    }
    if let Some(note) = &s.note {
        wrapped(l, out, "", note)?;
    }
    if let Some(empty) = &s.empty {
        wrapped(l, out, "  ", empty)?;
    }
    for f in &s.facts {
        let text = f.joined(l.lang, |c| visible(&c.show(l.lang, report.zone)).into_owned());
        wrapped(l, out, &format!("  {}", l.label(&f.label)), &text)?;
    }
    if let Some(t) = s.people_table() {
        table(report, l, t, out)?;
    }
    if let Some(f) = &s.footnote {
        wrapped(l, out, "", f)?;
    }
    for a in &s.advice {
        writeln!(out, "\n{}: {}", a.cause, a.counts)?;
        let [what, eg, advice] = match l.lang {
            Lang::En => ["  what: ", "  e.g.  ", "  do:   "],
            Lang::Zh => ["  含义：", "  示例：", "  建议："],
        };
        wrapped(l, out, what, &a.what)?;
        if let Some(example) = &a.example {
            wrapped(l, out, eg, &truncate(&visible(example), EXAMPLE_TEXT))?;
        }
        if !a.advice.is_empty() {
            wrapped(l, out, advice, &a.advice)?;
        }
    }
    Ok(())
}

/// Columns two blanks apart with a rule under the header: compact, and it
/// reads the same in a terminal and in a mail.
const PLAIN: &str = "     -             ";
const BOXED: &str = "     ─             ";

fn table(report: &Report<'_>, l: &Layout, m: &model::Table, out: &mut dyn Write) -> io::Result<()> {
    let shown = m.shown(|s| s.text);
    let mut t = Table::new();
    t.load_preset(if l.tty { BOXED } else { PLAIN });
    match l.columns {
        Some(w) => {
            t.set_width(w);
            t.set_content_arrangement(ContentArrangement::Dynamic);
        }
        // A terminal's own width.
        None if l.tty => {
            t.set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    let rows: Vec<Vec<String>> = m
        .rows
        .iter()
        .map(|row| {
            shown
                .iter()
                .map(|&i| match &row[i] {
                    Cell::Text(s) => truncate(&visible(s), CELL_TEXT),
                    cell @ Cell::Name(_) => visible(&cell.show(l.lang, report.zone)).into_owned(),
                    other => other.show(l.lang, report.zone),
                })
                .collect()
        })
        .collect();
    let widest: Vec<usize> = (0..shown.len())
        .map(|col| rows.iter().map(|r| r[col].width()).max().unwrap_or(0))
        .collect();
    let has_text: Vec<bool> = shown
        .iter()
        .map(|&i| m.rows.iter().any(|r| matches!(r[i], Cell::Text(_))))
        .collect();
    // Headings wider than their column's cells go on several lines when the
    // table would not fit the width otherwise: the cells are never broken.
    let natural: usize = shown
        .iter()
        .enumerate()
        .map(|(col, &i)| widest[col].max(m.columns[i].label.width()) + 1)
        .sum();
    let narrow = t.width().is_some_and(|w| natural > usize::from(w));
    t.set_header(shown.iter().enumerate().map(|(col, &i)| {
        let c = &m.columns[i];
        let label = if narrow && c.label.width() > widest[col] {
            c.label.replace(' ', "\n")
        } else {
            c.label.clone()
        };
        let cell = TableCell::new(label);
        if c.numeric {
            cell.set_alignment(CellAlignment::Right)
        } else {
            cell
        }
    }));
    for row in &rows {
        t.add_row(row.iter().zip(&shown).map(|(text, &i)| {
            let c = TableCell::new(text);
            if m.columns[i].numeric {
                c.set_alignment(CellAlignment::Right)
            } else {
                c
            }
        }));
    }
    // Everything but long text keeps its width: a name, a time, a number
    // or a bar is never broken across lines.
    for (col, &text) in has_text.iter().enumerate() {
        if let Some(c) = t.column_mut(col) {
            if !text {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
            c.set_padding((0, 1));
        }
    }
    // Rows start at the margin with no trailing blanks (they would only
    // add noise to a mailed report), and the rule under the header is as
    // wide as the widest row, not the padding after it.
    let text = t.to_string();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let rule = |l: &str| !l.is_empty() && l.chars().all(|c| c == '-' || c == '─');
    let widest = lines
        .iter()
        .filter(|l| !rule(l))
        .map(|l| l.width())
        .max()
        .unwrap_or(0);
    for line in lines {
        if rule(line) {
            writeln!(out, "{}", line.chars().take(widest).collect::<String>())?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Writes `text` in lines of at most the prose width (Chinese characters
/// take two columns), the first after `label`, the rest indented as far.
/// A word wider than a line (a URL, a Chinese sentence) is cut.
fn wrapped(l: &Layout, out: &mut dyn Write, label: &str, text: &str) -> io::Result<()> {
    let indent = label.width();
    let width = l.prose().saturating_sub(indent).max(20);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let sep = usize::from(!line.is_empty());
        if line.width() + sep + word.width() <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for ch in word.chars() {
            if line.width() + ch.width().unwrap_or(0) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(ch);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    for (i, text) in lines.iter().enumerate() {
        let lead = if i == 0 {
            label.to_string()
        } else {
            " ".repeat(indent)
        };
        writeln!(out, "{}", format!("{lead}{text}").trim_end())?;
    }
    Ok(())
}
