//! `--fail-if` conditions: thresholds that, when crossed, make the exit
//! status 3 (SPEC "Exit status") and are named on stderr with their value.
//!
//! A condition is `METRIC OP VALUE`:
//! - METRIC: `sent`, `bounced`, `deferred`, `expired`, `failures`,
//!   `bounce_rate`, `malformed`, `lines` (lines read; with a window, the
//!   Postfix lines in it), `stale` (seconds since the last Postfix line
//!   logged, against now; a value may be a span: `stale>2h`); `cause:ID`
//!   (events of that cause)
//!   or `cause:ID:STATUS`; `domain:NAME` (failures to that domain),
//!   `domain:NAME:STATUS` or `domain:NAME:bounce_rate`;
//! - OP: `>`, `>=`, `<`, `<=`, `==`, `!=`;
//! - VALUE: a number, or a percentage for rates (`5%`, or `0.05`).
//!
//! A condition that can never hold is refused, not accepted to stay silent
//! (issue 20): a rate above 1 written without `%` (`bounce_rate>5` is 500%;
//! write `5%` or `0.05`), a rate outside 0–100%, and any comparison no
//! value of the metric (a count: 0 or more; a rate: 0 to 1) can meet, such
//! as `bounced<0` or `bounce_rate>100%`.

use std::fmt;
use std::str::FromStr;

use crate::aggregate::{StatusCounts, Summary};
use crate::cause::{Cause, Status};

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// As the user wrote it, for messages.
    pub text: String,
    metric: Metric,
    op: Op,
    value: f64,
}

#[derive(Clone, Debug, PartialEq)]
enum Metric {
    Total(Measure),
    Lines,
    Stale,
    Malformed,
    Cause(Cause, Option<Status>),
    Domain(String, Measure),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Measure {
    Status(Status),
    Failures,
    BounceRate,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    fn words(self) -> &'static str {
        match self {
            Op::Gt => "above",
            Op::Ge => "at or above",
            Op::Lt => "below",
            Op::Le => "at or below",
            Op::Eq => "equal to",
            Op::Ne => "other than",
        }
    }
}

/// A condition that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("--fail-if {given:?}: {why} (e.g. bounce_rate>5%, bounced>100, cause:blocked>0, domain:gmail.com:deferred>50)")]
pub struct BadCondition {
    pub given: String,
    pub why: String,
}

impl FromStr for Condition {
    type Err = BadCondition;

    fn from_str(s: &str) -> Result<Condition, BadCondition> {
        let bad = |why: &str| BadCondition {
            given: s.to_string(),
            why: why.to_string(),
        };
        let text: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let at = text
            .find(['>', '<', '=', '!'])
            .ok_or_else(|| bad("no comparison (>, >=, <, <=, ==, !=)"))?;
        let (lhs, rest) = text.split_at(at);
        let (op, value) = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            ("<", Op::Lt),
        ]
        .iter()
        .find_map(|(sym, op)| rest.strip_prefix(sym).map(|v| (*op, v)))
        .ok_or_else(|| bad("no comparison (>, >=, <, <=, ==, !=)"))?;
        let metric = parse_metric(lhs).map_err(|why| bad(&why))?;
        let percent = value.ends_with('%');
        let span = (metric == Metric::Stale)
            .then(|| crate::window::parse_span(value))
            .flatten();
        let value = match (span, value.strip_suffix('%')) {
            (Some(Some(d)), _) => Ok(d.num_seconds() as f64),
            (Some(None), _) => return Err(bad("the span is too long")),
            (None, Some(p)) => p.parse::<f64>().map(|p| p / 100.0),
            (None, None) => value.parse::<f64>(),
        }
        .map_err(|_| bad("the value is not a number (or, for stale, a span such as 2h, 30m, 1d)"))?;
        if !value.is_finite() {
            return Err(bad("the value is not a number"));
        }
        let c = Condition {
            text,
            metric,
            op,
            value,
        };
        if c.is_rate() && !percent && value > 1.0 {
            return Err(bad(&format!(
                "a rate is a fraction from 0 to 1 or a percentage with %: {value} would be {}%; write {value}% or {}",
                value * 100.0,
                value / 100.0
            )));
        }
        if c.is_rate() && !(0.0..=1.0).contains(&value) {
            return Err(bad("a rate is from 0% to 100%"));
        }
        if c.never_holds() {
            return Err(bad(&format!(
                "it can never hold: {} is never {} {}",
                if c.is_rate() { "a rate" } else { "a count" },
                c.op.words(),
                c.show(value)
            )));
        }
        if percent && !c.is_rate() {
            return Err(bad("only a rate (bounce_rate) takes a percentage"));
        }
        Ok(c)
    }
}

