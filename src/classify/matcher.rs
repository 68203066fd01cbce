//! PLACEHOLDER: to be replaced by the real matcher.

use super::{Catalogue, Dsn};
use crate::cause::{Cause, Status};
use std::sync::Arc;

#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub reply: &'a [u8],
    pub dsn: Option<Dsn>,
    pub relay: Option<&'a [u8]>,
    pub domain: Option<&'a [u8]>,
    pub status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub cause: Cause,
    pub smtp_code: Option<u16>,
    pub dsn: Option<Dsn>,
    pub rule: Option<u32>,
}

#[derive(Clone)]
pub struct Classifier {
    _catalogue: Arc<Catalogue>,
}

impl Classifier {
    pub fn new(catalogue: Arc<Catalogue>) -> Classifier {
        Classifier {
            _catalogue: catalogue,
        }
    }
    pub fn classify(&mut self, q: &Query<'_>) -> Verdict {
        let cause = match q.dsn.map(|d| (d.subject, d.detail)) {
            Some((1, 1)) => Cause::UserUnknown,
            Some((2, 2)) => Cause::MailboxFull,
            Some((4, _)) => Cause::NetworkError,
            _ => Cause::Undefined,
        };
        Verdict {
            cause,
            smtp_code: None,
            dsn: q.dsn,
            rule: None,
        }
    }
}
