//! The journald reader (`journalctl -o json` entries) on an arbitrary line,
//! and the line parser on the syslog line it makes of it.
#![no_main]

use std::cell::RefCell;

use bounce_report::parse::journal::{is_entry, to_syslog};
use bounce_report::parse::{parse_line, YearContext};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fuzz_target!(|line: &[u8]| {
    let _ = is_entry(line);
    OUT.with_borrow_mut(|out| {
        if to_syslog(line, out) {
            let _ = parse_line(out, &YearContext::now());
        }
    });
});
