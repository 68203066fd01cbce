//! Timestamps: one function per syslog form, and year inference for the
//! classic BSD form, which has no year.
//!
//! Forms (see SPEC "Input lines" and the corpus in `../shared/corpus/real/`):
//! - classic `Nov 21 03:14:07` (day space-padded, unpadded or zero-padded),
//!   also with fractions as `journalctl -o short-precise` writes them;
//! - RFC 3339 `2026-11-21T03:14:07[.123456][Z|+08:00|+0800]`, with or without
//!   the offset (`journalctl -o short-iso` writes `+0800`);
//! - `2013 Jun 10 06:27:30.123` (year first, as some rsyslog templates write).
//!
//! A time without an offset is local time (the `TZ` environment variable is
//! respected through chrono's `Local`).

use chrono::{
    DateTime, Datelike, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike,
};

/// An instant with the UTC offset it was logged in (or local time's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// The offset east of UTC, in seconds, used when printing.
    pub offset: i32,
}

impl Timestamp {
    pub fn from_datetime<Tz: TimeZone>(dt: &DateTime<Tz>) -> Timestamp {
        Timestamp {
            unix: dt.timestamp(),
            offset: dt.offset().fix().local_minus_utc(),
        }
    }

    /// This instant in its own offset.
    pub fn to_datetime(self) -> DateTime<FixedOffset> {
        let offset =
            FixedOffset::east_opt(self.offset).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
        DateTime::from_timestamp(self.unix, 0)
            .unwrap_or_default()
            .with_timezone(&offset)
    }

    /// RFC 3339 with seconds and a `+hh:mm` offset, as the JSON outputs use.
    ///
    /// Written by hand: chrono's `format` parses its format string at every
    /// call, and with chrono the report timestamps took half the
    /// instructions the 1 GiB benchmark log's JSON report cost after its
    /// last line was read (callgrind). An offset with seconds or a year
    /// past 9999 goes to chrono, whose output this equals (a test checks).
    pub fn rfc3339(self) -> String {
        let local = self.unix + i64::from(self.offset);
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        if self.offset % 60 != 0 || self.offset.abs() >= 86_400 || !(0..=9999).contains(&year) {
            return self.to_datetime().format(RFC3339).to_string();
        }
        let secs = local.rem_euclid(86_400) as u32;
        let offset = self.offset.unsigned_abs() / 60;
        let mut b = *b"0000-00-00T00:00:00+00:00";
        let mut put = |at: usize, v: u32, width: usize| {
            let mut v = v;
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, year as u32, 4);
        put(5, month, 2);
        put(8, day, 2);
        put(11, secs / 3600, 2);
        put(14, secs / 60 % 60, 2);
        put(17, secs % 60, 2);
        put(20, offset / 60, 2);
        put(23, offset % 60, 2);
        if self.offset < 0 {
            b[19] = b'-';
        }
        crate::event::lossy(&b).into_owned()
    }
}

/// The form of [`Timestamp::rfc3339`], as chrono writes it.
const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%:z";

/// The proleptic Gregorian (year, month, day) of a day counted from
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// What a classic timestamp's year is inferred from: the time the file was
/// last written (its modification time), or now for standard input.
#[derive(Clone, Copy, Debug)]
pub struct YearContext {
    /// The latest plausible time of any line of the source, in local time.
    reference: NaiveDateTime,
}

impl YearContext {
    /// Slack for clocks and buffered writes: a line may be this much later
    /// than the file's modification time and still count as this year.
    const SLACK_SECONDS: i64 = 2 * 86_400;

    pub fn new(reference: DateTime<Local>) -> YearContext {
        YearContext {
            reference: reference.naive_local() + chrono::Duration::seconds(Self::SLACK_SECONDS),
        }
    }

    pub fn now() -> YearContext {
        YearContext::new(Local::now())
    }

