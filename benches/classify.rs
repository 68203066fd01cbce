//! Classification of a realistic mix of replies (issue 3: "classification
//! of a realistic mix costs under 2 µs per reply on average").
//!
//! The mix: every reply of the hand-checked table (`tests/data/replies.toml`)
//! and every template of `../shared/tools/replies.tsv` (when `../shared` is
//! beside the checkout), with their relay and recipient domain.
//!
//! - `cold`: every distinct reply a cache miss, i.e. the full matcher; with
//!   the cache cleared before each pass (the regex engines' lazily built
//!   state stays, as in a worker that has run a while), and with a new
//!   classifier per pass (that state built anew too).
//! - `cached`: a warmed classifier, so every reply is a cache hit: parsing,
//!   masking and one hash lookup.
//! - `log_mix`: 20,000 replies drawn from the mix with their variable parts
//!   (addresses, IPs, ids, local parts) changed, as a log presents them, from
//!   an empty cache: the first of each masked form misses, the rest hit.
//!
//! Throughput is in replies (`Throughput::Elements`); time per reply is the
//! reported time divided by the element count shown in each group's name.
//! Run: `cargo bench --bench classify` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use bounce_report::cause::Status;
use bounce_report::classify::{Catalogue, Classifier, Dsn, Query};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde::Deserialize;

/// One reply with what the log line carries besides it.
#[derive(Clone)]
struct Reply {
    text: String,
    relay: Option<String>,
    domain: Option<String>,
    dsn: Option<Dsn>,
    status: Status,
}

impl Reply {
    fn query(&self) -> Query<'_> {
        Query {
            reply: self.text.as_bytes(),
            dsn: self.dsn,
            relay: self.relay.as_deref().map(str::as_bytes),
            domain: self.domain.as_deref().map(str::as_bytes),
            status: self.status,
        }
    }
}

#[derive(Deserialize)]
struct Table {
    reply: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    reply: String,
    status: String,
    relay: Option<String>,
    domain: Option<String>,
}

fn status(s: &str) -> Status {
    if s == "deferred" {
        Status::Deferred
    } else {
        Status::Bounced
    }
}

/// The hand-checked table's replies.
fn table(root: &Path) -> Vec<Reply> {
    let path = root.join("tests/data/replies.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table: Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    table
        .reply
        .into_iter()
        .map(|e| Reply {
            status: status(&e.status),
            text: e.reply,
            relay: e.relay,
            domain: e.domain,
            dsn: None,
        })
        .collect()
}

/// The generator's templates: (status, dsn, template, provider).
fn templates(root: &Path) -> Vec<(String, String, String, String)> {
    let path = root.join("../shared/tools/replies.tsv");
    let Ok(tsv) = std::fs::read_to_string(&path) else {
        eprintln!("note: {} not found; the mix is the table only", path.display());
        return Vec::new();
    };
    tsv.lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 4).then(|| {
                (
                    c[1].to_string(),
                    c[2].to_string(),
                    c[3].to_string(),
                    c.get(4).copied().unwrap_or("").to_string(),
                )
            })
        })
        .collect()
}

