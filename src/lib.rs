//! bounce-report: why a Postfix server's mail bounces or is deferred.
//!
//! Data flows one way: `input` (which files, decompression) → `scan`
//! (chunks of whole lines) → `pipeline` (rayon workers: `parse`, `classify`,
//! `correlate`, fold into `aggregate::Summary`) → `report`. `main` only
//! parses arguments, calls [`run`] and turns its outcome into an exit status.

pub mod aggregate;
pub mod alert;
pub mod cause;
pub mod classify;
pub mod cli;
pub mod compare;
pub mod correlate;
pub mod distinct;
pub mod event;
pub mod exit_codes;
pub mod handoff;
pub mod health;
pub mod incident;
pub mod input;
pub mod mask;
pub mod memory;
pub mod merge;
pub mod our_dns;
pub mod packed;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod scan;
pub mod segmented;
pub mod state;
pub mod suppress;
pub mod topk;
pub mod unclassified;
pub mod window;

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use anyhow::Context as _;

use crate::classify::{Catalogue, Classifier, Query};
use crate::cli::{Command, Config, Format};
use crate::exit_codes::ExitCode;

/// `a()` and `b()`, `b` on a thread of its own when `parallel`, else one
/// after the other on this thread (a run asked to keep to one thread).
pub(crate) fn both<A, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        let a = a();
        return (a, b());
    }
    std::thread::scope(|scope| {
        let b = scope.spawn(b);
        let a = a();
        (
            a,
            b.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    })
}

/// Runs one command line to completion, writing results to `out` and
/// warnings to `err`.
pub fn run(
    config: &Config,
    command: Option<&Command>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let catalogue =
        Arc::new(Catalogue::load_on(config.patterns.as_deref(), config.threads).map_err(UsageError::from)?);
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
        Some(Command::Generate { what }) => {
            generate(*what, out)?;
            Ok(ExitCode::Success)
        }
        Some(Command::Patterns { dump }) => {
            dump_patterns(dump, err)?;
            Ok(ExitCode::Success)
        }
        Some(Command::Merge { inputs, format }) => merge_summaries(
            config,
            &catalogue,
            inputs,
            format.unwrap_or(config.format),
            out,
            err,
        ),
        Some(Command::Suppress {
            inputs,
            min_count,
            causes,
        }) => suppress_list(config, catalogue, inputs, *min_count, causes.clone(), out, err),
        None => report_logs(config, catalogue, out, err),
    }
}

/// Prints the man page or a completion script for the whole command line
/// (subcommands included), from clap's definition.
fn generate(what: cli::Generate, out: &mut dyn Write) -> io::Result<()> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let mut command = cli::Args::command();
    let shell = match what {
        cli::Generate::Man => return clap_mangen::Man::new(command).render(out),
        cli::Generate::CompleteBash => Shell::Bash,
        cli::Generate::CompleteZsh => Shell::Zsh,
        cli::Generate::CompleteFish => Shell::Fish,
        cli::Generate::CompletePowershell => Shell::PowerShell,
        cli::Generate::CompleteElvish => Shell::Elvish,
    };
    clap_complete::generate(shell, &mut command, "bounce-report", out);
    Ok(())
}

/// The sources to read: the inputs (or the default log), and the journal
/// with `--journal`. Inputs that cannot be found are named on `err`.
fn sources(
    config: &Config,
    inputs: &[std::path::PathBuf],
    err: &mut dyn Write,
) -> io::Result<(Vec<input::Source>, Vec<input::InputError>)> {
    let (mut sources, missing) = if config.journal && inputs.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        input::resolve(inputs)
    };
    if config.journal {
        let (since, until) = (
            config.window.since.map(|t| t.unix),
            config.window.until.map(|t| t.unix),
        );
        sources.push(input::Source::journal(since, until));
    }
    for m in &missing {
        writeln!(err, "bounce-report: {m}")?;
    }
    Ok((sources, missing))
}

/// The pipeline's options for this run.
fn options(config: &Config, sources: &[input::Source], keep_events: bool) -> pipeline::Options {
    pipeline::Options {
        threads: config.threads,
        chunk_size: config.chunk_size,
        stats: config.stats,
        keep_events,
        incidents: true,
        distinct_recipients: true,
        window: config.window,
        hosts: config.hosts.clone(),
        filter_relays: handoff::FilterRelays::new(&config.content_filter_relays),
        // Only for a person watching a large input: never when stderr is
        // piped or logged (cron), nor with --quiet.
        progress: !config.quiet
            && std::io::IsTerminal::is_terminal(&std::io::stderr())
            && input::total_size(sources) >= PROGRESS_FROM_BYTES,
    }
}

