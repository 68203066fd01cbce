//! Criterion benchmarks: line splitting, line parsing and the whole pipeline
//! over the committed sample log (in memory, or read through the pipeline's
//! reader from the page cache). Big inputs for whole-program comparisons come
//! from `../shared/tools/gen-maillog` and are never committed.

use std::path::PathBuf;
use std::sync::Arc;

use bounce_report::classify::Catalogue;
use bounce_report::input::Source;
use bounce_report::parse::{parse_line, YearContext};
use bounce_report::pipeline::{analyse, for_each_candidate, Options};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/maillog")
}

/// Cutting a buffer into lines, and finding the lines worth parsing, as a
/// worker does with each chunk: against a plain newline count, the floor.
fn split(c: &mut Criterion) {
    let one = std::fs::read(sample()).expect("fixtures/maillog");
    // About 4 MiB, so that the buffer is not all in the first-level caches.
    let bytes: Vec<u8> = one.iter().copied().cycle().take(one.len() * 9).collect();
    let mut g = c.benchmark_group("split");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("newlines counted", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', &bytes).count())
    });
    g.bench_function("every line cut", |b| {
        b.iter(|| bytes.split(|&b| b == b'\n').map(<[u8]>::len).sum::<usize>())
    });
    g.bench_function("candidate lines found", |b| {
        b.iter(|| {
            let mut n = 0;
            let lines = for_each_candidate(&bytes, |start, end| n += end - start);
            (n, lines)
        })
    });
    g.finish();
}

/// The floor under the whole program on a big log: what finding its
/// candidate lines and counting its newlines cost, chunk by chunk as the
/// workers do (in one pass), with nothing parsed; a newline count alone
/// beside it. Runs only when `BENCH_LOG` names a log
/// (`BENCH_LOG=/tmp/bench/maillog-1G cargo bench --bench pipeline -- floor`),
/// read into memory first: compare with `grep -c status=` on the same file.
fn floor(c: &mut Criterion) {
    let Some(path) = std::env::var_os("BENCH_LOG") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("BENCH_LOG names a readable file");
    // Chunks of 512 KiB cut after a newline, as the reader makes them.
    let mut chunks = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let end = (at + (512 << 10)).min(bytes.len());
        let cut = memchr::memrchr(b'\n', &bytes[at..end]).map_or(end, |i| at + i + 1);
        chunks.push(&bytes[at..cut]);
        at = cut;
    }
    let mut g = c.benchmark_group("floor");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("newlines counted", |b| {
        b.iter(|| {
            chunks
                .iter()
                .map(|c| memchr::memchr_iter(b'\n', c).count())
                .sum::<usize>()
        })
    });
    g.bench_function("candidate lines found, lines counted", |b| {
        b.iter(|| {
            let mut n = 0;
            let mut lines = 0;
            for c in &chunks {
                lines += for_each_candidate(c, |_, _| n += 1).newlines;
            }
            (n, lines)
        })
    });
    g.finish();
}

fn parse(c: &mut Criterion) {
    let bytes = std::fs::read(sample()).expect("fixtures/maillog");
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let years = YearContext::now();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("every line", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter(|l| !matches!(parse_line(l, &years), bounce_report::parse::Parsed::Other))
                .count()
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let path = sample();
    let len = std::fs::metadata(&path).expect("fixtures/maillog").len();
    let source = Source {
        name: "maillog".into(),
        modified: None,
        path: Some(path),
        command: None,
        range: None,
    };
    let catalogue = Arc::new(Catalogue::load(None).expect("built-in catalogue"));
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(len));
    for threads in [1, 2] {
        let options = Options {
            threads,
            chunk_size: 256 << 10,
            keep_events: false,
            window: Default::default(),
            progress: false,
            hosts: Vec::new(),
            stats: false,
            ..Options::default()
        };
        g.bench_function(format!("{threads} threads"), |b| {
            b.iter(|| {
                analyse(
                    std::slice::from_ref(&source),
                    catalogue.clone(),
                    &options,
                    &mut |_| Ok(()),
                )
                .expect("runs")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, split, floor, parse, pipeline);
criterion_main!(benches);
