//! Every section in every format, with the same numbers (issue 20): the
//! bundled sample log is analysed once, and for the default report and each
//! `--by`, in English and Chinese, with and without an earlier run to
//! compare with, every section the model holds is found in the text table,
//! Markdown and HTML under its title, and each row of its table carries the
//! row's numbers in order; CSV holds the complete table cell for cell.

use std::path::PathBuf;
use std::sync::Arc;

use super::model::{self, Cell, Id, Section};
use super::{csv, html, markdown, table, Report};
use crate::cause::Cause;
use crate::classify::{Catalogue, Lang};
use crate::cli::By;
use crate::compare::Previous;
use crate::input::Source;
use crate::pipeline::{analyse, Analysis, Options};
use crate::window::{Window, Zone};

fn sample() -> (Analysis, Arc<Catalogue>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/maillog");
    let source = Source {
        name: "fixtures/maillog".into(),
        modified: None,
        path: Some(path),
        command: None,
        range: None,
    };
    let catalogue = Arc::new(Catalogue::load(None).expect("built-in catalogue"));
    let options = Options {
        threads: 1,
        ..Options::default()
    };
    let analysis =
        analyse(&[source], catalogue.clone(), &options, &mut |_| Ok(())).expect("the sample reads");
    (analysis, catalogue)
}

/// An earlier run unlike this one: every domain's and cause's failures
/// halved, the first cause gone, totals smaller.
fn previous(a: &Analysis) -> Previous {
    let s = &a.summary;
    let mut p = Previous {
        name: "yesterday.json".into(),
        ..Previous::default()
    };
    for (d, st) in &s.by_domain {
        p.domains.insert(d.to_string(), st.counts.failures() / 2);
    }
    p.domains.insert("gone.example".into(), 7);
    for (i, &c) in Cause::ALL.iter().enumerate() {
        let n = s.by_cause[c.index()].counts.failures();
        p.causes
            .insert(c.as_str().to_string(), if i == 0 { n + 3 } else { n / 2 });
    }
    p.totals = crate::aggregate::StatusCounts([100, 10, 20, 1]);
    p
}

