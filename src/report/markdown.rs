//! `--format markdown`: the report model (`report/model.rs`) as
//! GitHub-flavoured Markdown, for tickets and chat: the same header,
//! sections and numbers as the text report, with tables as GFM pipe tables.
//!
//! Log text (file names, domains, relays, replies) is untrusted: it is made
//! inert with [`escape`] (backslash escapes, CommonMark "Backslash escapes")
//! or shown in a code span of its own with [`code_span`], so a reply holding
//! `|`, backticks, `*`, `<script>` or `[x](y)` renders as the text it is and
//! cannot break a table or add a link.

use std::io::{self, Write};

use super::escape::visible;
use super::model::{self, Cell, Part, Section};
use super::text::{tr, truncate};
use super::Report;

/// Characters of a reply shown in a table or under "What to do": more than
/// the text report's, since nothing here has to fit a terminal, but a cap
/// still, as some replies run to kilobytes.
pub(super) const EXAMPLE_CHARS: usize = 400;

pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let lang = report.lang;
    let h = model::header(report);
    writeln!(out, "# {}\n", h.title)?;
    let names: Vec<String> = h.inputs.iter().map(|n| code_span(n)).collect();
    writeln!(
        out,
        "- **{}:** {}",
        tr(lang, "Input"),
        if names.is_empty() {
            tr(lang, "(no input)").to_string()
        } else {
            names.join(", ")
        }
    )?;
    for (name, kind, detail) in &h.files {
        writeln!(out, "  - {}{kind}: {}", code_span(name), escape(detail))?;
    }
    for m in &h.not_read {
        writeln!(out, "- **{}:** {}", tr(lang, "Not read"), escape(m))?;
    }
    for (label, value) in &h.facts {
        writeln!(out, "- **{label}:** {}", escape(value))?;
    }
    if !h.alerts.is_empty() {
        writeln!(out, "\n## {}\n", tr(lang, "Alert conditions crossed"))?;
        for (condition, value) in &h.alerts {
            writeln!(out, "- {} (value {})", code_span(condition), escape(value))?;
        }
    }
    if !h.warnings.is_empty() {
        writeln!(out)?;
        for w in &h.warnings {
            writeln!(out, "> **WARNING:** {}", escape(w))?;
        }
    }
    if !h.resolver.is_empty() {
        writeln!(out, "\n## {}\n", tr(lang, "Our DNS resolver"))?;
        for w in &h.resolver {
            writeln!(out, "- {}", escape(w))?;
        }
    }
    for s in model::sections(report, false) {
        section(report, &s, out)?;
    }
    Ok(())
}

/// A cell as Markdown: names escaped, causes and replies in code spans.
fn cell(report: &Report<'_>, c: &Cell) -> String {
    match c {
        Cell::Name(_) => escape(&c.show(report.lang, report.zone)),
        Cell::Cause(x) => code_span(x.as_str()),
        Cell::Text(t) => code_span(&truncate(t, EXAMPLE_CHARS)),
        other => escape(&other.show(report.lang, report.zone)),
    }
}