    /// The year that puts `month/day time` at or before the reference: a log
    /// written up to January 2 that starts on December 30 gets last year for
    /// December and this year for January, so it stays in order.
    fn date_for(&self, month: u32, day: u32, time: NaiveTime) -> Option<NaiveDateTime> {
        let mut year = self.reference.year();
        // Walk back at most a few years: February 29 needs a leap year.
        for _ in 0..8 {
            if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
                let dt = date.and_time(time);
                if dt <= self.reference {
                    return Some(dt);
                }
            }
            year -= 1;
        }
        None
    }
}

/// Parses the timestamp at the start of `line`. Returns it and the rest of
/// the line after the timestamp (its leading blanks not yet skipped).
pub fn parse_prefix<'a>(line: &'a [u8], years: &YearContext) -> Option<(Timestamp, &'a [u8])> {
    parse_shiftable(line, years).map(|(time, rest, _)| (time, rest))
}

/// A timestamp parsed, the rest of the line, and where in the line its two
/// digits of seconds are, with their value, when the other seconds of its
/// minute, written with the same bytes around them, are exactly as many
/// seconds apart as their digits say: the offset is written out, or the
/// local hour has one offset (no clock change in it); and a classic time's
/// minute is wholly before the year context's reference, in the
/// reference's year, so that the inferred year is the same for all of it.
type Shiftable<'a> = (Timestamp, &'a [u8], Option<(usize, i64)>);

fn parse_shiftable<'a>(line: &'a [u8], years: &YearContext) -> Option<Shiftable<'a>> {
    let first = *line.first()?;
    if first.is_ascii_digit() {
        if line.get(4) == Some(&b' ') {
            parse_year_first(line)
        } else {
            parse_rfc3339(line)
        }
    } else {
        parse_classic(line, years)
    }
}

/// Where the seconds of the `hh:mm:ss` at the start of `hms` are in `line`,
/// of which `hms` is the tail, and `time`'s seconds, which they read.
fn seconds_at(line: &[u8], hms: &[u8], time: NaiveTime) -> (usize, i64) {
    (line.len() - hms.len() + 6, i64::from(time.second()))
}

/// The last timestamp parsed, reused for the next line that starts with the
/// same bytes: a busy log writes many lines a second, and a timestamp costs
/// more to parse (calendar, local time zone) than to compare. A line of
/// another second of the same minute is the cached time moved by the
/// difference of the seconds, where that is exact: a quieter log writes a
/// line every few seconds, and on the 100 MB benchmark log (one day)
/// parsing took 36.6 M instructions for its 72,383 misses of the second.
#[derive(Clone, Debug, Default)]
pub struct TimeCache {
    prefix: [u8; 32],
    last: Option<Cached>,
}

#[derive(Clone, Copy, Debug)]
struct Cached {
    /// Bytes of `prefix` in use.
    len: usize,
    /// The year context the time was parsed with (classic lines need it).
    reference: NaiveDateTime,
    time: Timestamp,
    /// Where the seconds are in `prefix`, and their value, when another
    /// second of the minute is the time moved (see [`Shiftable`]).
    seconds: Option<(usize, i64)>,
}

