//! Reports: one module per format, all reading the same [`Report`]. The
//! people's formats (table, Markdown, HTML, CSV) draw the sections of
//! [`model`]; JSON and Prometheus write the summary from the row views
//! below, which the model's sections are built from too, so every format
//! shows the same numbers.

pub mod csv;
pub mod escape;
#[cfg(test)]
mod every_format;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod markdown;
pub mod model;
pub mod output;
pub mod prometheus;
pub mod table;
pub mod text;

use std::io::{self, Write};

use crate::aggregate::{Outcomes, StatusCounts, Summary};
use crate::alert::Condition;
use crate::cause::{Cause, Class, Status};
use crate::classify::matcher::{Adjustment, Decision, Explanation};
use crate::classify::{Catalogue, Lang};
use crate::cli::{By, ClassifyFormat};
use crate::compare::Previous;
use crate::input::InputError;
use crate::pipeline::Analysis;
use crate::window::{self, Window, Zone};
use text::thousands;

/// Everything a renderer needs.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    pub analysis: &'a Analysis,
    pub catalogue: &'a Catalogue,
    pub lang: Lang,
    pub top: usize,
    pub by: Option<By>,
    /// Inputs that could not be found or opened at all.
    pub missing: &'a [InputError],
    /// The time window the events were counted in.
    pub window: Window,
    /// The zone times are shown in.
    pub zone: Zone,
    /// `--fail-if` conditions that were crossed, with their values.
    pub alerts: &'a [(Condition, f64)],
    /// An earlier run to compare with (`--compare`).
    pub previous: Option<&'a Previous>,
    /// What makes the report no all-clear: no lines read, an empty
    /// window, a log that stopped ([`input_warnings`]).
    pub warnings: &'a [String],
    /// Fields a `merge` could not make exact (empty for a run over logs).
    pub estimated: &'a [String],
    /// Whether the summary is a `merge`'s, not a run's over logs.
    pub merged: bool,
    /// A `--state` run's place in its chain, or the chains a merge holds
    /// and the summaries it superseded (docs/merge.md).
    pub chains: &'a crate::merge::Chains,
}

/// Writes `report` as one of the summary formats; `-f jsonl` writes its
/// events while the logs are read, so nothing is left for it here (its
/// `--by incident` and `--by unclassified` lines are the callers' choice).
pub fn write_summary(format: crate::cli::Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    use crate::cli::Format;
    match format {
        Format::Json => json::write(report, out),
        Format::Csv => csv::write(report, out),
        Format::Table => table::write(report, out),
        Format::Markdown => markdown::write(report, out),
        Format::Html => html::write(report, out),
        Format::Prometheus => prometheus::write(report, out),
        Format::Jsonl => Ok(()),
    }
}

/// Why a report must not be read as an all-clear (issue 20): no log line
/// was read (every input skipped, empty or unreadable), the window held no
/// Postfix line, no line read was a Postfix one, or the last Postfix line
/// is older than a `--fail-if stale>…` allows.
pub fn input_warnings(
    analysis: &Analysis,
    conditions: &[Condition],
    run: crate::alert::Run,
    window: Window,
    zone: Zone,
) -> Vec<String> {
    let s = &analysis.summary;
    let lines = s.lines();
    let mut warnings = Vec::new();
    let not_clear = "this report is not an all-clear";
    if lines.lines == 0 {
        let n = analysis.sources.len();
        let skipped = analysis.sources.iter().filter(|x| x.skipped.is_some()).count();
        let failed = analysis.sources.iter().filter(|x| x.error.is_some()).count();
        let empty = n.saturating_sub(skipped + failed);
        let mut why = Vec::new();
        if skipped > 0 {
            why.push(format!("{skipped} skipped (last written before the window)"));
        }
        if empty > 0 {
            why.push(format!("{empty} empty or with nothing new"));
        }
        if failed > 0 {
            why.push(format!("{failed} unreadable"));
        }
        let why = if why.is_empty() {
            "no input".to_string()
        } else {
            format!("of {n} input(s), {}", why.join(", "))
        };
        warnings.push(format!("no log lines were read ({why}): {not_clear}"));
    } else if run.windowed && s.window_records == 0 {
        let at = |t: Option<crate::parse::Timestamp>| t.map_or("-".to_string(), |t| window::show(t, zone));
        warnings.push(format!(
            "the window ({} to {}) holds no Postfix log lines ({} lines read, none in it): {not_clear}",
            at(window.since),
            at(window.until),
            thousands(lines.lines)
        ));
    } else if lines.parsed == 0 {
        warnings.push(format!(
            "none of the {} lines read is a Postfix delivery or queue line (is this a Postfix mail log?): {not_clear}",
            thousands(lines.lines)
        ));
    }
    let stale = crate::alert::staleness(s, run.now);
    if let Some(limit) = conditions
        .iter()
        .filter_map(Condition::stale_after)
        .filter(|&l| stale > l)
        .reduce(f64::min)
    {
        let last = s
            .last_record
            .map_or("never".to_string(), |t| window::show(t, zone));
        warnings.push(format!(
            "the last Postfix log line was logged {last}, {} ago (more than {}): the log may have stopped being written (syslog, Postfix, rotation), so {not_clear}",
            crate::alert::show_span(stale),
            crate::alert::show_span(limit)
        ));
    }
    warnings.extend(approximation_warnings(s));
    warnings
}

