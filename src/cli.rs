//! The command line: clap's derive `Args`, turned once into a frozen [`Config`].
//! The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use chrono::{DateTime, Utc};

use crate::alert::Condition;
use crate::cause::Cause;
use crate::classify::Lang;
use crate::window::{self, BadTime, Day, Window, Zone};

/// Why is my Postfix server's mail bouncing or deferred? Reads Postfix mail
/// logs (plain or gzip, rotated sets, standard input) and reports failures
/// per recipient domain and cause, with what to do about them.
#[derive(Parser, Debug)]
#[command(name = "bounce-report", version)]
pub struct Args {
    /// Mail log files, directories of them, or - for standard input.
    /// Default: /var/log/maillog, else /var/log/mail.log.
    #[arg(value_name = "LOG")]
    pub inputs: Vec<PathBuf>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Rows per table in the text report.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,

    /// Which breakdown to show (text report) or write (csv). Default: domains
    /// and causes in the text report, domains in csv.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub by: Option<By>,

    /// Worker threads. Default: one per core. With 1, the run keeps to one
    /// thread (reading and decompressing too); with more, the workers read
    /// plain files themselves, and a reader (which decompresses), a
    /// dispatcher and the main thread (which puts results in order) run
    /// beside them. At most 4 per core (and at least 8 are allowed).
    #[arg(long, value_name = "N", global = true, value_parser = threads_value)]
    pub threads: Option<usize>,

    /// Bytes per chunk of input (a tuning and testing knob).
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 10, hide = true)]
    pub chunk_size: usize,

    /// Print on standard error what the run holds in memory at its end
    /// (for benchmarks: what peak memory is made of).
    #[arg(long, global = true, hide = true)]
    pub stats: bool,

    /// A directory of pattern files that add to or replace the built-in
    /// catalogue (a file named like a built-in one replaces it).
    #[arg(long, value_name = "DIR", global = true)]
    pub patterns: Option<PathBuf>,

    /// Count only events at or after TIME: RFC 3339, a date (2026-11-21),
    /// a local time (2026-11-21T06:00), today, yesterday, or a span back
    /// from now (24h, 7d, 30m).
    #[arg(long, value_name = "TIME", global = true)]
    pub since: Option<String>,

    /// Count only events before TIME (same forms as --since).
    #[arg(long, value_name = "TIME", global = true)]
    pub until: Option<String>,

    /// A whole calendar day, as pflogsumm's -d: today or yesterday.
    #[arg(short = 'd', long = "day", value_enum, value_name = "DAY", conflicts_with_all = ["since", "until"], global = true)]
    pub day: Option<DayArg>,

    /// Count only the events logged by these hosts (repeatable).
    #[arg(long = "host", value_name = "HOST", global = true)]
    pub hosts: Vec<String>,

    /// A relay that is a content filter (HOST, HOST:PORT or [ADDRESS]:PORT;
    /// repeatable): mail sent to it is counted as handed to filter, not as
    /// sent, as is mail sent to a relay on a loopback address, localhost or
    /// a Unix socket that answers "queued as" (amavis on 127.0.0.1:10024).
    // The text is --help's, where "[ADDRESS]" is literal, not a doc link.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long = "content-filter-relay", value_name = "RELAY", global = true)]
    pub content_filter_relays: Vec<String>,

    /// Replace the local part of every recipient and sender address with a
    /// short stable hash, in every output.
    #[arg(long, global = true)]
    pub mask: bool,

    /// Read the Postfix units' journal (`journalctl -u postfix* -o json`,
    /// for the window) instead of log files.
    #[arg(long)]
    pub journal: bool,

    /// Days, dates and times in UTC instead of the local zone (TZ).
    #[arg(long, global = true)]
    pub utc: bool,

    /// Exit with status 3 when CONDITION holds, naming it on stderr (the
    /// report is still written). Repeatable. E.g. bounce_rate>5%,
    /// bounced>100, cause:blocked>0, domain:gmail.com:deferred>50,
    /// stale>2h (the last Postfix line is older than 2 hours), lines<1 (no
    /// line read; with a window, no Postfix line in it).
    #[arg(long = "fail-if", value_name = "CONDITION")]
    pub fail_if: Vec<Condition>,

    /// Print nothing unless a --fail-if condition is crossed (for cron,
    /// which mails only what is printed).
    #[arg(short, long)]
    pub quiet: bool,

    /// Mark what is new, up or down against an earlier run's --format json.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub compare: Option<PathBuf>,

    /// Write the output to FILE instead of standard output, atomically (a
    /// temporary file beside it, renamed into place).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Resume where the last run with this FILE stopped (for frequent cron
    /// runs): read only what was added to the logs since, follow rotation
    /// and truncation, and report counts over all runs since the first
    /// (so Prometheus counters only grow). The file is replaced only after
    /// a run that read every input. Not with --since, --until, -d or
    /// --journal.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["since", "until", "day", "journal"])]
    pub state: Option<PathBuf>,

    /// Language of the report for people (titles, headings, sentences,
    /// descriptions and advice); JSON keys, CSV keys and cause names stay
    /// English. Default: from LANG.
    #[arg(long, value_enum, global = true)]
    pub lang: Option<LangArg>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Classify reply texts: one per line on standard input, or as arguments.
    Classify {
        /// Reply texts. Default: lines of standard input.
        texts: Vec<String>,
        /// Name the rule that decided, with its file and line.
        #[arg(long)]
        explain: bool,
        /// Output format.
        #[arg(short = 'f', long, value_enum, default_value_t = ClassifyFormat::Text)]
        format: ClassifyFormat,
    },
    /// List the causes: class, description and what to do.
    Causes,
    /// Print the recipients to stop mailing (every address with a hard
    /// bounce or expiry) as CSV: address, domain, cause, count, first and
    /// last seen, last reply.
    Suppress {
        /// Mail log files, directories of them, or - for standard input.
        #[arg(value_name = "LOG")]
        inputs: Vec<PathBuf>,
        /// Only addresses with at least N such events.
        #[arg(long, value_name = "N", default_value_t = 1)]
        min_count: u64,
        /// The causes that put an address on the list (comma-separated),
        /// instead of the hard ones (user_unknown, host_unknown,
        /// not_accept, has_moved, suspend).
        #[arg(long, value_name = "CAUSES", value_delimiter = ',')]
        causes: Option<Vec<Cause>>,
    },
    /// Print a man page or a shell's completion script, made from the same
    /// definition as --help: `bounce-report generate man > bounce-report.1`,
    /// `bounce-report generate complete-bash > /etc/bash_completion.d/bounce-report`.
    Generate {
        /// What to print.
        #[arg(value_enum)]
        what: Generate,
    },
    /// Merge the `--format json` summaries of separate runs (one per host,
    /// day or file) into the summary of one run over all their input, in
    /// any format. Fields that cannot be merged exactly are named in the
    /// JSON's `estimated` and on stderr.
    Merge {
        /// Summaries written by `bounce-report --format json` (this version).
        #[arg(value_name = "SUMMARY.json", required = true)]
        inputs: Vec<PathBuf>,
        /// Output format (as the main command's -f).
        #[arg(short = 'f', long, value_enum)]
        format: Option<Format>,
    },
    /// Write the built-in pattern files into DIR, to edit and pass back
    /// with --patterns DIR (a file named like a built-in one replaces it).
    Patterns {
        /// Where to write them.
        #[arg(long, value_name = "DIR")]
        dump: PathBuf,
    },
}

