//! Integration tests: the `bounce-report` binary on committed fixtures, on
//! the real-world corpus in `../shared/corpus/real/`, and on logs made by
//! `../shared/tools/gen-maillog` inside the test, against their truth.

mod common;

mod allclear;
mod bounds;
mod catalogue;
mod cli;
mod compression;
mod corpus;
mod cron;
mod fixtures;
mod formats;
mod generated;
mod hardening;
mod insight;
mod journal;
mod merge;
mod ops;
mod properties;
mod scale;
mod state;
mod window;