/// One line per table that went approximate (more distinct keys than
/// [`crate::topk::limit`]): its top rows are the heaviest keys, their
/// counts low by at most the error; the totals stay exact. Part of
/// [`input_warnings`], so that every format that prints those says it.
pub fn approximation_warnings(s: &Summary) -> Vec<String> {
    s.approximations()
        .into_iter()
        .map(|(table, a)| {
            format!(
                "{table} is approximate: {} or more distinct keys, past the {} held exactly; every key of more than {} events is in it, its counts low by at most that (the totals are exact)",
                thousands(a.distinct_seen_at_least),
                thousands(a.limit),
                thousands(a.max_error)
            )
        })
        .collect()
}

/// One row of a breakdown by a name (domain, relay, sender domain).
pub struct Row<'a> {
    /// `None` for "no domain" (a recipient without `@`, an expiry whose
    /// recipients are not in the input, the null sender).
    pub key: Option<&'a str>,
    pub counts: StatusCounts,
    pub main_cause: Option<Cause>,
}

/// Rows most failures first, then most mail, then by name: a stable order.
fn sorted_rows<'a>(mut rows: Vec<Row<'a>>) -> Vec<Row<'a>> {
    rows.sort_by(|a, b| {
        b.counts
            .failures()
            .cmp(&a.counts.failures())
            .then(b.counts.get(Status::Sent).cmp(&a.counts.get(Status::Sent)))
            .then(a.key.cmp(&b.key))
    });
    rows
}

fn key(k: &str) -> Option<&str> {
    (!k.is_empty()).then_some(k)
}

pub fn domain_rows(s: &Summary) -> Vec<Row<'_>> {
    sorted_rows(
        s.by_domain
            .iter()
            .map(|(k, d)| Row {
                key: key(k),
                counts: d.counts,
                main_cause: d.main_cause(),
            })
            .collect(),
    )
}

pub fn relay_rows(s: &Summary) -> Vec<Row<'_>> {
    sorted_rows(
        s.by_relay
            .iter()
            .map(|(k, d)| Row {
                key: key(k),
                counts: d.counts,
                main_cause: d.main_cause(),
            })
            .collect(),
    )
}

/// Rows of a breakdown that counts only statuses (no causes).
fn counted_rows<'a>(
    map: impl IntoIterator<Item = (&'a String, &'a StatusCounts)>,
    name: impl Fn(&'a str) -> Option<&'a str>,
) -> Vec<Row<'a>> {
    sorted_rows(
        map.into_iter()
            .map(|(k, c)| Row {
                key: name(k),
                counts: *c,
                main_cause: None,
            })
            .collect(),
    )
}

pub fn sender_domain_rows(s: &Summary) -> Vec<Row<'_>> {
    counted_rows(&s.by_sender_domain, key)
}

pub fn host_rows(s: &Summary) -> Vec<Row<'_>> {
    counted_rows(&s.by_host, key)
}

/// Envelope senders; the null sender of bounce messages shows as `<>`.
pub fn sender_rows(s: &Summary) -> Vec<Row<'_>> {
    counted_rows(&s.by_sender, |k| Some(if k.is_empty() { "<>" } else { k }))
}

