//! Parses the arguments, calls `bounce_report::run`, and turns its outcome
//! into an exit status. Nothing else.

use std::io::{self, Write};

use bounce_report::cli::Args;
use bounce_report::exit_codes::ExitCode;
use bounce_report::UsageError;
use clap::Parser;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { ExitCode::Usage.code() } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    // BOUNCE_REPORT_NOW (RFC 3339) stands in for the clock, so that "today",
    // "24h" and "15m" can be tested on logs made earlier; like
    // SOURCE_DATE_EPOCH, it is for tests and reproductions.
    let now = std::env::var("BOUNCE_REPORT_NOW")
        .ok()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
    let config = match args.config(now) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bounce-report: {e}");
            std::process::exit(ExitCode::Usage.code());
        }
    };
    // Closed, standard output is /dev/null (the runtime's): the report
    // would be lost with exit status 0.
    let to_stdout = config.output.is_none()
        && !matches!(args.command, Some(bounce_report::cli::Command::Patterns { .. }));
    if to_stdout && bounce_report::report::output::stdout_was_closed() {
        eprintln!("bounce-report: standard output is closed: the report would be lost; redirect it, or give -o FILE");
        std::process::exit(ExitCode::InputError.code());
    }
    let stdout = io::stdout();
    // Buffered and locked: one write per block, not per line.
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut err = io::stderr();
    let result = bounce_report::run(&config, args.command.as_ref(), &mut out, &mut err);
    let result = result.and_then(|code| {
        out.flush()
            .map(|()| code)
            .map_err(|e| anyhow::Error::new(e).context("writing the output"))
    });
    let code = match result {
        Ok(code) => code,
        // A closed pipe (`bounce-report … | head`) is how a reader says it
        // has seen enough: end quietly, as ripgrep and xsv do.
        Err(e) if is_broken_pipe(&e) => ExitCode::Success,
        Err(e) => {
            let _ = writeln!(err, "bounce-report: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::Usage
            } else {
                ExitCode::InputError
            }
        }
    };
    std::process::exit(code.code());
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