/// `bounce-report suppress`: the hard-bounced recipients as CSV.
fn suppress_list(
    config: &Config,
    catalogue: Arc<Catalogue>,
    inputs: &[std::path::PathBuf],
    min_count: u64,
    causes: Option<Vec<cause::Cause>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let (sources, missing) = sources(config, inputs, err)?;
    output_is_no_input(config, &sources)?;
    // The list needs no incidents (and keeps its own watch on the resolver).
    let options = pipeline::Options {
        incidents: false,
        distinct_recipients: false,
        ..options(config, &sources, true)
    };
    let mut list = suppress::List::new(causes);
    let analysis = pipeline::analyse(&sources, catalogue, &options, &mut |e| {
        list.add(e);
        Ok(())
    })
    .context("reading the logs")?;
    check_hosts(config, &analysis)?;
    let code = read_status(&missing, &analysis, err)?;
    let empty = list.empty_recipients();
    if empty > 0 {
        writeln!(
            err,
            "bounce-report: {empty} event(s) with an empty recipient (to=<>) left off the list: there is no address to stop mailing"
        )?;
    }
    let (addresses, domains) = list.left_off_by_resolver();
    if addresses > 0 {
        writeln!(
            err,
            "bounce-report: {addresses} address(es) at {} left off: \"Host not found\" from this host's resolver for domains that resolved for other mail in the same run, or while most lookups failed; check the resolver (resolv.conf, the local DNS cache), not the addresses",
            report::escape::visible(&domains.join(", "))
        )?;
    }
    match &config.output {
        Some(path) => {
            let mut f = report::output::AtomicFile::create(path)
                .with_context(|| format!("writing {}", path.display()))?;
            list.write_csv(min_count, config.mask, &mut f)
                .with_context(|| writing(config))?;
            f.commit()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => list
            .write_csv(min_count, config.mask, out)
            .with_context(|| writing(config))?,
    }
    out.flush().with_context(|| writing(config))?;
    Ok(code)
}

/// Names on `err` the sources that stopped being read part-way; exit
/// status 1 when some input (missing or broken) was not read whole.
fn read_status(
    missing: &[input::InputError],
    analysis: &pipeline::Analysis,
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    for s in &analysis.sources {
        if let Some(e) = &s.error {
            writeln!(err, "bounce-report: {}: {e}", s.name)?;
        }
        if s.out_of_order > 0 {
            writeln!(
                err,
                "bounce-report: {}: {} lines stamped after --until came before lines inside the window (out of order: another host's clock, a jump); read on to the end of the file",
                s.name, s.out_of_order
            )?;
        }
    }
    Ok(if !missing.is_empty() || analysis.had_read_errors() {
        ExitCode::InputError
    } else {
        ExitCode::Success
    })
}

/// What a failed write was writing, for its message: `-o`'s file, or
/// standard output.
fn writing(config: &Config) -> String {
    match &config.output {
        Some(path) => format!("writing {}", path.display()),
        None => "writing the output".into(),
    }
}

/// `-o FILE` must not name an input (by device and inode, so through links
/// and other spellings too): the report would replace the log.
fn output_is_no_input(config: &Config, sources: &[input::Source]) -> Result<(), UsageError> {
    use std::os::unix::fs::MetadataExt;
    let Some(output) = &config.output else {
        return Ok(());
    };
    let Ok(out) = std::fs::metadata(output) else {
        return Ok(()); // not there yet: no input
    };
    match sources.iter().find(|s| {
        s.path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .is_some_and(|m| (m.dev(), m.ino()) == (out.dev(), out.ino()))
    }) {
        Some(s) => Err(UsageError::OutputIsInput(format!(
            "-o {} names the input {}: the report would replace the log; write it elsewhere",
            output.display(),
            s.name
        ))),
        None => Ok(()),
    }
}

/// Inputs smaller than this finish before a progress bar would help.
const PROGRESS_FROM_BYTES: u64 = 256 << 20;

/// A mistake on the command line or in a file it names: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Catalogue(#[from] classify::CatalogueError),
    #[error(transparent)]
    Compare(#[from] compare::BadPrevious),
    /// `--host` names a host that logged no Postfix line of the input
    /// (issue 20): a filter that can match nothing would report an
    /// all-clear.
    #[error("--host {names}: no Postfix line of the input was logged by {}; {}", if *.count > 1 { "them" } else { "it" }, seen_text(.seen))]
    UnknownHost {
        names: String,
        count: usize,
        seen: Vec<String>,
    },
    #[error("{0}")]
    OutputIsInput(String),
    #[error(transparent)]
    State(#[from] state::BadState),
    #[error(transparent)]
    Merge(#[from] merge::BadSummary),
    /// A format a merge cannot write.
    #[error("{0}")]
    MergeFormat(String),
}

/// The hosts of the input, for the message of [`UsageError::UnknownHost`].
fn seen_text(seen: &[String]) -> String {
    const SHOWN: usize = 10;
    match seen.len() {
        0 => "the input has no Postfix lines".to_string(),
        n if n <= SHOWN => format!("the hosts in it: {}", seen.join(", ")),
        n => format!(
            "the hosts in it: {}, and {} more",
            seen[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}

/// Refuses `--host` names that logged nothing in the input. Only when
/// every source was read whole: a source skipped or left early for the
/// time window, or unreadable, may hold the host.
fn check_hosts(config: &Config, analysis: &pipeline::Analysis) -> Result<(), UsageError> {
    if analysis
        .sources
        .iter()
        .any(|s| s.skipped.is_some() || s.error.is_some())
    {
        return Ok(());
    }
    let seen = &analysis.summary.hosts_seen;
    let unknown: Vec<&str> = config
        .hosts
        .iter()
        .filter(|h| !seen.contains(h.as_bytes()))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(UsageError::UnknownHost {
        names: unknown.join(", "),
        count: unknown.len(),
        seen: seen.iter().map(|h| event::lossy(h).into_owned()).collect(),
    })
}

fn report_logs(
    config: &Config,
    catalogue: Arc<Catalogue>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let previous = match &config.compare {
        Some(path) => Some(compare::Previous::load(path).map_err(UsageError::from)?),
        None => None,
    };
    let (sources, missing) = sources(config, &config.inputs, err)?;
    output_is_no_input(config, &sources)?;
    // --state: what the last run left, and what is left to read.
    let (sources, resumed) = match &config.state {
        Some(path) => {
            let saved = state::State::load(path).map_err(UsageError::from)?;
            let (sources, marks) = state::plan(sources, &saved.files, err)?;
            (sources, Some((saved, marks)))
        }
        None => (sources, None),
    };
    let options = options(config, &sources, config.format == Format::Jsonl);
    // -o FILE: written beside FILE and renamed into place only when the run
    // completes, so a metrics collector never reads half a file. With
    // --quiet, standard output is held back until we know whether an alert
    // fires: cron mails whatever is printed.
    let mut file = match &config.output {
        Some(path) => Some(
            report::output::AtomicFile::create(path)
                .with_context(|| format!("writing {}", path.display()))?,
        ),
        None => None,
    };
    let mut held = Vec::new();
    let target: &mut dyn Write = match (&mut file, config.quiet) {
        (Some(f), _) => f,
        (None, true) => &mut held,
        (None, false) => out,
    };
    let mut jsonl = report::jsonl::Writer::new(&catalogue, config.mask);
    let events_out =
        options.keep_events && !matches!(config.by, Some(cli::By::Unclassified | cli::By::Incident));
    // A failed write of an event ends the run as a failed read would: it
    // is told apart here, to say which it was.
    let mut write_failed = false;
    // --state: this run is the next of the state file's chain.
    let mut chains = merge::Chains::default();
    let (carried, resumed) = match resumed {
        Some((saved, marks)) => {
            let chain = state::ChainMark::next(saved.chain.as_ref());
            chains.run = Some(chain.clone());
            (
                Some(state::load_queues(saved.queues)),
                Some((saved.counts, marks, chain)),
            )
        }
        None => (None, None),
    };
    let analysis = pipeline::analyse_from(
        &sources,
        catalogue.clone(),
        &options,
        &mut |e| {
            if events_out {
                jsonl.write(target, e).inspect_err(|_| write_failed = true)
            } else {
                Ok(())
            }
        },
        carried,
    );
    let (mut analysis, open_queues) = match analysis {
        Ok(a) => a,
        Err(e) if write_failed => return Err(anyhow::Error::new(e).context(writing(config))),
        Err(e) => return Err(anyhow::Error::new(e).context("reading the logs")),
    };
    check_hosts(config, &analysis)?;
    // The counts of every run: the earlier ones' added to this one's, and
    // saved as they are before --mask hides addresses.
    let next_state = resumed.map(|(counts, files, chain)| {
        counts.add_to(&mut analysis.summary);
        state::State {
            version: state::VERSION,
            files,
            queues: open_queues.as_ref().map(state::save_queues).unwrap_or_default(),
            counts: state::Carried::of(&analysis.summary),
            chain: Some(chain),
        }
    });
    if config.mask {
        analysis.summary.mask_addresses();
        analysis.incidents.mask();
    }
    let mut code = read_status(&missing, &analysis, err)?;
    let run = alert::Run {
        now: config.now,
        windowed: config.window.since.is_some() || config.window.until.is_some(),
    };
    let alerts: Vec<(alert::Condition, f64)> = config
        .fail_if
        .iter()
        .filter_map(|c| c.crossed(&analysis.summary, run).map(|v| (c.clone(), v)))
        .collect();
    // No silent all-clear (issue 20): a report of no lines, or of a log
    // that stopped, says so in every format, and on stderr (but with
    // --quiet, whose alerts are `--fail-if lines<1` and `stale>…`).
    let warnings = report::input_warnings(&analysis, &config.fail_if, run, config.window, config.zone);
    if !config.quiet {
        for w in &warnings {
            writeln!(err, "bounce-report: warning: {w}")?;
        }
    }
    let report = report::Report {
        analysis: &analysis,
        catalogue: &catalogue,
        lang: config.lang,
        top: config.top,
        by: config.by,
        missing: &missing,
        window: config.window,
        zone: config.zone,
        alerts: &alerts,
        previous: previous.as_ref(),
        warnings: &warnings,
        estimated: &[],
        merged: false,
        chains: &chains,
    };
    match config.format {
        // `--by unclassified -f jsonl`: the groups, one per line.
        Format::Jsonl if config.by == Some(cli::By::Unclassified) => {
            report::jsonl::unclassified(&report, target)
        }
        // `--by incident -f jsonl`: the incidents, one per line.
        Format::Jsonl if config.by == Some(cli::By::Incident) => report::jsonl::incidents(&report, target),
        format => report::write_summary(format, &report, target),
    }
    .with_context(|| writing(config))?;
    if let Some(f) = file {
        let path = f.target().display().to_string();
        f.commit().with_context(|| format!("writing {path}"))?;
    }
    // Saved only after a run that read every input and wrote its report:
    // otherwise the next run reads the same lines again.
    if let (Some(next), Some(path)) = (&next_state, &config.state) {
        if code == ExitCode::Success {
            next.save(path)
                .with_context(|| format!("writing the state file {}", path.display()))?;
        } else {
            writeln!(
                err,
                "bounce-report: --state {}: not updated, as some input could not be read; the next run reads from the same offsets",
                path.display()
            )?;
        }
    }
    for (condition, value) in &alerts {
        writeln!(
            err,
            "bounce-report: alert: {condition} (value {})",
            condition.show(*value)
        )?;
    }
    if config.quiet && !alerts.is_empty() {
        out.write_all(&held).with_context(|| writing(config))?;
    }
    out.flush().with_context(|| writing(config))?;
    if !alerts.is_empty() {
        code = code.and(ExitCode::Alert);
    }
    Ok(code)
}

/// `bounce-report merge`: the summaries of separate runs as one report.
fn merge_summaries(
    config: &Config,
    catalogue: &Catalogue,
    paths: &[std::path::PathBuf],
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let inputs = paths
        .iter()
        .map(|p| merge::load(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(UsageError::from)?;
    let merged = merge::merge(inputs, catalogue).map_err(UsageError::from)?;
    for note in &merged.notes {
        writeln!(err, "bounce-report: merge: {note}")?;
    }
    if !merged.estimated.is_empty() {
        writeln!(
            err,
            "bounce-report: merge: estimated, not exact: {} (summaries of separate runs cannot give them exactly; README \"Many servers\")",
            merged.estimated.join(", ")
        )?;
    }
    let alerts: Vec<(alert::Condition, f64)> = config
        .fail_if
        .iter()
        .filter_map(|c| {
            // A merge has no window of its own: `lines` is every line read.
            let run = alert::Run {
                now: config.now,
                windowed: false,
            };
            c.crossed(&merged.analysis.summary, run).map(|v| (c.clone(), v))
        })
        .collect();
    let warnings = report::input_warnings(
        &merged.analysis,
        &config.fail_if,
        alert::Run {
            now: config.now,
            windowed: false,
        },
        merged.window,
        config.zone,
    );
    let report = report::Report {
        analysis: &merged.analysis,
        catalogue,
        lang: config.lang,
        top: config.top,
        by: config.by,
        missing: &[],
        window: merged.window,
        zone: config.zone,
        alerts: &alerts,
        previous: None,
        warnings: &warnings,
        estimated: &merged.estimated,
        merged: true,
        chains: &merged.chains,
    };
    let mut file = match &config.output {
        Some(path) => Some(
            report::output::AtomicFile::create(path)
                .with_context(|| format!("writing {}", path.display()))?,
        ),
        None => None,
    };
    let target: &mut dyn Write = match &mut file {
        Some(f) => f,
        None => out,
    };
    match format {
        Format::Jsonl if config.by == Some(cli::By::Incident) => report::jsonl::incidents(&report, target),
        Format::Jsonl => {
            return Err(UsageError::MergeFormat(
                "merge -f jsonl: summaries hold no events; use -f json, or --by incident -f jsonl".into(),
            )
            .into())
        }
        format => report::write_summary(format, &report, target),
    }
    .with_context(|| writing(config))?;
    if let Some(f) = file {
        let path = f.target().display().to_string();
        f.commit().with_context(|| format!("writing {path}"))?;
    }
    for (condition, value) in &alerts {
        writeln!(
            err,
            "bounce-report: alert: {condition} (value {})",
            condition.show(*value)
        )?;
    }
    out.flush().with_context(|| writing(config))?;
    Ok(if alerts.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::Alert
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

/// Entry points for the fuzz targets of `fuzz/` (issue 21); not part of the
/// supported interface.
#[doc(hidden)]
pub mod fuzzing {
    use std::io::{self, Write};
    use std::path::Path;
    use std::sync::Arc;

    use crate::classify::Catalogue;
    use crate::cli::By;
    use crate::window::{Window, Zone};
    use crate::{input, pipeline, report};

    /// Runs the whole pipeline over the file at `path` on one thread, as
    /// `bounce-report FILE` would, and writes every report format (and,
    /// with `by_all`, every `--by` breakdown of the table, JSON and CSV)
    /// into `out`. The events go out as JSON lines first.
    pub fn report_file(
        path: &Path,
        catalogue: Arc<Catalogue>,
        chunk_size: usize,
        by_all: bool,
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        let sources = [input::Source::file(path.to_path_buf())];
        let options = pipeline::Options {
            threads: 1,
            chunk_size,
            keep_events: true,
            ..pipeline::Options::default()
        };
        let mut jsonl = report::jsonl::Writer::new(&catalogue, false);
        let mut events = Vec::new();
        let mut analysis = pipeline::analyse(&sources, catalogue.clone(), &options, &mut |e| {
            jsonl.write(&mut events, e)
        })?;
        out.write_all(&events)?;
        let run = crate::alert::Run {
            now: 0,
            windowed: false,
        };
        let warnings = report::input_warnings(&analysis, &[], run, Window::default(), Zone::Utc);
        let mut report = plain_report(&analysis, &catalogue, &warnings, crate::classify::Lang::En, 20);
        report::json::write(&report, out)?;
        report::csv::write(&report, out)?;
        report::table::write(&report, out)?;
        report::markdown::write(&report, out)?;
        report::html::write(&report, out)?;
        report::prometheus::write_at(&report, 0, out)?;
        report::jsonl::incidents(&report, out)?;
        report::jsonl::unclassified(&report, out)?;
        if by_all {
            for by in [
                By::Domain,
                By::Cause,
                By::Relay,
                By::Hour,
                By::Sender,
                By::SenderDomain,
                By::Host,
                By::Unclassified,
                By::Incident,
            ] {
                report.by = Some(by);
                report::table::write(&report, out)?;
                report::csv::write(&report, out)?;
                report::json::write(&report, out)?;
            }
        }
        // --mask, as the run applies it, on the totals.
        analysis.summary.mask_addresses();
        analysis.incidents.mask();
        let report = plain_report(&analysis, &catalogue, &warnings, crate::classify::Lang::Zh, 3);
        report::table::write(&report, out)?;
        Ok(())
    }

    static NO_CHAINS: crate::merge::Chains = crate::merge::Chains::NONE;

    /// A report of `analysis` with no options but the language and `--top`.
    fn plain_report<'a>(
        analysis: &'a pipeline::Analysis,
        catalogue: &'a Catalogue,
        warnings: &'a [String],
        lang: crate::classify::Lang,
        top: usize,
    ) -> report::Report<'a> {
        report::Report {
            analysis,
            catalogue,
            lang,
            top,
            by: None,
            missing: &[],
            window: Window::default(),
            zone: Zone::Utc,
            alerts: &[],
            previous: None,
            warnings,
            estimated: &[],
            merged: false,
            chains: &NO_CHAINS,
        }
    }
}
