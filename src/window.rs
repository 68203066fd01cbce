//! Time windows: `--since A --until B` holds the events whose time `t` has
//! `A <= t < B` (SPEC "Machine-readable output"); `-d today|yesterday` is a
//! calendar day, as pflogsumm users type it.
//!
//! Times are read in the local zone (`TZ` respected) unless `--utc`. A day
//! is a calendar day, so `yesterday` is 23 or 25 hours long on the days the
//! clocks change: its ends are both local midnights, found with the zone
//! rules, never "now minus 24 hours".

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::parse::time::local_instant;
use crate::parse::Timestamp;

/// A half-open interval of instants; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Window {
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.since.is_none_or(|s| t.unix >= s.unix) && self.until.is_none_or(|u| t.unix < u.unix)
    }
}

/// The zone times are read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    Local,
    Utc,
}

/// A time the user gave that could not be read, or that lies outside the
/// dates chrono can hold (years -262143 to 262142).
#[derive(Debug, thiserror::Error)]
pub enum BadTime {
    #[error(
        "cannot read time {given:?}: use RFC 3339 (2026-11-21T03:00:00+01:00), a date (2026-11-21), \
         a local time (2026-11-21T03:00), today, yesterday, now, or a span back from now (24h, 7d, 30m)"
    )]
    Unreadable { given: String },
    /// A span so long (`106751991d`), or a time so near the end of the
    /// calendar, that the instant cannot be represented: issue 21 found
    /// `now - span` panicking with "DateTime - TimeDelta overflowed".
    #[error(
        "time {given:?} is out of range: a span back from now must reach no further than the year -262143"
    )]
    OutOfRange { given: String },
}

/// Which day `-d` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Day {
    Today,
    Yesterday,
}

/// The calendar day `day` as a window, from its midnight to the next.
pub fn day_window(day: Day, now: DateTime<Utc>, zone: Zone) -> Window {
    let today = match zone {
        Zone::Local => now.with_timezone(&Local).date_naive(),
        Zone::Utc => now.date_naive(),
    };
    let start = match day {
        Day::Today => today,
        Day::Yesterday => today.pred_opt().unwrap_or(today),
    };
    let end = start.succ_opt().unwrap_or(start);
    Window {
        since: midnight(start, zone),
        until: midnight(end, zone),
    }
}

/// Reads one `--since`/`--until` value, relative to `now`.
pub fn parse_time(s: &str, now: DateTime<Utc>, zone: Zone) -> Result<Timestamp, BadTime> {
    let bad = || BadTime::Unreadable { given: s.to_string() };
    let t = s.trim();
    match t {
        "now" => return Ok(Timestamp::from_datetime(&now)),
        "today" => return day_window(Day::Today, now, zone).since.ok_or_else(bad),
        "yesterday" => return day_window(Day::Yesterday, now, zone).since.ok_or_else(bad),
        "tomorrow" => return day_window(Day::Today, now, zone).until.ok_or_else(bad),
        _ => {}
    }
    if let Some(span) = parse_span(t) {
        // Checked: a span past chrono's range (`106751991d`) is the user's
        // mistake to name, not a panic.
        return span
            .and_then(|span| now.checked_sub_signed(span))
            .map(|t| Timestamp::from_datetime(&t))
            .ok_or_else(|| BadTime::OutOfRange { given: s.to_string() });
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(Timestamp::from_datetime(&dt));
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return midnight(date, zone).ok_or_else(bad);
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, format) {
            return wall_clock(naive, zone).ok_or_else(bad);
        }
    }
    Err(bad())
}