pub fn sasl_rows(s: &Summary) -> Vec<Row<'_>> {
    counted_rows(&s.by_sasl_user, key)
}

/// One group of unclassified replies.
pub struct UnclassifiedRow<'a> {
    pub pattern: &'a str,
    pub events: u64,
    pub example: Option<&'a str>,
}

/// Unclassified reply groups, most events first.
pub fn unclassified_rows(s: &Summary) -> Vec<UnclassifiedRow<'_>> {
    let mut rows: Vec<UnclassifiedRow<'_>> = s
        .unclassified
        .iter()
        .map(|(k, u)| UnclassifiedRow {
            pattern: k,
            events: u.events,
            example: u.example.text(),
        })
        .collect();
    rows.sort_by(|a, b| b.events.cmp(&a.events).then(a.pattern.cmp(b.pattern)));
    rows
}

/// The most domains the Deferrals sections list.
pub const DEFERRAL_DOMAINS: usize = 10;

/// The domains with most deferred recipients ("" for none), most first and
/// then by name, at most [`DEFERRAL_DOMAINS`] and `--top`.
pub fn deferral_domains<'a>(report: &Report<'a>) -> Vec<(&'a str, &'a Outcomes)> {
    let mut rows: Vec<(&str, &Outcomes)> = report
        .analysis
        .summary
        .outcomes_by_domain
        .iter()
        .map(|(d, o)| (d.as_str(), o))
        .filter(|(_, o)| o.total() > 0)
        .collect();
    rows.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then(a.0.cmp(b.0)));
    rows.truncate(report.top.min(DEFERRAL_DOMAINS));
    rows
}

/// One cause with its failures.
pub struct CauseRow<'a> {
    pub cause: Cause,
    pub counts: StatusCounts,
    pub recipients: usize,
    /// Share of all failure events.
    pub share: f64,
    /// The commonest kind of reply of the cause (for `undefined`, the
    /// commonest unclassified shape's reply).
    pub example: Option<&'a str>,
    /// The rule that decided the commonest kind, if one did: its own
    /// advice, when it has some, is the cause's in the report.
    pub rule: Option<u32>,
}

/// Causes with at least one event, most events first.
pub fn cause_rows(s: &Summary) -> Vec<CauseRow<'_>> {
    let all = s.totals.failures().max(1) as f64;
    let mut rows: Vec<CauseRow<'_>> = Cause::ALL
        .iter()
        .map(|&c| {
            let st = &s.by_cause[c.index()];
            CauseRow {
                cause: c,
                counts: st.counts,
                recipients: st.recipients.len(),
                share: st.counts.failures() as f64 / all,
                example: if c == Cause::Undefined {
                    // The commonest shape (ties: the first pattern, as
                    // `unclassified_rows` orders them).
                    s.unclassified
                        .iter()
                        .min_by(|a, b| b.1.events.cmp(&a.1.events).then(a.0.cmp(b.0)))
                        .and_then(|(_, u)| u.example.text())
                } else {
                    st.example().and_then(|e| e.text())
                },
                rule: st.commonest().and_then(|(kind, _)| kind.rule),
            }
        })
        .filter(|r| r.counts.failures() > 0)
        .collect();
    rows.sort_by(|a, b| {
        b.counts
            .failures()
            .cmp(&a.counts.failures())
            .then(a.cause.cmp(&b.cause))
    });
    rows
}

/// What makes a cause hard, said once above the advice in every format.
pub fn hard_note(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Hard (stop mailing the address): a bounce or expiry with user_unknown, host_unknown, \
             not_accept, has_moved or suspend whose reply is about the recipient: a refusal at RCPT \
             TO or later, our own local delivery's, or a domain that does not exist. A refusal at \
             the greeting, HELO, STARTTLS or MAIL FROM is about our connection or sender, and \
             \"Host not found\" from our failing resolver is about our DNS: neither puts an \
             address in `suppress`."
        }
        Lang::Zh => {
            "硬失败（应停止向该地址发信）：原因为 user_unknown、host_unknown、not_accept、has_moved 或 \
             suspend 的退信或过期，且回复针对的是收件人：在 RCPT TO 及之后被拒、本机本地投递拒收，或域名不存在。\
             在问候、HELO、STARTTLS 或 MAIL FROM 阶段的拒绝针对的是我方连接或发件人，本机解析器故障导致的\
             “Host not found”针对的是我方 DNS：二者都不会让地址进入 `suppress` 列表。"
        }
    }
}