impl TimeCache {
    /// [`parse_prefix`], through the cache. A line hits only when it starts
    /// with the cached timestamp's bytes followed by a blank, as the cached
    /// line did: the parsers look no further than that blank, so they would
    /// return the same.
    pub fn parse<'a>(&mut self, line: &'a [u8], years: &YearContext) -> Option<(Timestamp, &'a [u8])> {
        let last = self
            .last
            .filter(|c| line.get(c.len) == Some(&b' ') && c.reference == years.reference);
        if let Some(c) = last {
            if same_bytes(&line[..c.len], &self.prefix[..c.len]) {
                return Some((c.time, &line[c.len..]));
            }
            if let Some(time) = self.shifted(c, line) {
                return Some((time, &line[c.len..]));
            }
        }
        let (time, rest, seconds) = parse_shiftable(line, years)?;
        let len = line.len() - rest.len();
        self.last = (len <= self.prefix.len() && rest.first() == Some(&b' ')).then(|| {
            self.prefix[..len].copy_from_slice(&line[..len]);
            Cached {
                len,
                reference: years.reference,
                time,
                seconds,
            }
        });
        Some((time, rest))
    }

    /// The time of a line that differs from the cached one (`c`, with the
    /// same length and year context) in its seconds only, when shifting is
    /// exact; it becomes the cached time.
    fn shifted(&mut self, c: Cached, line: &[u8]) -> Option<Timestamp> {
        let (at, was) = c.seconds?;
        let now = two_digits(&line[at..at + 2])?;
        if line[..at] != self.prefix[..at] || line[at + 2..c.len] != self.prefix[at + 2..c.len] {
            return None;
        }
        let time = Timestamp {
            unix: c.time.unix + now - was,
            offset: c.time.offset,
        };
        self.prefix[at..at + 2].copy_from_slice(&line[at..at + 2]);
        self.last = Some(Cached {
            time,
            seconds: Some((at, now)),
            ..c
        });
        Some(time)
    }
}

/// `a == b` for slices of one length, a classic time's 15 bytes compared as
/// two overlapping words instead of by a call to `memcmp`.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() || !(8..=16).contains(&n) {
        return a == b;
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("eight bytes"));
    word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
}

/// Seconds `00` to `59`.
fn two_digits(b: &[u8]) -> Option<i64> {
    match *b {
        [t @ b'0'..=b'5', u @ b'0'..=b'9'] => Some(i64::from(t - b'0') * 10 + i64::from(u - b'0')),
        _ => None,
    }
}

/// `Nov 21 03:14:07[.frac]`
fn parse_classic<'a>(line: &'a [u8], years: &YearContext) -> Option<Shiftable<'a>> {
    let month = month_number(line.get(..3)?)?;
    let (day, rest) = parse_day(line.get(3..)?)?;
    let hms = rest.strip_prefix(b" ")?;
    let (time, rest) = parse_hms(hms)?;
    let rest = skip_fraction(rest);
    let naive = years.date_for(month, day, time)?;
    let (t, uniform) = local(naive)?;
    let minute_end = naive + chrono::Duration::seconds(59 - i64::from(time.second()));
    let whole_minute = naive.year() == years.reference.year() && minute_end <= years.reference;
    Some((
        t,
        rest,
        (uniform && whole_minute).then(|| seconds_at(line, hms, time)),
    ))
}

/// `2013 Jun 10 06:27:30.123`
fn parse_year_first(line: &[u8]) -> Option<Shiftable<'_>> {
    let year = digits(line.get(..4)?)? as i32;
    let rest = line.get(5..)?;
    let month = month_number(rest.get(..3)?)?;
    let (day, rest) = parse_day(rest.get(3..)?)?;
    let hms = rest.strip_prefix(b" ")?;
    let (time, rest) = parse_hms(hms)?;
    let rest = skip_fraction(rest);
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_time(time);
    let (t, uniform) = local(naive)?;
    Some((t, rest, uniform.then(|| seconds_at(line, hms, time))))
}