/// `24h`, `7d`, `30m`, `90s`, `2w`: a span back from now. `None`: not a
/// span; `Some(None)`: a span too long for chrono's `TimeDelta` (about
/// 292 million years, or more digits than an `i64` holds).
pub(crate) fn parse_span(s: &str) -> Option<Option<Duration>> {
    let unit = s.chars().last()?;
    let digits = &s[..s.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: Option<i64> = digits.parse().ok();
    let span = match unit {
        's' => n.and_then(Duration::try_seconds),
        'm' => n.and_then(Duration::try_minutes),
        'h' => n.and_then(Duration::try_hours),
        'd' => n.and_then(Duration::try_days),
        'w' => n.and_then(Duration::try_weeks),
        _ => return None,
    };
    Some(span)
}

fn midnight(date: NaiveDate, zone: Zone) -> Option<Timestamp> {
    wall_clock(date.and_hms_opt(0, 0, 0)?, zone)
}

/// A wall-clock time in the zone; in a repeated hour the earlier instant,
/// in a skipped hour (a midnight some zones skip) the first instant after.
fn wall_clock(naive: NaiveDateTime, zone: Zone) -> Option<Timestamp> {
    match zone {
        Zone::Utc => Some(Timestamp::from_datetime(&Utc.from_utc_datetime(&naive))),
        Zone::Local => (0..=4)
            .find_map(|h| local_instant(naive.checked_add_signed(Duration::hours(h))?))
            .map(|dt| Timestamp::from_datetime(&dt)),
    }
}

/// RFC 3339 in the offset the zone has at that instant, for reports.
pub fn show(t: Timestamp, zone: Zone) -> String {
    in_zone(t, zone).rfc3339()
}

/// The same instant with the zone's offset, as events are printed.
pub fn in_zone(t: Timestamp, zone: Zone) -> Timestamp {
    let offset = match zone {
        Zone::Utc => 0,
        Zone::Local => local_offset(t.unix),
    };
    Timestamp { unix: t.unix, offset }
}

/// Local time's offset at `unix`, remembered by the minute: chrono's
/// `Local` looks at the zone again at every call (with its `format`, 4,870
/// instructions a report timestamp, callgrind). A minute whose first and
/// last second differ (a zone change inside it) is not remembered.
fn local_offset(unix: i64) -> i32 {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static MINUTES: RefCell<HashMap<i64, i32>> = RefCell::new(HashMap::new());
    }
    let at = |unix: i64| {
        let utc = DateTime::from_timestamp(unix, 0).unwrap_or_default();
        utc.with_timezone(&Local).offset().local_minus_utc()
    };
    let minute = unix.div_euclid(60);
    MINUTES.with(|m| {
        if let Some(&offset) = m.borrow().get(&minute) {
            return offset;
        }
        let (first, last) = (at(minute * 60), at(minute * 60 + 59));
        if first != last {
            return at(unix);
        }
        let mut m = m.borrow_mut();
        if m.len() >= 1 << 16 {
            m.clear();
        }
        m.insert(minute, first);
        first
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn at(s: &str) -> i64 {
        parse_time(s, now(), Zone::Utc).unwrap().unix
    }

    fn rfc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn every_form_of_time() {
        assert_eq!(at("2026-11-21T03:14:07+08:00"), rfc("2026-11-21T03:14:07+08:00"));
        assert_eq!(at("2026-11-21"), rfc("2026-11-21T00:00:00Z"));
        assert_eq!(at("2026-11-21T03:00"), rfc("2026-11-21T03:00:00Z"));
        assert_eq!(at("2026-11-21 03:00:05"), rfc("2026-11-21T03:00:05Z"));
        assert_eq!(at("today"), rfc("2026-11-22T00:00:00Z"));
        assert_eq!(at("yesterday"), rfc("2026-11-21T00:00:00Z"));
        assert_eq!(at("now"), rfc("2026-11-22T09:30:00Z"));
        assert_eq!(at("24h"), rfc("2026-11-21T09:30:00Z"));
        assert_eq!(at("7d"), rfc("2026-11-15T09:30:00Z"));
        assert_eq!(at("30m"), rfc("2026-11-22T09:00:00Z"));
    }

    #[test]
    fn bad_times_say_what_is_accepted() {
        for bad in ["", "last week", "2026-13-01", "-5h", "5y", "12:00"] {
            let e = parse_time(bad, now(), Zone::Utc).unwrap_err();
            assert!(e.to_string().contains("RFC 3339"), "{bad}");
        }
    }

    /// Issue 21: `--since 106751991d` panicked ("DateTime - TimeDelta
    /// overflowed"); every span or time past chrono's range is an error.
    #[test]
    fn spans_past_the_calendar_are_out_of_range_not_a_panic() {
        for long in [
            "106751991d",
            "15250284w",
            "9223372036854775807s",
            "99999999999999999999999d",
        ] {
            for zone in [Zone::Utc, Zone::Local] {
                let e = parse_time(long, now(), zone).unwrap_err();
                assert!(matches!(e, BadTime::OutOfRange { .. }), "{long}: {e}");
                assert!(e.to_string().contains("out of range"), "{long}: {e}");
            }
        }
        // The longest span that still fits is read.
        assert!(parse_time("95000000d", now(), Zone::Utc).is_ok());
    }

    #[test]
    fn wall_clock_times_at_the_end_of_the_calendar_are_no_panic() {
        for zone in [Zone::Utc, Zone::Local] {
            let _ = parse_time("+262142-12-31T23:59", now(), zone);
            let _ = parse_time("+262142-12-31", now(), zone);
        }
    }

    #[test]
    fn day_windows_are_calendar_days() {
        let w = day_window(Day::Yesterday, now(), Zone::Utc);
        assert_eq!(w.since.unwrap().unix, rfc("2026-11-21T00:00:00Z"));
        assert_eq!(w.until.unwrap().unix, rfc("2026-11-22T00:00:00Z"));
        let w = day_window(Day::Today, now(), Zone::Utc);
        assert_eq!(w.until.unwrap().unix - w.since.unwrap().unix, 86_400);
    }

    #[test]
    fn window_is_half_open() {
        let w = Window {
            since: Some(Timestamp { unix: 10, offset: 0 }),
            until: Some(Timestamp { unix: 20, offset: 0 }),
        };
        assert!(!w.contains(Timestamp { unix: 9, offset: 0 }));
        assert!(w.contains(Timestamp { unix: 10, offset: 0 }));
        assert!(w.contains(Timestamp { unix: 19, offset: 0 }));
        assert!(!w.contains(Timestamp { unix: 20, offset: 0 }));
        assert!(Window::default().contains(Timestamp { unix: 0, offset: 0 }));
    }
}
