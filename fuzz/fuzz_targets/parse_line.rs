//! The line parser on one arbitrary line: it never panics, and what it
//! returns lies inside the line.
#![no_main]

use std::sync::LazyLock;

use bounce_report::event::lower_domain;
use bounce_report::parse::{parse_line, parse_line_cached, Body, Parsed, TimeCache, YearContext};
use chrono::TimeZone;
use libfuzzer_sys::fuzz_target;

static YEARS: LazyLock<YearContext> =
    LazyLock::new(|| YearContext::new(chrono::Local.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()));

fuzz_target!(|line: &[u8]| {
    let parsed = parse_line(line, &YEARS);
    // The cached path agrees with the plain one, also on a second call
    // that hits the cache.
    let mut times = TimeCache::default();
    assert_eq!(parse_line_cached(line, &YEARS, &mut times), parsed);
    assert_eq!(parse_line_cached(line, &YEARS, &mut times), parsed);
    if let Parsed::Record(r) = parsed {
        if let Body::Delivery(d) = r.body {
            if let Some(domain) = d.domain() {
                let _ = lower_domain(domain);
            }
        }
    }
});