/// `2026-11-21T03:14:07[.123456][Z|+08:00|+0800]`
fn parse_rfc3339(line: &[u8]) -> Option<Shiftable<'_>> {
    let b = line.get(..19)?;
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(digits(&b[..4])? as i32, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let (time, rest) = parse_hms(&b[11..])?;
    debug_assert!(rest.is_empty());
    let rest = skip_fraction(&line[19..]);
    let naive = date.and_time(time);
    let seconds = seconds_at(line, &line[11..], time);
    match rest.first() {
        Some(b'Z') | Some(b'z') => Some((utc_offset(naive, 0)?, &rest[1..], Some(seconds))),
        Some(&sign @ (b'+' | b'-')) => {
            let hh = digits(rest.get(1..3)?)?;
            let (mm, used) = if rest.get(3) == Some(&b':') {
                (digits(rest.get(4..6)?)?, 6)
            } else {
                (digits(rest.get(3..5)?)?, 5)
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            let secs = (hh * 3600 + mm * 60) as i32;
            let secs = if sign == b'-' { -secs } else { secs };
            Some((utc_offset(naive, secs)?, &rest[used..], Some(seconds)))
        }
        _ => {
            let (t, uniform) = local(naive)?;
            Some((t, rest, uniform.then_some(seconds)))
        }
    }
}

fn utc_offset(naive: NaiveDateTime, offset_secs: i32) -> Option<Timestamp> {
    let offset = FixedOffset::east_opt(offset_secs)?;
    let dt = offset.from_local_datetime(&naive).single()?;
    Some(Timestamp::from_datetime(&dt))
}

/// A wall-clock time in the local zone. In the hour that repeats when clocks
/// go back, the earlier instant is taken; in the hour that is skipped when
/// they go forward (which a correct log cannot hold), the time an hour later.
/// Also whether the hour has one offset throughout.
fn local(naive: NaiveDateTime) -> Option<(Timestamp, bool)> {
    // chrono's `Local` consults the zone database (and the clock, to notice
    // a changed TZ file) on every call: about 2% of a run. An hour whose
    // start and end have one and the same offset is converted once per
    // thread; hours around a clock change take the slow path every time.
    let hour = naive.and_utc().timestamp().div_euclid(3600);
    let cached = LOCAL_HOUR.with(|c| c.get()).filter(|&(h, _)| h == hour);
    let offset = match cached {
        Some((_, offset)) => offset,
        None => match uniform_offset(hour) {
            Some(offset) => {
                LOCAL_HOUR.with(|c| c.set(Some((hour, offset))));
                offset
            }
            None => return local_slow(naive).map(|t| (t, false)),
        },
    };
    let t = Timestamp {
        unix: naive.and_utc().timestamp() - i64::from(offset),
        offset,
    };
    Some((t, true))
}

thread_local! {
    /// The last local hour converted (hours since the epoch, read as if the
    /// wall clock were UTC) and its UTC offset.
    static LOCAL_HOUR: std::cell::Cell<Option<(i64, i32)>> = const { std::cell::Cell::new(None) };
}

/// The local offset of every wall-clock time in the hour `hour`, when there
/// is one (no clock change within it).
fn uniform_offset(hour: i64) -> Option<i32> {
    let at = |secs: i64| -> Option<i32> {
        let naive = DateTime::from_timestamp(secs, 0)?.naive_utc();
        match Local.from_local_datetime(&naive) {
            LocalResult::Single(dt) => Some(dt.offset().fix().local_minus_utc()),
            _ => None,
        }
    };
    let start = at(hour * 3600)?;
    (at(hour * 3600 + 3599)? == start).then_some(start)
}

fn local_slow(naive: NaiveDateTime) -> Option<Timestamp> {
    let dt = local_instant(naive).or_else(|| local_instant(naive + chrono::Duration::hours(1)))?;
    Some(Timestamp::from_datetime(&dt))
}

/// The instant a local wall-clock time names, the earlier of two when the
/// clocks went back over it; `None` in a gap. Not chrono's `earliest`: its
/// `Local` on Unix gives the two instants of an ambiguous time in the order
/// of their UTC offsets, the later instant first when clocks go back, and
/// counts the first wall-clock time after the fold (03:00:00 in Berlin's
/// October night) as ambiguous too, with an instant whose clock never read
/// it (chrono 0.4.45, `offset/local/tz_info/timezone.rs`). An instant is
/// kept when the zone's offset at it is the one it was given.
pub fn local_instant(naive: NaiveDateTime) -> Option<DateTime<Local>> {
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, b) => {
            let shown = |t: &DateTime<Local>| Local.from_utc_datetime(&t.naive_utc()).offset() == t.offset();
            Some(match (shown(&a), shown(&b)) {
                (true, false) => a,
                (false, true) => b,
                _ => a.min(b),
            })
        }
        LocalResult::None => None,
    }
}