/// A template filled in; `n` varies the parts a log varies.
fn fill(t: &(String, String, String, String), n: u32) -> Reply {
    let (status_s, dsn, template, provider) = t;
    let (mx, domain) = match provider.as_str() {
        "google" => ("gmail-smtp-in.l.google.com", "gmail.com"),
        "microsoft" => ("outlook-com.olc.protection.outlook.com", "outlook.com"),
        "yahoo" => ("mta7.am0.yahoodns.net", "yahoo.com"),
        "qq" => ("mx3.qq.com", "qq.com"),
        "netease" => ("163mx01.mxmail.netease.com", "163.com"),
        "mimecast" => ("eu-smtp-inbound-2.mimecast.com", "example-corp.co.uk"),
        "cn" => ("mx.example-trade.com.cn", "example-trade.com.cn"),
        _ => ("mx1.example-shop.com", "example-shop.com"),
    };
    let local = format!("user{}", n % 997);
    let text = template
        .replace("{mx}", mx)
        .replace("{host}", mx)
        .replace("{ip}", &format!("203.0.{}.{}", n % 200, n % 250 + 1))
        .replace("{myip}", "198.51.100.7")
        .replace("{rcpt}", &format!("{local}@{domain}"))
        .replace("{local}", &local)
        .replace("{domain}", domain)
        .replace("{sender}", "news@example.org")
        .replace("{senderdomain}", "example.org")
        .replace("{n}", &format!("{}", 10_000 + n * 7919 % 90_000));
    let relay_none = ["connect to", "Host or domain name not found", "Domain "]
        .iter()
        .any(|p| text.starts_with(p));
    Reply {
        relay: Some(if relay_none {
            "none".to_string()
        } else {
            format!("{mx}[203.0.113.25]:25")
        }),
        domain: Some(domain.to_string()),
        dsn: Dsn::parse(dsn.as_bytes()),
        status: status(status_s),
        text,
    }
}

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalogue = Arc::new(Catalogue::load(None).expect("built-in catalogue"));
    let table = table(root);
    let templates = templates(root);

    // The distinct mix: the table, and each template once.
    let mut distinct: Vec<Reply> = table.clone();
    distinct.extend(templates.iter().map(|t| fill(t, 1)));
    let distinct_queries: Vec<Query<'_>> = distinct.iter().map(Reply::query).collect();

    // A log-like stream: templates with changing variable parts, and table
    // replies as they are, drawn with a fixed pseudo-random sequence.
    let mut stream = Vec::with_capacity(20_000);
    let mut x: u32 = 0x2545_f491;
    for i in 0..20_000u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let pick = x as usize % (table.len() + templates.len());
        stream.push(if pick < table.len() {
            table[pick].clone()
        } else {
            fill(&templates[pick - table.len()], i)
        });
    }
    let stream_queries: Vec<Query<'_>> = stream.iter().map(Reply::query).collect();

    let n = distinct_queries.len() as u64;

    // Cold: every reply a cache miss, the matchers' scratch space warm (a
    // worker's state after its first few replies).
    let mut group = c.benchmark_group(format!("classify/cold ({n} replies)"));
    group.throughput(Throughput::Elements(n));
    let mut cl = Classifier::new(Arc::clone(&catalogue));
    group.bench_function("cache cleared", |b| {
        b.iter(|| {
            cl.clear_cache();
            for q in &distinct_queries {
                black_box(cl.classify(q));
            }
        })
    });
    // A new classifier per pass: also the regex engines' lazily built
    // state is new (a worker's first replies).
    group.bench_function("new classifier", |b| {
        b.iter_batched(
            || Classifier::new(Arc::clone(&catalogue)),
            |mut cl| {
                for q in &distinct_queries {
                    black_box(cl.classify(q));
                }
                cl
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group(format!("classify/cached ({n} replies)"));
    group.throughput(Throughput::Elements(n));
    let mut warm = Classifier::new(Arc::clone(&catalogue));
    for q in &distinct_queries {
        warm.classify(q);
    }
    group.bench_function("warm cache", |b| {
        b.iter(|| {
            for q in &distinct_queries {
                black_box(warm.classify(q));
            }
        })
    });
    group.finish();

    // A log's stream from an empty cache: the first reply of each masked
    // form misses, the rest hit.
    let m = stream_queries.len() as u64;
    let mut probe = Classifier::new(Arc::clone(&catalogue));
    for q in &stream_queries {
        probe.classify(q);
    }
    eprintln!(
        "log_mix: {} of {m} replies are distinct masked forms (cache misses)",
        probe.cache_len()
    );
    let mut group = c.benchmark_group(format!("classify/log_mix ({m} replies)"));
    group.throughput(Throughput::Elements(m));
    group.sample_size(20);
    let mut cl = Classifier::new(Arc::clone(&catalogue));
    group.bench_function("cache cleared per pass", |b| {
        b.iter(|| {
            cl.clear_cache();
            for q in &stream_queries {
                black_box(cl.classify(q));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
