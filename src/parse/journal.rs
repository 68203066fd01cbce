//! `journalctl -o json` lines: one JSON object per entry. Recognised by
//! their shape (a line that starts with `{` and has a `MESSAGE`), and turned
//! back into the syslog line journald would have written, so one parser
//! serves both. (`-o short`, `short-iso` and `short-precise` are syslog
//! lines already.)
//!
//! The fields used: `__REALTIME_TIMESTAMP` (microseconds since the epoch),
//! `_HOSTNAME`, `SYSLOG_IDENTIFIER` (`postfix/smtp`), `SYSLOG_PID` or `_PID`,
//! and `MESSAGE`, which journald writes as an array of bytes when it is not
//! valid UTF-8.

use std::io::Write;

use chrono::{DateTime, Local};
use serde::Deserialize;

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "__REALTIME_TIMESTAMP", borrow)]
    realtime: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "_HOSTNAME", borrow)]
    hostname: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "SYSLOG_IDENTIFIER", borrow)]
    identifier: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "SYSLOG_PID", borrow)]
    syslog_pid: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "_PID", borrow)]
    pid: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "MESSAGE")]
    message: Option<Message>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    Text(String),
    Bytes(Vec<u8>),
}

/// Whether a line looks like a journal JSON entry.
pub fn is_entry(line: &[u8]) -> bool {
    line.first() == Some(&b'{')
}

/// Writes the syslog line for a journal JSON entry into `out` (cleared
/// first): `2026-11-21T03:14:07.123456+01:00 host ident[pid]: message`, in
/// the local offset. `false` when the line is not a usable entry.
pub fn to_syslog(line: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let Ok(entry) = serde_json::from_slice::<Entry<'_>>(line) else {
        return false;
    };
    let (Some(ts), Some(message)) = (entry.realtime.as_deref(), entry.message) else {
        return false;
    };
    let Ok(micros) = ts.parse::<i64>() else {
        return false;
    };
    let Some(time) = DateTime::from_timestamp_micros(micros) else {
        return false;
    };
    let time = time.with_timezone(&Local).format("%Y-%m-%dT%H:%M:%S%.6f%:z");
    let host = entry.hostname.as_deref().unwrap_or("-");
    let ident = entry.identifier.as_deref().unwrap_or("-");
    let pid = entry
        .syslog_pid
        .as_deref()
        .or(entry.pid.as_deref())
        .unwrap_or("0");
    let _ = write!(out, "{time} {host} {ident}[{pid}]: ");
    match message {
        Message::Text(t) => out.extend_from_slice(t.as_bytes()),
        Message::Bytes(b) => out.extend_from_slice(&b),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_becomes_the_syslog_line() {
        let line = br#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1763694847123456","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/smtp","SYSLOG_PID":"4242","_PID":"4242","MESSAGE":"4BQ3Tz0X1Cz9vQ: to=<bob@example.com>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to \"x\": timed out)"}"#;
        let mut out = Vec::new();
        assert!(to_syslog(line, &mut out));
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(" mx1 postfix/smtp[4242]: 4BQ3Tz0X1Cz9vQ: to=<bob@example.com>"),
            "{text}"
        );
        assert!(text.ends_with("(connect to \"x\": timed out)"));
    }

    #[test]
    fn message_as_bytes_is_kept_byte_for_byte() {
        let line = br#"{"__REALTIME_TIMESTAMP":"1763694847000000","_HOSTNAME":"h","SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"1","MESSAGE":[65,255,66]}"#;
        let mut out = Vec::new();
        assert!(to_syslog(line, &mut out));
        assert!(out.ends_with(&[b'A', 0xff, b'B']));
    }

    #[test]
    fn other_json_is_not_an_entry() {
        let mut out = Vec::new();
        assert!(!to_syslog(br#"{"a":1}"#, &mut out));
        assert!(!to_syslog(b"{not json", &mut out));
    }
}