fn month_number(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .map(|i| i as u32 + 1)
}

/// ` 5`, `05`, `5` or `21` after the month (the leading blank is consumed).
fn parse_day(s: &[u8]) -> Option<(u32, &[u8])> {
    let s = s.strip_prefix(b" ")?;
    let s = s.strip_prefix(b" ").unwrap_or(s);
    let len = s.iter().take(2).take_while(|b| b.is_ascii_digit()).count();
    let day = digits(s.get(..len)?)?;
    (1..=31).contains(&day).then_some((day, &s[len..]))
}

fn parse_hms(s: &[u8]) -> Option<(NaiveTime, &[u8])> {
    let b = s.get(..8)?;
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    let t = NaiveTime::from_hms_opt(digits(&b[..2])?, digits(&b[3..5])?, digits(&b[6..8])?)?;
    Some((t, &s[8..]))
}

fn skip_fraction(s: &[u8]) -> &[u8] {
    match s.strip_prefix(b".").or_else(|| s.strip_prefix(b",")) {
        Some(frac) => {
            let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                s
            } else {
                &frac[n..]
            }
        }
        None => s,
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_rfc3339(t: Timestamp) -> String {
        t.to_datetime().format(RFC3339).to_string()
    }

    #[test]
    fn rfc3339_by_hand_equals_chrono_at_the_edges() {
        let days = [
            0i64, -1, 59, 60, 365, 10_956, 11_016, 20_513, -719_468, 2_932_896, -2_932_896,
        ];
        let offsets = [
            0, 3600, -3600, 19_800, -34_200, 50_400, -43_200, 37, -86_399, 86_399, 90_000,
        ];
        for d in days {
            for s in [0i64, 1, 59, 3599, 43_200, 86_399] {
                for o in offsets {
                    let t = Timestamp {
                        unix: d * 86_400 + s,
                        offset: o,
                    };
                    assert_eq!(t.rfc3339(), chrono_rfc3339(t), "{t:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn rfc3339_by_hand_equals_chrono(unix in -80_000_000_000i64..260_000_000_000, offset in -90_000i32..90_000) {
            let t = Timestamp { unix, offset };
            proptest::prop_assert_eq!(t.rfc3339(), chrono_rfc3339(t));
            let whole = Timestamp { unix, offset: offset / 900 * 900 };
            proptest::prop_assert_eq!(whole.rfc3339(), chrono_rfc3339(whole));
        }
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let a = b"Nov 21 03:14:07 mx1 postfix/smtp[1]: 2026-11-21T03:14:07.123456+08:00";
        for n in 0..a.len() {
            for i in 0..n {
                let mut b = a[..n].to_vec();
                assert!(same_bytes(&a[..n], &b));
                b[i] ^= 0x20;
                assert!(!same_bytes(&a[..n], &b), "{n} {i}");
            }
        }
        assert!(!same_bytes(b"Nov 21 03:14:07", b"Nov 21 03:14:0"));
    }

    fn years(y: i32, m: u32, d: u32) -> YearContext {
        let naive = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        YearContext::new(Local.from_local_datetime(&naive).earliest().unwrap())
    }

    fn at(line: &str, ctx: &YearContext) -> (String, String) {
        let (ts, rest) =
            parse_prefix(line.as_bytes(), ctx).unwrap_or_else(|| panic!("no timestamp in {line:?}"));
        // Tests compare wall-clock text, which is independent of TZ for
        // forms with offsets and equal to the input for local forms.
        let local = DateTime::from_timestamp(ts.unix, 0)
            .unwrap()
            .with_timezone(&Local);
        let shown = if line.as_bytes()[0].is_ascii_digit() && line.as_bytes()[4] != b' ' {
            ts.rfc3339()
        } else {
            local.format("%Y-%m-%d %H:%M:%S").to_string()
        };
        (shown, String::from_utf8_lossy(rest).into_owned())
    }

    proptest::proptest! {
        /// Lines a few seconds apart, in every form, across minutes, hours,
        /// days and a year context whose reference falls inside a minute
        /// (where a classic time's year changes): the cache, moving its
        /// time by the seconds within a minute, returns what parsing does.
        #[test]
        fn the_cache_shifting_seconds_returns_what_parsing_returns(
            // Around midnight of the 20th, near the first reference.
            start in 89_500i64..90_100,
            steps in proptest::collection::vec((0i64..9, 0usize..6), 1..120),
        ) {
            let base = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap().and_hms_opt(23, 0, 0).unwrap();
            // References 2026-11-21 00:00:30 and 2026-11-20 12:00:00 (two
            // days' slack after the time given).
            let at = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap().and_hms_opt(0, 0, 30).unwrap();
            let contexts = [
                YearContext::new(Local.from_local_datetime(&at).earliest().unwrap()),
                years(2026, 11, 18),
            ];
            for ctx in &contexts {
                let mut cache = TimeCache::default();
                let mut t = base + chrono::Duration::seconds(start);
                for &(step, form) in &steps {
                    t += chrono::Duration::seconds(step);
                    let stamp = match form {
                        0 => t.format("%b %e %H:%M:%S").to_string(),
                        1 => t.format("%b %d %H:%M:%S.250").to_string(),
                        2 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        3 => t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string(),
                        4 => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
                        _ => t.format("%Y %b %e %H:%M:%S").to_string(),
                    };
                    let line = format!("{stamp} mx1 postfix/qmgr[1]: x");
                    proptest::prop_assert_eq!(
                        cache.parse(line.as_bytes(), ctx),
                        parse_prefix(line.as_bytes(), ctx),
                        "{}", line
                    );
                }
            }
        }
    }

    #[test]
    fn the_cache_returns_what_parsing_returns() {
        // Lines whose timestamps share a prefix but differ after it: a
        // fraction, an offset, a longer form; and two year contexts.
        let lines = [
            "Nov 21 03:14:07 mx1 a",
            "Nov 21 03:14:07 mx1 b",
            "Nov 21 03:14:07.250 mx1 c",
            "Nov 21 03:14:07 mx1 d",
            "Nov 21 03:14:08 mx1 e",
            "2026-11-21T03:14:07 mx1 f",
            "2026-11-21T03:14:07+08:00 mx1 g",
            "2026-11-21T03:14:07 mx1 h",
            "2026-11-21T03:14:07Z mx1 i",
            "2026-11-21T03:14:07.123456+08:00 mx1 j",
            "2026-11-21T03:14:07.123456+08:00 mx1 k",
            "2026-11-21T03:14:07.123457+08:00 mx1 l",
            "2013 Jun 10 06:27:30 mx1 m",
            "2013 Jun 10 06:27:30.5 mx1 n",
            "Nov 21 03:14:07",
            "Nov 21 03:14:07 mx1 o",
        ];
        let contexts = [years(2026, 11, 23), years(2025, 1, 2)];
        let mut cache = TimeCache::default();
        for ctx in &contexts {
            for line in lines {
                let expected = parse_prefix(line.as_bytes(), ctx);
                assert_eq!(cache.parse(line.as_bytes(), ctx), expected, "{line}");
            }
        }
        // The same line under another year context is another time.
        let line = b"Jan  1 00:00:01 mx1 x";
        let a = cache.parse(line, &contexts[0]).unwrap().0;
        let b = cache.parse(line, &contexts[1]).unwrap().0;
        assert_ne!(a, b);
        assert_eq!(b, parse_prefix(line, &contexts[1]).unwrap().0);
    }

    #[test]
    fn classic_padded_unpadded_and_zero_padded_days() {
        let ctx = years(2026, 11, 23);
        assert_eq!(at("Nov 21 03:14:07 mx1", &ctx).0, "2026-11-21 03:14:07");
        assert_eq!(at("Mar  7 02:09:33 mx1", &ctx).0, "2026-03-07 02:09:33");
        assert_eq!(at("Mar 7 02:09:33 mx1", &ctx).0, "2026-03-07 02:09:33");
        assert_eq!(at("Jul 01 10:00:00 mx1", &ctx).0, "2026-07-01 10:00:00");
        assert_eq!(at("Nov 21 03:14:07 mx1", &ctx).1, " mx1");
    }

    #[test]
    fn classic_with_fractions_as_short_precise_writes_them() {
        let ctx = years(2026, 11, 23);
        let (t, rest) = at("Nov 21 03:14:07.123456 mx1 x", &ctx);
        assert_eq!(t, "2026-11-21 03:14:07");
        assert_eq!(rest, " mx1 x");
    }

    #[test]
    fn year_inferred_so_a_log_crossing_new_year_stays_in_order() {
        let ctx = years(2027, 1, 2);
        assert_eq!(at("Dec 30 23:59:59 mx1", &ctx).0, "2026-12-30 23:59:59");
        assert_eq!(at("Jan  1 00:00:01 mx1", &ctx).0, "2027-01-01 00:00:01");
        // A file last written in November: a December line is last year's.
        let ctx = years(2026, 11, 23);
        assert_eq!(at("Dec 11 08:00:00 mx1", &ctx).0, "2025-12-11 08:00:00");
    }

    #[test]
    fn february_29_goes_back_to_a_leap_year() {
        let ctx = years(2027, 3, 1);
        assert_eq!(at("Feb 29 10:00:00 mx1", &ctx).0, "2024-02-29 10:00:00");
    }

    #[test]
    fn rfc3339_with_and_without_fraction_and_offset_forms() {
        let ctx = years(2026, 11, 23);
        assert_eq!(
            at("2026-11-21T03:14:07.123456+08:00 mx1", &ctx).0,
            "2026-11-21T03:14:07+08:00"
        );
        assert_eq!(
            at("2021-02-06T10:57:57+01:00 mx", &ctx).0,
            "2021-02-06T10:57:57+01:00"
        );
        assert_eq!(at("2026-11-21T03:14:07Z mx", &ctx).0, "2026-11-21T03:14:07+00:00");
        assert_eq!(
            at("2026-11-21T03:14:07+0100 mx", &ctx).0,
            "2026-11-21T03:14:07+01:00"
        );
        assert_eq!(
            at("2026-11-21T03:14:07-05:30 mx", &ctx).0,
            "2026-11-21T03:14:07-05:30"
        );
        assert_eq!(at("2026-11-21T03:14:07.5Z mx", &ctx).1, " mx");
    }

    #[test]
    fn year_first_with_milliseconds() {
        let ctx = years(2026, 11, 23);
        let (t, rest) = at("2013 Jun 10 06:27:30.123 gds39d postfix", &ctx);
        assert_eq!(t, "2013-06-10 06:27:30");
        assert_eq!(rest, " gds39d postfix");
    }

    #[test]
    fn junk_is_no_timestamp() {
        let ctx = years(2026, 11, 23);
        for junk in [
            "%(day)s 11:00:20 server",
            "021-02-06T10:57:57+01:00 mx",
            "Foo 21 03:14:07 mx",
            "Nov 32 03:14:07 mx",
            "Nov 21 25:14:07 mx",
            "2026-13-01T00:00:00Z",
            "",
            "N",
            "# failJSON",
        ] {
            assert!(parse_prefix(junk.as_bytes(), &ctx).is_none(), "{junk:?}");
        }
    }
}