/// What `bounce-report generate` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page (roff), for `man -l` or a man directory.
    Man,
    /// Completions for bash.
    CompleteBash,
    /// Completions for zsh (a `_bounce-report` file in `$fpath`).
    CompleteZsh,
    /// Completions for fish.
    CompleteFish,
    /// Completions for PowerShell.
    CompletePowershell,
    /// Completions for elvish.
    CompleteElvish,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A report for people.
    Table,
    /// One summary object (SPEC "Machine-readable output").
    Json,
    /// One JSON object per event, in log order.
    Jsonl,
    /// One breakdown (see --by) as CSV.
    Csv,
    /// The report as GitHub-flavoured Markdown, for tickets and chat.
    Markdown,
    /// The report as one self-contained HTML page with charts, safe to mail
    /// (no scripts, no external resources).
    Html,
    /// Metrics for node_exporter's textfile collector (with -o FILE.prom).
    Prometheus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClassifyFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Domain,
    Cause,
    Relay,
    Hour,
    /// The envelope sender (qmgr's from=).
    Sender,
    SenderDomain,
    /// The logging host, for logs collected from several mail hosts.
    Host,
    /// Reply texts no rule classified, normalised and grouped.
    Unclassified,
    /// Runs of failures to one domain with one cause, largest first.
    Incident,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DayArg {
    Today,
    Yesterday,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

/// The most `--threads` may ask for: 4 per core, and never fewer than 8.
/// The work is CPU-bound (two threads are 1.8 times as fast as one on two
/// cores, README "Performance"), so workers past the cores only add a
/// stack, buffers in flight and switching; 4 per core leaves room for
/// hyperthreads and for a container whose quota hides cores, and the floor
/// lets a script's fixed small count run on a one-core machine. Issue 21:
/// `--threads 100000` never finished, 10,000 took 76 s and 446 MB on a
/// 7-line file.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).max(8)
}