fn render(
    report: &Report<'_>,
    write: fn(&Report<'_>, &mut dyn std::io::Write) -> std::io::Result<()>,
) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

/// Finds `needle` in `hay` at or after `from`; the test fails with `what`.
fn find(hay: &str, from: usize, needle: &str, what: &str) -> usize {
    hay[from..]
        .find(needle)
        .map(|i| from + i)
        .unwrap_or_else(|| panic!("{what}: {needle:?} not found in\n{}", &hay[from..]))
}

/// The number-like cells of a row a format shows, as people read them.
fn figures(row: &[Cell], keep: &[usize], lang: Lang) -> Vec<String> {
    keep.iter()
        .filter(|&&i| {
            matches!(
                row[i],
                Cell::Count(_)
                    | Cell::Percent(_)
                    | Cell::Delay(_)
                    | Cell::Change { .. }
                    | Cell::RateChange { .. }
            )
        })
        .map(|&i| row[i].show(lang, Zone::Utc))
        .collect()
}

/// Each figure of the row in `line`, in order.
fn assert_in_order(line: &str, figures: &[String], what: &str) {
    let mut at = 0;
    for f in figures {
        at = find(line, at, f, what) + f.len();
    }
}

/// The rows of a section's table in each format, checked against the model.
fn check_rows(s: &Section, text: &str, md: &str, page: &str, lang: Lang, what: &str) {
    let Some(t) = s.people_table() else { return };
    // Text: the rows follow the rule line under the header.
    let text_rows: Vec<&str> = text
        .lines()
        .skip_while(|l| l.len() < 3 || !l.chars().all(|c| c == '-'))
        .skip(1)
        .take(t.rows.len())
        .collect();
    // Markdown: the pipe rows after the delimiter row.
    let delim = find(md, 0, "| ---", what);
    let md_rows: Vec<&str> = md[delim..].lines().skip(1).take(t.rows.len()).collect();
    // HTML: the rows of the table's body.
    let body = find(page, 0, "<tbody>", what);
    let html_rows: Vec<&str> = page[body..].split("<tr>").skip(1).take(t.rows.len()).collect();
    for (name, rows, keep) in [
        ("table", &text_rows, t.shown(|x| x.text)),
        ("markdown", &md_rows, t.shown(|x| x.page)),
        ("html", &html_rows, t.shown(|x| x.page)),
    ] {
        assert_eq!(rows.len(), t.rows.len(), "{what} {name}: rows");
        for (k, (row, line)) in t.rows.iter().zip(rows.iter()).enumerate() {
            assert_in_order(
                line,
                &figures(row, &keep, lang),
                &format!("{what} {name} row {k}"),
            );
        }
    }
}

/// `v` from `at` to `next` (or its end).
fn end(v: &str, at: usize, next: Option<usize>) -> &str {
    &v[at..next.unwrap_or(v.len())]
}

/// The sections of one report, found in each format in order, each with
/// its numbers.
fn check(report: &Report<'_>, what: &str) {
    let lang = report.lang;
    let sections = model::sections(report, false);
    let text = render(report, table::write);
    let md = render(report, markdown::write);
    let page = render(report, html::write);
    let (mut t_at, mut m_at, mut h_at) = (0, 0, 0);
    let mut starts = Vec::new();
    for s in &sections {
        let what = format!("{what}, section {:?}", s.id);
        let t = find(&text, t_at, &format!("\n{}", s.title), &what);
        let m = find(&md, m_at, &format!("\n## {}", s.title), &what);
        let h = if s.id == Id::Totals {
            find(&page, h_at, "<div class=\"cards\">", &what)
        } else {
            find(&page, h_at, &format!("<h2>{}", s.title), &what)
        };
        (t_at, m_at, h_at) = (t + 1, m + 1, h + 1);
        starts.push((t, m, h));
    }
    for (i, s) in sections.iter().enumerate() {
        let (t, m, h) = starts[i];
        let next = starts.get(i + 1);
        let (t, m, h) = (
            end(&text, t, next.map(|n| n.0)),
            end(&md, m, next.map(|n| n.1)),
            end(&page, h, next.map(|n| n.2)),
        );
        let what = format!("{what}, section {:?}", s.id);
        for (name, chunk) in [("table", t), ("markdown", m), ("html", h)] {
            if let Some(count) = &s.count {
                let shown = match name {
                    "markdown" => markdown::escape(count),
                    "html" => html::escape(count),
                    _ => count.clone(),
                };
                assert!(chunk.contains(&shown), "{what} {name}: no {shown:?} in\n{chunk}");
            }
            for a in &s.advice {
                assert!(chunk.contains(&a.counts), "{what} {name}: no {:?}", a.counts);
            }
            for f in &s.facts {
                for v in &f.values {
                    if let Cell::Count(n) = v {
                        assert!(chunk.contains(&super::text::thousands(*n)), "{what} {name}: {n}");
                    }
                }
            }
        }
        if s.id == Id::Totals {
            // One row of figures (two with a comparison): in the text and
            // Markdown tables, and on the HTML cards.
            let tb = s.table.as_ref().expect("totals");
            for (name, chunk, keep) in [
                ("table", t, tb.shown(|x| x.text)),
                ("markdown", m, tb.shown(|x| x.page)),
                ("html", h, tb.shown(|x| x.page)),
            ] {
                for row in &tb.rows {
                    assert_in_order(chunk, &figures(row, &keep, lang), &format!("{what} {name}"));
                }
            }
            continue;
        }
        check_rows(s, t, m, h, lang, &what);
    }
}

/// CSV: the `--by` section's table, complete, cell for cell.
fn check_csv(report: &Report<'_>, what: &str) {
    let out = render(report, csv::write);
    let t = model::breakdown(report).expect("a table");
    let keep = t.shown(|x| x.data);
    let mut rdr = ::csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let keys: Vec<&str> = keep.iter().map(|&i| t.columns[i].key).collect();
    assert_eq!(header, keys, "{what}");
    let rows: Vec<::csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("records");
    assert_eq!(rows.len(), t.rows.len(), "{what}: every row");
    for (row, want) in rows.iter().zip(&t.rows) {
        for (j, &i) in keep.iter().enumerate() {
            if let Cell::Count(n) = want[i] {
                assert_eq!(row[j], n.to_string(), "{what}: {}", t.columns[i].key);
            }
        }
    }
}

#[test]
fn every_section_in_every_format_has_the_same_numbers() {
    let (analysis, catalogue) = sample();
    let earlier = previous(&analysis);
    let bys = [
        None,
        Some(By::Domain),
        Some(By::Cause),
        Some(By::Relay),
        Some(By::Hour),
        Some(By::Sender),
        Some(By::SenderDomain),
        Some(By::Host),
        Some(By::Unclassified),
        Some(By::Incident),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for by in bys {
        for lang in [Lang::En, Lang::Zh] {
            for compare in [None, Some(&earlier)] {
                let report = Report {
                    analysis: &analysis,
                    catalogue: &catalogue,
                    lang,
                    top: 5,
                    by,
                    missing: &[],
                    window: Window::default(),
                    zone: Zone::Utc,
                    alerts: &[],
                    previous: compare,
                    warnings: &[],
                    estimated: &[],
                    merged: false,
                    chains: &crate::merge::Chains::NONE,
                };
                let what = format!("--by {by:?} --lang {lang:?} compare {}", compare.is_some());
                for s in model::sections(&report, false) {
                    seen.insert(format!("{:?}", s.id));
                }
                check(&report, &what);
                check_csv(&report, &what);
            }
        }
    }
    // The sample has something for every section.
    for id in [
        Id::Totals,
        Id::Domains,
        Id::Relays,
        Id::SenderDomains,
        Id::Senders,
        Id::Hosts,
        Id::Causes,
        Id::Deferrals,
        Id::Incidents,
        Id::Compared,
        Id::Advice,
        Id::Health,
        Id::Unclassified,
        Id::Hours,
    ] {
        assert!(seen.contains(&format!("{id:?}")), "no {id:?} section");
    }
}
