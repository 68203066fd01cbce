//! The whole pipeline over an arbitrary input file (plain or compressed,
//! syslog or journal JSON lines), on one thread with small chunks, every
//! report format and breakdown written into memory.
#![no_main]

use std::sync::{Arc, LazyLock};

use bounce_report::classify::Catalogue;
use libfuzzer_sys::fuzz_target;

static CATALOGUE: LazyLock<Arc<Catalogue>> =
    LazyLock::new(|| Arc::new(Catalogue::load(None).expect("the built-in catalogue loads")));

static PATH: LazyLock<std::path::PathBuf> =
    LazyLock::new(|| std::env::temp_dir().join(format!("bounce-report-fuzz-{}.log", std::process::id())));

fuzz_target!(|data: &[u8]| {
    std::fs::write(&*PATH, data).expect("writing the input file");
    let mut out = Vec::new();
    // A read error (a broken gzip stream) is a finding of the run, not a
    // crash; a panic is.
    let _ = bounce_report::fuzzing::report_file(&PATH, CATALOGUE.clone(), 4096, true, &mut out);
});