/// Reads `--threads`: a whole number up to [`max_threads`] (0 means the
/// default, one per core).
fn threads_value(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of threads"))?;
    let max = max_threads();
    if n > max {
        return Err(format!(
            "{n} threads is too many: at most {max} here (4 per core, never fewer than 8); \
             workers beyond the cores make a run no faster"
        ));
    }
    Ok(n)
}

/// Options that cannot be used: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum BadConfig {
    #[error(transparent)]
    Time(#[from] BadTime),
    /// `--until` at or before `--since` (issue 20): no event could count,
    /// and the report would read as an all-clear.
    #[error(
        "--until {until:?} ({until_at}) is not after --since {since:?} ({since_at}): \
         the window holds no time, so no event could be counted"
    )]
    EmptyWindow {
        since: String,
        since_at: String,
        until: String,
        until_at: String,
    },
}

/// The run's settings, decided once from the arguments and the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub inputs: Vec<PathBuf>,
    pub format: Format,
    pub top: usize,
    pub by: Option<By>,
    pub threads: usize,
    pub chunk_size: usize,
    pub stats: bool,
    pub patterns: Option<PathBuf>,
    pub lang: Lang,
    pub window: Window,
    pub zone: Zone,
    pub fail_if: Vec<Condition>,
    pub quiet: bool,
    pub compare: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub journal: bool,
    pub hosts: Vec<String>,
    pub content_filter_relays: Vec<String>,
    pub mask: bool,
    pub state: Option<PathBuf>,
    /// Now (the clock, or `BOUNCE_REPORT_NOW`), in seconds since the Unix
    /// epoch: `--fail-if stale>…` is measured against it.
    pub now: i64,
}

impl Args {
    /// The frozen configuration; times are read against `now`.
    pub fn config(&self, now: DateTime<Utc>) -> Result<Config, BadConfig> {
        let zone = if self.utc { Zone::Utc } else { Zone::Local };
        let window = match self.day {
            Some(DayArg::Today) => window::day_window(Day::Today, now, zone),
            Some(DayArg::Yesterday) => window::day_window(Day::Yesterday, now, zone),
            None => Window {
                since: self
                    .since
                    .as_deref()
                    .map(|t| window::parse_time(t, now, zone))
                    .transpose()?,
                until: self
                    .until
                    .as_deref()
                    .map(|t| window::parse_time(t, now, zone))
                    .transpose()?,
            },
        };
        if let (Some(since), Some(until)) = (window.since, window.until) {
            if until.unix <= since.unix {
                return Err(BadConfig::EmptyWindow {
                    since: self.since.clone().unwrap_or_default(),
                    since_at: window::show(since, zone),
                    until: self.until.clone().unwrap_or_default(),
                    until_at: window::show(until, zone),
                });
            }
        }
        Ok(Config {
            inputs: self.inputs.clone(),
            format: self.format,
            top: self.top,
            by: self.by,
            threads: self
                .threads
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            chunk_size: self.chunk_size.max(1),
            stats: self.stats,
            patterns: self.patterns.clone(),
            lang: match self.lang {
                Some(LangArg::En) => Lang::En,
                Some(LangArg::Zh) => Lang::Zh,
                None => Lang::from_env(),
            },
            window,
            zone,
            fail_if: self.fail_if.clone(),
            quiet: self.quiet,
            compare: self.compare.clone(),
            output: self.output.clone(),
            journal: self.journal,
            hosts: self.hosts.clone(),
            content_filter_relays: self.content_filter_relays.clone(),
            mask: self.mask,
            state: self.state.clone(),
            now: now.timestamp(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_up_to_the_ceiling_are_read_and_more_are_refused() {
        let max = max_threads();
        assert!(max >= 8);
        assert_eq!(threads_value("0"), Ok(0));
        assert_eq!(threads_value(&max.to_string()), Ok(max));
        let e = threads_value(&(max + 1).to_string()).unwrap_err();
        assert!(e.contains(&format!("at most {max}")), "{e}");
        assert!(threads_value("100000").is_err());
        assert!(threads_value("many").is_err());
    }
}
