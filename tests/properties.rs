//! Issue 21, property tests: parsing never panics on arbitrary bytes, the
//! way input is cut into pieces never changes the result, and merging the
//! workers' summaries is associative.

use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use bounce_report::aggregate::Summary;
use bounce_report::classify::Catalogue;
use bounce_report::input;
use bounce_report::parse::journal::to_syslog;
use bounce_report::parse::{parse_line, YearContext};
use bounce_report::pipeline::{self, Options};
use proptest::prelude::*;

use crate::common::*;

fn catalogue() -> Arc<Catalogue> {
    static CATALOGUE: OnceLock<Arc<Catalogue>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| Arc::new(Catalogue::load(None).expect("the built-in catalogue")))
        .clone()
}

/// The first `max` bytes of a fixture, cut after a whole line.
fn head(name: &str, max: usize) -> Vec<u8> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let cut = bytes[..max.min(bytes.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    bytes[..cut].to_vec()
}

/// Lines of the sample logs to take apart.
fn sample_lines() -> &'static [Vec<u8>] {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mut lines = Vec::new();
        for name in ["maillog", "dirty.log", "incident.log"] {
            let bytes = std::fs::read(fixture(name)).unwrap();
            lines.extend(
                bytes
                    .split(|&b| b == b'\n')
                    .filter(|l| l.windows(8).any(|w| w == b"postfix/"))
                    .step_by(97)
                    .map(<[u8]>::to_vec),
            );
        }
        lines
    })
}

/// Analyses `path` with `options`, one worker and 256 KiB chunks unless
/// they say otherwise.
fn summary_of(path: &Path, options: &Options) -> Summary {
    let (sources, missing) = input::resolve(&[path.to_path_buf()]);
    assert!(missing.is_empty());
    pipeline::analyse(&sources, catalogue(), options, &mut |_| Ok(()))
        .expect("the analysis runs")
        .summary
}

fn one_thread() -> Options {
    Options {
        threads: 1,
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes: the line parser and the journal reader return.
    #[test]
    fn issue_21_parsing_arbitrary_bytes_never_panics(line in proptest::collection::vec(any::<u8>(), 0..600)) {
        let years = YearContext::now();
        let _ = parse_line(&line, &years);
        let mut out = Vec::new();
        if to_syslog(&line, &mut out) {
            let _ = parse_line(&out, &years);
        }
    }

    /// Real lines with bytes overwritten, inserted or cut at any place:
    /// the shapes a parser meets in damaged logs.
    #[test]
    fn issue_21_parsing_damaged_real_lines_never_panics(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let lines = sample_lines();
        let mut line = lines[pick.index(lines.len())].clone();
        for (at, byte, kind) in edits {
            let i = at.index(line.len() + 1);
            match kind {
                0 if i < line.len() => line[i] = byte,
                1 => line.insert(i, byte),
                _ => { line.remove(i.min(line.len().saturating_sub(1)).min(line.len())); }
            }
            if line.is_empty() {
                line.push(byte);
            }
        }
        let years = YearContext::now();
        let _ = parse_line(&line, &years);
        let _ = parse_line(&line[..cut.index(line.len() + 1)], &years);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The reader cuts its input into chunks (and, with more than one
    /// worker, into spans) at positions set by `chunk_size`, not by the
    /// lines: any chunk size and worker count give the same summary.
    #[test]
    fn issue_21_any_chunking_gives_the_same_summary(chunk_size in 1usize..20_000, threads in 1usize..4) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maillog");
        std::fs::write(&path, sample_log()).unwrap();
        let whole = summary_of(&path, &one_thread());
        let cut = summary_of(&path, &Options { threads, chunk_size, ..Options::default() });
        prop_assert_eq!(cut, whole);
    }

    /// Summaries of three consecutive pieces of a log, merged as
    /// (a + b) + c and as a + (b + c), are equal: workers may be merged in
    /// any grouping.
    #[test]
    fn issue_21_summary_merge_is_associative(
        first in any::<prop::sample::Index>(),
        second in any::<prop::sample::Index>(),
    ) {
        let log = sample_log();
        let line_ends: Vec<usize> = log.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i + 1).collect();
        let mut cuts = [line_ends[first.index(line_ends.len())], line_ends[second.index(line_ends.len())]];
        cuts.sort_unstable();
        let dir = tempfile::tempdir().unwrap();
        let mut parts = Vec::new();
        for (i, piece) in [&log[..cuts[0]], &log[cuts[0]..cuts[1]], &log[cuts[1]..]].into_iter().enumerate() {
            let path = dir.path().join(format!("part{i}"));
            std::fs::write(&path, piece).unwrap();
            parts.push(summary_of(&path, &one_thread()));
        }
        let [a, b, c]: [Summary; 3] = parts.try_into().unwrap();
        let mut left = a.clone();
        left.merge(b.clone());
        left.merge(c.clone());
        let mut right_tail = b;
        right_tail.merge(c);
        let mut right = a;
        right.merge(right_tail);
        prop_assert_eq!(left, right);
    }
}

/// 120 KiB of the sample log, with some damaged lines from `dirty.log`.
fn sample_log() -> &'static [u8] {
    static LOG: OnceLock<Vec<u8>> = OnceLock::new();
    LOG.get_or_init(|| {
        let mut log = head("maillog", 96 << 10);
        log.extend(head("dirty.log", 24 << 10));
        log
    })
}

/// Standard input written in pieces cut at arbitrary bytes (each flushed,
/// so the reader sees short reads there) gives the report the same file
/// gives.
#[test]
fn issue_21_stdin_in_arbitrary_pieces_gives_the_file_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maillog");
    std::fs::write(&path, sample_log()).unwrap();
    let expected = json(&["-f", "json", "--threads", "1", path.to_str().unwrap()]);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 6,
        ..ProptestConfig::default()
    });
    let pieces = proptest::collection::vec(1usize..5000, 1..40);
    runner
        .run(&(pieces, 1usize..3), |(sizes, threads)| {
            let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bounce-report"))
                .env("TZ", "UTC")
                .env("LANG", "C")
                .args(["-f", "json", "--threads", &threads.to_string(), "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let log = sample_log();
            let mut at = 0;
            for size in sizes.iter().cycle() {
                if at >= log.len() {
                    break;
                }
                let end = (at + size).min(log.len());
                stdin.write_all(&log[at..end]).unwrap();
                stdin.flush().unwrap();
                at = end;
            }
            drop(stdin);
            let out = child.wait_with_output().unwrap();
            prop_assert!(out.status.success());
            let mut got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let mut want = expected.clone();
            // Only the input's name may differ (`-` and the file's).
            for v in [&mut got, &mut want] {
                for file in v["files"].as_array_mut().unwrap() {
                    file.as_object_mut().unwrap().remove("name");
                }
            }
            prop_assert_eq!(got, want);
            Ok(())
        })
        .unwrap();
}