/// What to do about a cause: the advice of the rule that decided most of
/// its replies when that rule has its own (a vendor's code, Postfix's own
/// loop or DNS failure), else the cause's.
pub fn advice<'a>(catalogue: &'a Catalogue, row: &CauseRow<'_>, lang: Lang) -> &'a str {
    row.rule
        .and_then(|i| catalogue.rule_detail(i))
        .and_then(|r| r.advice(lang))
        .unwrap_or_else(|| catalogue.cause_info(row.cause).advice(lang))
}

/// One paragraph per local-resolver incident, the same in every format:
/// when, how many failures at which domains, why it is the resolver, and
/// what to do.
pub fn resolver_warnings(report: &Report<'_>) -> Vec<String> {
    let at = |t: i64| text::time(t, report.zone);
    let zh = report.lang == Lang::Zh;
    report
        .analysis
        .incidents
        .resolver
        .iter()
        .map(|i| {
            let when = match (i.start == i.end, zh) {
                (true, false) => format!("at {}", at(i.start)),
                (false, false) => format!("from {} to {}", at(i.start), at(i.end)),
                (true, true) => format!("于 {}", at(i.start)),
                (false, true) => format!("于 {} 至 {}", at(i.start), at(i.end)),
            };
            let mut domains = i.sample.join(", ");
            if i.domains > i.sample.len() as u64 {
                domains.push_str(", …");
            }
            let failures = thousands(i.failures);
            if zh {
                let why = if i.delivered_domains == i.domains {
                    "这些域在本次运行中有成功投递，是存在的".to_string()
                } else {
                    format!("{} 个域同时失败，失败次数不少于同期投递次数", thousands(i.domains))
                };
                return format!(
                    "本机 DNS 解析器故障，而非对方域名：{when} 共 {failures} 次“Host not found”（{domains}）；{why}。\
                     请检查本机解析器（resolv.conf、本地 DNS 缓存）；这些地址不会进入 `suppress` 列表。"
                );
            }
            let plural = |n: u64, word: &str| format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" });
            let why = if i.delivered_domains == i.domains {
                match i.domains {
                    1 => "which received mail in this run".to_string(),
                    _ => "each of which received mail in this run".to_string(),
                }
            } else {
                format!(
                    "{} failing at once, as many as the deliveries then",
                    plural(i.domains, "domain")
                )
            };
            format!(
                "Our DNS resolver, not the domains: {failures} \"Host not found\" {when} for {domains}, {why}. \
                 Check this host's resolver (resolv.conf, the local DNS cache); these addresses are kept off `suppress`."
            )
        })
        .collect()
}

/// The class most of a cause's events have: hard or soft for causes seen in
/// bounces and expiries, transient for causes seen only in deferrals.
pub fn cause_class(c: Cause, counts: &StatusCounts) -> Class {
    if counts.get(Status::Bounced) + counts.get(Status::Expired) > 0 {
        Class::of(Status::Bounced, c).unwrap_or(Class::Soft)
    } else {
        Class::Transient
    }
}

/// Writes `value` as one line of JSON: serialized into `buf` (cleared
/// first, kept by the caller for the next line) and handed to `out` in one
/// write. serde_json writes a few bytes at a time; through `dyn Write`
/// each of those was a call.
pub(crate) fn write_json_line(
    out: &mut dyn Write,
    buf: &mut Vec<u8>,
    value: &impl serde::Serialize,
) -> io::Result<()> {
    buf.clear();
    serde_json::to_writer(&mut *buf, value)?;
    buf.push(b'\n');
    out.write_all(buf)
}

/// `bounce-report causes`: every cause with its class, description and advice.
pub fn causes(catalogue: &Catalogue, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    for &c in Cause::ALL {
        let info = catalogue.cause_info(c);
        let class = if c.is_hard() { "hard" } else { "soft/transient" };
        writeln!(out, "{c} ({class})")?;
        writeln!(out, "  {}", info.description(lang))?;
        if !info.advice(lang).is_empty() {
            writeln!(out, "  → {}", info.advice(lang))?;
        }
    }
    Ok(())
}