fn parse_measure(s: &str) -> Result<Measure, String> {
    match s {
        "sent" => Ok(Measure::Status(Status::Sent)),
        "bounced" => Ok(Measure::Status(Status::Bounced)),
        "deferred" => Ok(Measure::Status(Status::Deferred)),
        "expired" => Ok(Measure::Status(Status::Expired)),
        "failures" => Ok(Measure::Failures),
        "bounce_rate" => Ok(Measure::BounceRate),
        _ => Err(format!(
            "unknown measure {s:?} (sent, bounced, deferred, expired, failures, bounce_rate)"
        )),
    }
}

fn parse_metric(s: &str) -> Result<Metric, String> {
    if let Some(rest) = s.strip_prefix("cause:") {
        let (id, status) = match rest.split_once(':') {
            Some((id, st)) => match parse_measure(st)? {
                Measure::Status(st) => (id, Some(st)),
                _ => return Err("a cause condition takes a status: bounced, deferred or expired".into()),
            },
            None => (rest, None),
        };
        let cause = id.parse::<Cause>().map_err(|e| e.to_string())?;
        return Ok(Metric::Cause(cause, status));
    }
    if let Some(rest) = s.strip_prefix("domain:") {
        // The domain may not hold ':'; the measure is after the last one.
        let (name, measure) = match rest.rsplit_once(':') {
            Some((name, m)) => (name, parse_measure(m)?),
            None => (rest, Measure::Failures),
        };
        if name.is_empty() {
            return Err("no domain named".into());
        }
        return Ok(Metric::Domain(name.to_ascii_lowercase(), measure));
    }
    match s {
        "lines" => Ok(Metric::Lines),
        "stale" => Ok(Metric::Stale),
        "malformed" => Ok(Metric::Malformed),
        other => parse_measure(other).map(Metric::Total),
    }
}

/// Seconds as `3h 12m`, `45s`; `no Postfix line read` for none.
pub fn show_span(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "no Postfix line read".into();
    }
    let s = seconds as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn measure(c: &StatusCounts, m: Measure) -> f64 {
    match m {
        Measure::Status(s) => c.get(s) as f64,
        Measure::Failures => c.failures() as f64,
        Measure::BounceRate => c.bounce_rate().unwrap_or(0.0),
    }
}

/// What a condition is tested against besides the counts.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Now, in seconds since the Unix epoch.
    pub now: i64,
    /// Whether the run had a time window (`lines` is then the Postfix
    /// lines inside it).
    pub windowed: bool,
}

/// The lines a run read, as `--fail-if lines` counts them: with a window,
/// the Postfix lines in it; else every line read.
pub fn lines_read(s: &Summary, windowed: bool) -> u64 {
    if windowed {
        s.window_records
    } else {
        s.lines().lines
    }
}

/// Seconds from the last Postfix line read to `now` (infinite when none
/// was read).
pub fn staleness(s: &Summary, now: i64) -> f64 {
    s.last_record
        .map_or(f64::INFINITY, |t| now.saturating_sub(t.unix).max(0) as f64)
}

impl Condition {
    /// Whether this is a `stale` condition, with its threshold in seconds.
    pub fn stale_after(&self) -> Option<f64> {
        (self.metric == Metric::Stale).then_some(self.value)
    }

    /// The metric's value in `summary`.
    pub fn value_in(&self, s: &Summary, run: Run) -> f64 {
        match &self.metric {
            Metric::Total(m) => measure(&s.totals, *m),
            Metric::Lines => lines_read(s, run.windowed) as f64,
            Metric::Stale => staleness(s, run.now),
            Metric::Malformed => s.lines().malformed as f64,
            Metric::Cause(c, status) => {
                let counts = &s.by_cause[c.index()].counts;
                status.map_or(counts.failures(), |st| counts.get(st)) as f64
            }
            Metric::Domain(d, m) => s.by_domain.get(d).map_or(0.0, |st| measure(&st.counts, *m)),
        }
    }