fn section(report: &Report<'_>, s: &Section, out: &mut dyn Write) -> io::Result<()> {
    let title = s.heading(escape, code_span);
    writeln!(out, "\n## {title}\n")?;
    if let Some(w) = &s.warning {
        writeln!(out, "**WARNING:** {}\n", escape(w))?;
    }
    if !s.lead.is_empty() {
        let lead: String = s
            .lead
            .iter()
            .map(|p| match p {
                Part::Words(w) | Part::Figure(w) => escape(w),
            })
            .collect();
        writeln!(out, "{lead}\n")?;
    }
    if let Some(note) = &s.note {
        writeln!(out, "{}\n", escape(note))?;
    }
    if let Some(empty) = &s.empty {
        writeln!(out, "{}", escape(empty))?;
    }
    for f in &s.facts {
        let text = f.joined(report.lang, |c| cell(report, c));
        writeln!(out, "- **{}:** {text}", escape(&f.label))?;
    }
    if let Some(t) = s.people_table() {
        let shown = t.shown(|x| x.page);
        let names: Vec<String> = shown.iter().map(|&i| escape(&t.columns[i].label)).collect();
        writeln!(out, "| {} |", names.join(" | "))?;
        let rule: Vec<&str> = shown
            .iter()
            .map(|&i| if t.columns[i].numeric { "---:" } else { "---" })
            .collect();
        writeln!(out, "| {} |", rule.join(" | "))?;
        for row in &t.rows {
            let cells: Vec<String> = shown.iter().map(|&i| cell(report, &row[i])).collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
    }
    if let Some(f) = &s.footnote {
        writeln!(out, "\n{}", escape(f))?;
    }
    for (i, a) in s.advice.iter().enumerate() {
        // The note above already ends in a blank line.
        let gap = if i == 0 && s.note.is_some() { "" } else { "\n" };
        writeln!(
            out,
            "{gap}### {}: {}\n",
            code_span(a.cause.as_str()),
            escape(&a.counts)
        )?;
        let [what, example, advice] = super::text::advice_labels(report.lang);
        writeln!(out, "- **{what}:** {}", escape(&a.what))?;
        if let Some(e) = &a.example {
            writeln!(out, "- **{example}:** {}", code_span(&truncate(e, EXAMPLE_CHARS)))?;
        }
        if !a.advice.is_empty() {
            writeln!(out, "- **{advice}:** {}", escape(&a.advice))?;
        }
    }
    Ok(())
}

/// Text as inert Markdown inline content, on one line.
///
/// Control and BiDi characters (newlines included, which would end a table
/// row) are shown as escapes first ([`visible`]); then every character that can start inline markup or a
/// table cell is backslash-escaped (CommonMark allows that before any ASCII
/// punctuation). `!` and `#` are left alone: an image needs the `[` that is
/// escaped, and a heading needs a `#` at the start of a line, where log text
/// never stands here. `_` between two letters or digits is left alone: it cannot
/// open or close emphasis there ("left-flanking" rules), and `rate_delay`
/// reads better than `rate\_delay` in a chat window.
pub fn escape(text: &str) -> String {
    let text = visible(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, &c) in chars.iter().enumerate() {
        let special = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => true,
            '_' => {
                let before = i.checked_sub(1).and_then(|j| chars.get(j));
                let after = chars.get(i + 1);
                !(before.is_some_and(|b| b.is_alphanumeric()) && after.is_some_and(|a| a.is_alphanumeric()))
            }
            _ => false,
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text as a code span, shown verbatim in monospace. The fence is one
/// backtick longer than the longest run of backticks inside, and the content
/// is padded with a space when it starts or ends with a backtick or a space
/// (CommonMark strips one such space from each side, "Code spans").
fn fenced(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Log text shown verbatim in a code span, on one line; text holding `|` is
/// escaped as plain text instead, because a `|` inside a code span still
/// splits a GFM table cell and an escaped `\|` would show its backslash in a
/// code span outside a table. An empty text is an empty string.
pub fn code_span(text: &str) -> String {
    let text = visible(text);
    if text.trim().is_empty() {
        return escape(&text);
    }
    if text.contains('|') {
        return escape(&text);
    }
    fenced(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_inline_markup_and_table_pipes() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("*bold* `code`"), "\\*bold\\* \\`code\\`");
        assert_eq!(escape("[x](http://e.com)"), "\\[x\\](http://e.com)");
        assert_eq!(escape("<script>&amp;"), "\\<script\\>\\&amp;");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert_eq!(escape("line\nbreak"), r"line\\x0abreak");
    }

    #[test]
    fn escape_keeps_underscores_inside_words() {
        assert_eq!(escape("destination_rate_delay"), "destination_rate_delay");
        assert_eq!(escape("_emph_"), "\\_emph\\_");
        assert_eq!(escape("a _b"), "a \\_b");
    }

    #[test]
    fn code_span_fence_outgrows_the_backticks_inside() {
        assert_eq!(code_span("plain"), "`plain`");
        assert_eq!(code_span("a ` b"), "``a ` b``");
        assert_eq!(code_span("``x``"), "``` ``x`` ```");
        assert_eq!(code_span(" lead"), "`  lead `");
    }

    #[test]
    fn code_span_with_a_pipe_falls_back_to_escaped_text() {
        assert_eq!(code_span("a|b"), "a\\|b");
        assert_eq!(code_span(""), "");
    }

    #[test]
    fn percent_has_one_decimal() {
        use crate::report::text::percent;
        assert_eq!(percent(Some(0.0472)), "4.7%");
        assert_eq!(percent(None), "-");
    }
}
