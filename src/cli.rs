//! The command line: clap's derive `Args`, turned once into a frozen [`Config`].
//! The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::classify::Lang;

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

    /// Worker threads. Default: one per core.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Bytes per chunk of input (a tuning and testing knob).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20, hide = true)]
    pub chunk_size: usize,

    /// A directory of pattern files that add to or replace the built-in
    /// catalogue (a file named like a built-in one replaces it).
    #[arg(long, value_name = "DIR", global = true)]
    pub patterns: Option<PathBuf>,

    /// Language of descriptions and advice. Default: from LANG.
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
    /// Write the built-in pattern files into DIR, to edit and pass back
    /// with --patterns DIR (a file named like a built-in one replaces it).
    Patterns {
        /// Where to write them.
        #[arg(long, value_name = "DIR")]
        dump: PathBuf,
    },
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
    SenderDomain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
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
    pub patterns: Option<PathBuf>,
    pub lang: Lang,
}

impl Args {
    pub fn config(&self) -> Config {
        Config {
            inputs: self.inputs.clone(),
            format: self.format,
            top: self.top,
            by: self.by,
            threads: self
                .threads
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            chunk_size: self.chunk_size.max(1),
            patterns: self.patterns.clone(),
            lang: match self.lang {
                Some(LangArg::En) => Lang::En,
                Some(LangArg::Zh) => Lang::Zh,
                None => Lang::from_env(),
            },
        }
    }
}
