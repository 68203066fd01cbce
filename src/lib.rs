//! bounce-report: why a Postfix server's mail bounces or is deferred.
//!
//! Data flows one way: `input` (which files, decompression) → `scan`
//! (chunks of whole lines) → `pipeline` (rayon workers: `parse`, `classify`,
//! `correlate`, fold into `aggregate::Summary`) → `report`. `main` only
//! parses arguments, calls [`run`] and turns its outcome into an exit status.

pub mod aggregate;
pub mod cause;
pub mod classify;
pub mod cli;
pub mod correlate;
pub mod event;
pub mod exit_codes;
pub mod input;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod scan;

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use anyhow::Context as _;

use crate::classify::{Catalogue, Classifier, Query};
use crate::cli::{Command, Config, Format};
use crate::exit_codes::ExitCode;

/// Runs one command line to completion, writing results to `out` and
/// warnings to `err`.
pub fn run(
    config: &Config,
    command: Option<&Command>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let catalogue = Arc::new(Catalogue::load(config.patterns.as_deref()).map_err(UsageError::from)?);
    match command {
        Some(Command::Classify {
            texts,
            explain,
            format,
        }) => classify_texts(&catalogue, texts, *explain, *format, out),
        Some(Command::Causes) => {
            report::causes(&catalogue, config.lang, out)?;
            Ok(ExitCode::Success)
        }
        Some(Command::Patterns { dump }) => {
            dump_patterns(dump, err)?;
            Ok(ExitCode::Success)
        }
        None => report_logs(config, catalogue, out, err),
    }
}

/// A mistake on the command line or in a pattern file: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct UsageError(#[from] pub classify::CatalogueError);

fn report_logs(
    config: &Config,
    catalogue: Arc<Catalogue>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let (sources, missing) = input::resolve(&config.inputs);
    for m in &missing {
        writeln!(err, "bounce-report: {m}")?;
    }
    let options = pipeline::Options {
        threads: config.threads,
        chunk_size: config.chunk_size,
        keep_events: config.format == Format::Jsonl,
    };
    let mut jsonl = report::jsonl::Writer::new(&catalogue);
    let analysis = pipeline::analyse(&sources, catalogue.clone(), &options, &mut |e| {
        if options.keep_events {
            jsonl.write(out, e)
        } else {
            Ok(())
        }
    })
    .context("reading the logs")?;
    for s in &analysis.sources {
        if let Some(e) = &s.error {
            writeln!(err, "bounce-report: {}: {e}", s.name)?;
        }
    }
    let report = report::Report {
        analysis: &analysis,
        catalogue: &catalogue,
        lang: config.lang,
        top: config.top,
        by: config.by,
        missing: &missing,
    };
    match config.format {
        Format::Jsonl => {}
        Format::Json => report::json::write(&report, out)?,
        Format::Csv => report::csv::write(&report, out)?,
        Format::Table => report::table::write(&report, out)?,
    }
    out.flush()?;
    let read_error = !missing.is_empty() || analysis.had_read_errors();
    Ok(if read_error {
        ExitCode::InputError
    } else {
        ExitCode::Success
    })
}

fn classify_texts(
    catalogue: &Arc<Catalogue>,
    texts: &[String],
    explain: bool,
    format: cli::ClassifyFormat,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut classifier = Classifier::new(catalogue.clone());
    let mut one = |text: &[u8], out: &mut dyn Write| -> io::Result<()> {
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        // The provider, if any, comes from `host X[…]` in the text itself.
        let explanation = classifier.explain(&Query::text(text));
        report::classify_line(catalogue, text, &explanation, explain, format, out)
    };
    if texts.is_empty() {
        let stdin = io::stdin();
        let mut lock = stdin.lock();
        let mut line = Vec::new();
        while lock.read_until(b'\n', &mut line)? > 0 {
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            one(text, out)?;
            line.clear();
        }
    } else {
        for t in texts {
            one(t.as_bytes(), out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::Success)
}

/// `bounce-report patterns --dump DIR`: writes the built-in pattern files
/// out, to edit and use with `--patterns DIR`. Existing files are kept.
fn dump_patterns(dir: &std::path::Path, err: &mut dyn Write) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, contents) in classify::catalogue::builtin_files() {
        let path = dir.join(name);
        if path.exists() {
            writeln!(err, "bounce-report: {} exists, left as it is", path.display())?;
            continue;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