/// One line of `bounce-report classify`: cause, class, SMTP code, DSN, and
/// with `explain` what decided and which other rules matched.
pub fn classify_line(
    catalogue: &Catalogue,
    text: &[u8],
    x: &Explanation,
    explain: bool,
    format: ClassifyFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let v = &x.verdict;
    // A 4xx reply is a deferral; anything else is read as a bounce.
    let temporary = v.smtp_code.is_some_and(|c| c / 100 == 4) || v.dsn.is_some_and(|d| d.class == 4);
    let status = if temporary {
        Status::Deferred
    } else {
        Status::Bounced
    };
    let class = Class::of(status, v.cause).map_or("-", Class::as_str);
    let decided = match x.decision {
        Decision::Rule(i) => catalogue
            .rule(i)
            .map_or_else(|| format!("rule #{i}"), |r| r.to_string()),
        Decision::Dsn(d) => format!("enhanced status code {d} (patterns/dsn.toml)"),
        Decision::Code(c) => format!("reply code {c} (patterns/codes.toml)"),
        Decision::Nothing => "nothing matched".to_string(),
    };
    let a = &x.anatomy;
    let stage = a.stage.map_or("-", |s| s.as_str());
    // The provider the reply was put with (relay host, a host or signature
    // in the text, or the recipient domain): provider-scoped rules need it.
    let provider = x
        .provider
        .and_then(|i| catalogue.providers().get(usize::from(i)))
        .map(|p| p.id.as_str());
    let adjusted = x.adjusted.map(|adj| match adj {
        Adjustment::SenderLevel(c) => {
            format!("{c} at {stage} is about our sender, not the recipient: rejected")
        }
        Adjustment::ConnectionLevel => {
            format!("a refusal at {stage} is about our connection: recipient causes passed over")
        }
        Adjustment::ContentAtConnection(c) => {
            format!("{c} at {stage}, before any message was sent, is about our IP: blocked")
        }
        Adjustment::OurResolver => {
            "the domain is a mail provider's and exists: our resolver failed, not the domain".to_string()
        }
        Adjustment::SenderDsn(c) => {
            format!("{c} under an enhanced code about the sender's address (X.1.7/X.1.8) is about our sender: rejected")
        }
    });
    let also: Vec<String> = x
        .matched
        .iter()
        .filter(|&&i| x.decision != Decision::Rule(i))
        .filter_map(|&i| catalogue.rule(i).map(|r| r.to_string()))
        .collect();
    match format {
        ClassifyFormat::Json => {
            let mut obj = serde_json::json!({
                "text": crate::event::lossy(text),
                "cause": v.cause.as_str(),
                "class": class,
                "smtp_code": v.smtp_code,
                "dsn": v.dsn.map(|d| d.to_string()),
            });
            if explain {
                obj["origin"] = serde_json::json!(a.origin.as_str());
                obj["stage"] = serde_json::json!(a.stage.map(|s| s.as_str()));
                obj["provider"] = serde_json::json!(provider);
                obj["adjusted"] = serde_json::json!(adjusted);
                obj["decided_by"] = serde_json::json!(decided);
                obj["rule"] = serde_json::json!(v.rule.and_then(|i| catalogue.rule(i)).map(|r| r.id.clone()));
                obj["also_matched"] = serde_json::json!(also);
            }
            write_json_line(out, &mut Vec::new(), &obj)
        }
        ClassifyFormat::Text => {
            let code = v.smtp_code.map_or("-".to_string(), |c| c.to_string());
            let dsn = v.dsn.map_or("-".to_string(), |d| d.to_string());
            writeln!(out, "{}\t{class}\t{code}\t{dsn}", v.cause)?;
            if explain {
                write!(out, "  origin: {}, stage: {stage}", a.origin.as_str())?;
                match provider {
                    Some(p) => writeln!(out, ", provider: {p}")?,
                    None => writeln!(out)?,
                }
                writeln!(out, "  decided by: {decided}")?;
                if let Some(adj) = &adjusted {
                    writeln!(out, "  adjusted: {adj}")?;
                }
                for a in also {
                    writeln!(out, "  also matched: {a}")?;
                }
            }
            Ok(())
        }
    }
}

/// Rows of the server-health section shown in the people's formats.
pub const HEALTH_SHOWN: usize = 8;

