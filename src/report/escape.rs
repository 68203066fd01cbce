//! Log text made safe to show, in one place for every renderer. Reply
//! texts, addresses and domains come from strangers (issue 21): a control
//! character could drive the terminal that shows a report (ESC CSI, OSC 8
//! links and OSC 0 titles ended by BEL, the C1 CSI U+009B, BS and CR that
//! overwrite what came before), a BiDi override could make a table say what
//! it does not, and a CSV cell starting with `=` is a formula to a
//! spreadsheet.
//!
//! [`visible`] shows each such character as an escape (`\x1b`, `\u{202e}`)
//! and is what the table, Markdown, HTML and Prometheus renderers and the
//! `suppress` list apply to log text before their own quoting; [`csv_cell`]
//! adds the spreadsheet guard for every CSV cell. JSON needs neither: its
//! own escapes carry the text as logged (SPEC "Machine-readable output").
//! A backslash in the text is left as it is, so ordinary text reads as
//! logged.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

/// Whether `c` is shown as an escape: every C0 control (tab, CR and LF
/// included), DEL, the C1 controls U+0080–U+009F, and the Unicode
/// characters that reorder or break the text around them: the BiDi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
/// marks U+061C, U+200E and U+200F, and the line and paragraph separators
/// U+2028 and U+2029.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every character [`needs_escape`] names written as an
/// escape: `\x00`–`\x1f` and `\x7f` for C0 and DEL, `\u{9b}` or `\u{202e}`
/// for the others. Borrows when there is nothing to escape (almost always).
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// One CSV cell: [`visible`], then a `'` before a cell that starts with
/// `=`, `+`, `-` or `@`, which a spreadsheet would read as a formula
/// (OWASP "CSV Injection"; its tab and CR are escaped by `visible`, so
/// they cannot start a cell). Quoting is left to the csv writer.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let shown = visible(text);
    if shown.starts_with(['=', '+', '-', '@']) {
        return Cow::Owned(format!("'{shown}"));
    }
    shown
}

/// Writes one CSV record, every cell through [`csv_cell`]: how every CSV
/// the tool writes (`--format csv`, `suppress`) writes its rows.
pub fn csv_record<W, I, T>(w: &mut csv::Writer<W>, cells: I) -> csv::Result<()>
where
    W: io::Write,
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    for cell in cells {
        w.write_field(csv_cell(cell.as_ref()).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for t in [
            "",
            "550 5.1.1 <bob@example.com>: user unknown",
            "用户邮箱空间已满",
            "a\\x1b",
        ] {
            assert!(matches!(visible(t), Cow::Borrowed(s) if s == t), "{t}");
        }
    }

    #[test]
    fn terminal_controls_are_shown_as_escapes() {
        assert_eq!(visible("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(
            visible("\x1b]8;;http://evil\x07x\x1b]8;;\x07"),
            "\\x1b]8;;http://evil\\x07x\\x1b]8;;\\x07"
        );
        assert_eq!(visible("a\u{9b}2Jb"), "a\\u{9b}2Jb");
        assert_eq!(visible("ok\x08\x08no\rX\x7f"), "ok\\x08\\x08no\\x0dX\\x7f");
        assert_eq!(visible("t\tn\n\0"), "t\\x09n\\x0a\\x00");
    }

    #[test]
    fn bidi_controls_are_shown_as_escapes() {
        assert_eq!(visible("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            assert_eq!(visible(&c.to_string()), format!("\\u{{{:x}}}", c as u32));
        }
        // Neighbours that are ordinary text stay.
        assert_eq!(visible("\u{2010}\u{2030}\u{2065}"), "\u{2010}\u{2030}\u{2065}");
    }

    #[test]
    fn csv_cells_starting_a_formula_get_a_quote() {
        assert_eq!(csv_cell("=cmd@x.example"), "'=cmd@x.example");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://evil\").example"),
            "'=HYPERLINK(\"http://evil\").example"
        );
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\t=1"), "\\x09=1");
        assert_eq!(csv_cell("\r=1"), "\\x0d=1");
        assert_eq!(csv_cell("bob@example.com"), "bob@example.com");
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(csv_cell(""), "");
    }
}
