//! The reply classifier with the embedded catalogue on an arbitrary reply
//! text; after a newline, optional `relay`, `domain` and `dsn` fields, one
//! a line. Classifying twice (the second from the cache) gives the same
//! verdict, and `explain` agrees with `classify`.
#![no_main]

use std::sync::{Arc, LazyLock, Mutex};

use bounce_report::classify::{Catalogue, Classifier, Dsn, Query};
use libfuzzer_sys::fuzz_target;

static CLASSIFIER: LazyLock<Mutex<Classifier>> = LazyLock::new(|| {
    let catalogue = Catalogue::load(None).expect("the built-in catalogue loads");
    Mutex::new(Classifier::new(Arc::new(catalogue)))
});

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == b'\n');
    let reply = parts.next().unwrap_or_default();
    let relay = parts.next();
    let domain = parts.next();
    let dsn = parts.next().and_then(Dsn::parse);
    let query = Query {
        relay,
        domain,
        dsn,
        ..Query::text(reply)
    };
    let mut classifier = CLASSIFIER.lock().unwrap();
    let first = classifier.classify(&query);
    let again = classifier.classify(&query);
    assert_eq!(first, again);
    let _ = classifier.explain(&query);
    if classifier.cache_len() > 100_000 {
        classifier.clear_cache();
    }
});