/// One line on the server's own trouble, for every people's format:
/// "Postfix logged 1 fatal error, 3 warnings; our smtpd refused 7 messages
/// offered to it (3 for want of disk space on our side)." `None` when the
/// server said nothing of the kind.
pub fn health_sentence(h: &crate::health::Health, lang: Lang) -> Option<String> {
    use crate::parse::ServerKind;
    if h.is_empty() {
        return None;
    }
    let zh = lang == Lang::Zh;
    let n = text::thousands;
    let plural = |k: u64, one: &str, many: &str| format!("{} {}", n(k), if k == 1 { one } else { many });
    let mut own = Vec::new();
    for (kind, one, many, zh_word) in [
        (ServerKind::Panic, "panic", "panics", "条 panic"),
        (ServerKind::Fatal, "fatal error", "fatal errors", "条致命错误"),
        (ServerKind::Error, "error", "errors", "条错误"),
        (ServerKind::Warning, "warning", "warnings", "条警告"),
    ] {
        let k = h.count(kind);
        if k > 0 {
            own.push(if zh {
                format!("{}{zh_word}", n(k))
            } else {
                plural(k, one, many)
            });
        }
    }
    let mut parts = Vec::new();
    if !own.is_empty() {
        parts.push(if zh {
            format!("Postfix 记录了{}", own.join("、"))
        } else {
            format!("Postfix logged {}", own.join(", "))
        });
    }
    let rejects = h.count(ServerKind::Reject);
    if rejects > 0 {
        let disk = h.disk_full();
        parts.push(match (zh, disk) {
            (true, 0) => format!("本机 smtpd 拒收了 {} 封投递给它的邮件", n(rejects)),
            (true, d) => format!(
                "本机 smtpd 拒收了 {} 封投递给它的邮件（其中 {} 封因本机磁盘空间不足）",
                n(rejects),
                n(d)
            ),
            (false, 0) => format!(
                "our smtpd refused {}",
                plural(rejects, "message offered to it", "messages offered to it")
            ),
            (false, d) => format!(
                "our smtpd refused {} ({} for want of disk space on our side)",
                plural(rejects, "message offered to it", "messages offered to it"),
                n(d)
            ),
        });
    }
    let mut s = parts.join(if zh { "；" } else { "; " });
    if h.ungrouped > 0 {
        s.push_str(&if zh {
            format!(
                "（超出 {} 类之后的 {} 行只计数、未分组）",
                crate::health::MAX_GROUPS,
                n(h.ungrouped)
            )
        } else {
            format!(
                " ({} lines past {} kinds are counted but not grouped)",
                n(h.ungrouped),
                crate::health::MAX_GROUPS
            )
        });
    }
    Some(s + if zh { "。" } else { "." })
}

/// A warning that needs action now: Postfix stopped a process (fatal,
/// panic) or our disk is too full to take mail.
pub fn health_alarm(h: &crate::health::Health, lang: Lang) -> Option<String> {
    use crate::parse::ServerKind;
    let stops = h.count(ServerKind::Fatal) + h.count(ServerKind::Panic);
    let disk = h.disk_full();
    let n = text::thousands;
    let zh = lang == Lang::Zh;
    match (stops, disk) {
        (0, 0) => None,
        (_, 0) if zh => Some(format!(
            "Postfix 记录了 {} 条 fatal 或 panic：有 Postfix 进程已停止，请查看下表和邮件日志。",
            n(stops)
        )),
        (_, 0) => Some(format!(
            "Postfix logged {} fatal or panic {}: a Postfix process stopped; read them below and in the mail log.",
            n(stops),
            if stops == 1 { "line" } else { "lines" }
        )),
        _ if zh => Some(format!(
            "本机因磁盘空间不足拒收邮件 {} 次：请清理队列所在文件系统的空间。",
            n(disk)
        )),
        _ => Some(format!(
            "Our own server refused mail for want of disk space {} {}: free space in the queue file system.",
            n(disk),
            if disk == 1 { "time" } else { "times" }
        )),
    }
}

/// The groups shown: the server's messages, then its refusals, each the
/// gravest and commonest first, at most `top` of each.
pub fn health_rows(h: &crate::health::Health, top: usize) -> Vec<&crate::health::Group> {
    let mut rows: Vec<_> = h.messages().into_iter().take(top).collect();
    rows.extend(h.rejects().into_iter().take(top));
    rows
}