    /// Whether no value the metric can take (a count: 0 and up; a rate:
    /// 0 to 1) meets the condition.
    fn never_holds(&self) -> bool {
        let (low, high) = if self.is_rate() {
            (0.0, 1.0)
        } else {
            (0.0, f64::INFINITY)
        };
        let v = self.value;
        match self.op {
            Op::Gt => v >= high,
            Op::Ge => v > high,
            Op::Lt => v <= low,
            Op::Le => v < low,
            Op::Eq => v < low || v > high || (!self.is_rate() && v.fract() != 0.0),
            Op::Ne => false,
        }
    }

    fn is_rate(&self) -> bool {
        matches!(
            self.metric,
            Metric::Total(Measure::BounceRate) | Metric::Domain(_, Measure::BounceRate)
        )
    }

    /// The value as a person reads it: a percentage for rates.
    pub fn show(&self, value: f64) -> String {
        if self.metric == Metric::Stale {
            return show_span(value);
        }
        if self.is_rate() {
            format!("{:.2}%", value * 100.0)
        } else {
            format!("{value}")
        }
    }

    /// `Some(value)` when the condition is crossed.
    pub fn crossed(&self, s: &Summary, run: Run) -> Option<f64> {
        let v = self.value_in(s, run);
        let hit = match self.op {
            Op::Gt => v > self.value,
            Op::Ge => v >= self.value,
            Op::Lt => v < self.value,
            Op::Le => v <= self.value,
            Op::Eq => v == self.value,
            Op::Ne => v != self.value,
        };
        hit.then_some(v)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        let mut s = Summary::default();
        s.totals.0 = [90, 10, 30, 0];
        s.by_cause[Cause::Blocked.index()].counts.0 = [0, 2, 1, 0];
        let d = s.by_domain.add_ref("gmail.com", 0);
        d.counts.0 = [50, 0, 60, 0];
        s
    }

    fn crossed(c: &str) -> Option<f64> {
        c.parse::<Condition>().unwrap().crossed(
            &summary(),
            Run {
                now: 0,
                windowed: false,
            },
        )
    }

    #[test]
    fn the_issues_examples() {
        assert_eq!(crossed("bounce_rate>5%"), Some(0.1));
        assert_eq!(crossed("bounce_rate > 10%"), None);
        assert_eq!(crossed("bounced>100"), None);
        assert_eq!(crossed("bounced>=10"), Some(10.0));
        assert_eq!(crossed("cause:blocked>0"), Some(3.0));
        assert_eq!(crossed("cause:blocked:deferred>0"), Some(1.0));
        assert_eq!(crossed("cause:user_unknown>0"), None);
        assert_eq!(crossed("domain:gmail.com:deferred>50"), Some(60.0));
        assert_eq!(crossed("domain:GMAIL.COM>50"), Some(60.0));
        assert_eq!(crossed("domain:yahoo.com>0"), None);
        assert_eq!(crossed("sent<100"), Some(90.0));
    }

    #[test]
    fn bad_conditions_say_why() {
        for (bad, why) in [
            ("bounced", "no comparison"),
            ("bounced>lots", "not a number"),
            ("bouncd>1", "unknown measure"),
            ("cause:user_unknwon>0", "did you mean \"user_unknown\""),
            ("domain::deferred>1", "no domain"),
            // Issue 20: conditions that can never hold.
            ("bounce_rate>5", "write 5% or 0.05"),
            ("domain:gmail.com:bounce_rate>=2", "write 2% or 0.02"),
            ("bounce_rate>150%", "from 0% to 100%"),
            ("bounce_rate>-1%", "from 0% to 100%"),
            ("bounce_rate>100%", "never above 100.00%"),
            ("bounce_rate>1", "never above 100.00%"),
            ("bounced<0", "a count is never below 0"),
            ("deferred==2.5", "never equal to 2.5"),
            ("lines<=-1", "never at or below -1"),
            ("bounced>5%", "only a rate"),
        ] {
            let e = bad.parse::<Condition>().unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn conditions_at_the_edge_of_what_can_hold_are_accepted() {
        for ok in [
            "bounce_rate>0.05",
            "bounce_rate>=100%",
            "bounce_rate>=1",
            "bounce_rate<=0",
            "bounce_rate>0%",
            "bounced<1",
            "lines<1",
            "bounced==0",
            "sent!=0",
        ] {
            assert!(ok.parse::<Condition>().is_ok(), "{ok}");
        }
    }

    #[test]
    fn rates_show_as_percentages() {
        let c: Condition = "bounce_rate>5%".parse().unwrap();
        assert_eq!(c.show(0.0625), "6.25%");
    }
}
