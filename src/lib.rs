//! bounce-report: why a Postfix server's mail bounces or is deferred.

pub mod cause;
pub mod classify;
