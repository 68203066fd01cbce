//! The SPEC's vocabulary: delivery `Status`, failure `Cause` and event `Class`.
//!
//! These are fieldless enums with an `ALL` list, so per-cause counts can be
//! arrays indexed by the enum (no hashing, trivial merge). The names are the
//! SPEC's snake_case ids, which are Sisimai's reasons plus `greylisted`.

use std::fmt;
use std::str::FromStr;

/// What Postfix logged for one recipient (plus `expired`, which we derive from
/// qmgr's `status=expired` line; see SPEC "Input lines").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Sent,
    Bounced,
    Deferred,
    Expired,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Sent, Status::Bounced, Status::Deferred, Status::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Bounced => "bounced",
            Status::Deferred => "deferred",
            Status::Expired => "expired",
        }
    }

    /// Bounced, deferred and expired events are failures and carry a cause.
    pub fn is_failure(self) -> bool {
        self != Status::Sent
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! causes {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Why a delivery failed: exactly one per bounced, deferred or expired event.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Cause { $($variant),* }

        impl Cause {
            /// Every cause, in the SPEC's order.
            pub const ALL: &'static [Cause] = &[$(Cause::$variant),*];
            /// Number of causes; per-cause arrays have this length.
            pub const COUNT: usize = Cause::ALL.len();

            /// The SPEC id, e.g. `user_unknown`.
            pub fn as_str(self) -> &'static str {
                match self { $(Cause::$variant => $name),* }
            }
        }

        impl FromStr for Cause {
            type Err = UnknownCause;
            fn from_str(s: &str) -> Result<Cause, UnknownCause> {
                match s {
                    $($name => Ok(Cause::$variant),)*
                    _ => Err(UnknownCause { given: s.to_string() }),
                }
            }
        }
    };
}

causes! {
    UserUnknown => "user_unknown",
    MailboxFull => "mailbox_full",
    HasMoved => "has_moved",
    HostUnknown => "host_unknown",
    NoRelaying => "no_relaying",
    NotAccept => "not_accept",
    Suspend => "suspend",
    Blocked => "blocked",
    BadReputation => "bad_reputation",
    RequirePtr => "require_ptr",
    PolicyViolation => "policy_violation",
    SpamDetected => "spam_detected",
    VirusDetected => "virus_detected",
    ContentError => "content_error",
    MesgTooBig => "mesg_too_big",
    ExceedLimit => "exceed_limit",
    Rejected => "rejected",
    AuthFailure => "auth_failure",
    SecurityError => "security_error",
    FailedStarttls => "failed_starttls",
    TooManyConn => "too_many_conn",
    Speeding => "speeding",
    Greylisted => "greylisted",
    NetworkError => "network_error",
    SystemError => "system_error",
    SystemFull => "system_full",
    Expired => "expired",
    SyntaxError => "syntax_error",
    NotCompliantRfc => "not_compliant_rfc",
    MailerError => "mailer_error",
    OnHold => "on_hold",
    Vacation => "vacation",
    Undefined => "undefined",
}

impl Cause {
    /// Position in [`Cause::ALL`], for per-cause arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Causes that say the address itself is gone (SPEC "Expired events and classes").
    pub fn is_hard(self) -> bool {
        matches!(
            self,
            Cause::UserUnknown | Cause::HostUnknown | Cause::NotAccept | Cause::HasMoved | Cause::Suspend
        )
    }

    /// The cause an expired event takes when its last deferral said `self`:
    /// a failure to reach the other side (or no cause at all) becomes `expired`,
    /// anything more specific is kept (SPEC "Expired events and classes").
    pub fn for_expiry(self) -> Cause {
        match self {
            Cause::NetworkError | Cause::HostUnknown | Cause::Undefined => Cause::Expired,
            other => other,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cause id that is not in the SPEC's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCause {
    pub given: String,
}

impl UnknownCause {
    /// The vocabulary id closest to what was given, to suggest in an error.
    pub fn suggestion(&self) -> &'static str {
        Cause::ALL
            .iter()
            .map(|c| (edit_distance(&self.given, c.as_str()), c.as_str()))
            .min()
            .map(|(_, name)| name)
            .unwrap_or("undefined")
    }
}

impl fmt::Display for UnknownCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown cause {:?} (did you mean {:?}?)",
            self.given,
            self.suggestion()
        )
    }
}

impl std::error::Error for UnknownCause {}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// How final a failure is (SPEC "Expired events and classes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Permanent: stop sending to this address.
    Hard,
    /// Permanent for this message, but the address may recover.
    Soft,
    /// A deferral that will be retried.
    Transient,
}

impl Class {
    pub const ALL: [Class; 3] = [Class::Hard, Class::Soft, Class::Transient];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Hard => "hard",
            Class::Soft => "soft",
            Class::Transient => "transient",
        }
    }

    /// The class of a failure event: deferred is transient; bounced or expired
    /// is hard exactly when the cause says the address is gone, else soft.
    /// `None` for `sent`, which is no failure.
    ///
    /// ```
    /// use bounce_report::cause::{Cause, Class, Status};
    /// assert_eq!(Class::of(Status::Bounced, Cause::UserUnknown), Some(Class::Hard));
    /// assert_eq!(Class::of(Status::Bounced, Cause::MailboxFull), Some(Class::Soft));
    /// assert_eq!(Class::of(Status::Deferred, Cause::UserUnknown), Some(Class::Transient));
    /// assert_eq!(Class::of(Status::Sent, Cause::Undefined), None);
    /// ```
    pub fn of(status: Status, cause: Cause) -> Option<Class> {
        match status {
            Status::Sent => None,
            Status::Deferred => Some(Class::Transient),
            Status::Bounced | Status::Expired if cause.is_hard() => Some(Class::Hard),
            Status::Bounced | Status::Expired => Some(Class::Soft),
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_round_trips_through_its_name() {
        for &c in Cause::ALL {
            assert_eq!(c.as_str().parse::<Cause>(), Ok(c));
            assert_eq!(Cause::ALL[c.index()], c);
        }
        assert_eq!(Cause::COUNT, 33);
    }

    #[test]
    fn unknown_cause_suggests_the_nearest_id() {
        let err = "user_unknwon".parse::<Cause>().unwrap_err();
        assert_eq!(err.suggestion(), "user_unknown");
        assert!(err.to_string().contains("did you mean \"user_unknown\""));
    }

    #[test]
    fn class_follows_the_spec() {
        assert_eq!(Class::of(Status::Sent, Cause::Undefined), None);
        assert_eq!(
            Class::of(Status::Deferred, Cause::UserUnknown),
            Some(Class::Transient)
        );
        assert_eq!(Class::of(Status::Bounced, Cause::UserUnknown), Some(Class::Hard));
        assert_eq!(Class::of(Status::Expired, Cause::Suspend), Some(Class::Hard));
        assert_eq!(Class::of(Status::Bounced, Cause::MailboxFull), Some(Class::Soft));
    }

    #[test]
    fn expiry_keeps_specific_causes_and_folds_reachability_ones() {
        assert_eq!(Cause::NetworkError.for_expiry(), Cause::Expired);
        assert_eq!(Cause::HostUnknown.for_expiry(), Cause::Expired);
        assert_eq!(Cause::Undefined.for_expiry(), Cause::Expired);
        assert_eq!(Cause::MailboxFull.for_expiry(), Cause::MailboxFull);
        assert_eq!(Cause::SystemError.for_expiry(), Cause::SystemError);
    }
}
