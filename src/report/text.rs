//! The words every people-facing format shares (issue 20): numbers with
//! thousands separators, plurals, percentages, delays, times in the
//! report's zone, compression names, cutting a long reply at a word, and
//! the report's own words in English and Chinese ([`tr`]). Table,
//! Markdown, HTML and CSV take the report's words from here and from the
//! report model (`report/model.rs`); what is left in a format is its own
//! markup and the HTML charts' labels.

use crate::classify::Lang;
use crate::input::Compression;
use crate::window::Zone;

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `1 event`, `2 events`, `1,234 events`; in Chinese the number and the
/// measure word, which has no plural (`12 个事件`).
pub fn count(lang: Lang, n: u64, one: &str, many: &str) -> String {
    match lang {
        Lang::En => format!("{} {}", thousands(n), if n == 1 { one } else { many }),
        Lang::Zh => format!("{} {}", thousands(n), measure(many)),
    }
}

/// The Chinese number-and-measure word for a counted English noun.
fn measure(many: &str) -> &str {
    match many {
        "events" => "个事件",
        "recipients" => "个收件人",
        "groups" => "组",
        "lines" => "行",
        other => other,
    }
}

/// `, and 3 more` after a list cut short (`，另有 3 个` in Chinese).
pub fn and_more(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En => format!(", and {} more", thousands(n as u64)),
        Lang::Zh => format!("，另有 {} 个", thousands(n as u64)),
    }
}

/// The labels of a cause under "What to do": what it is, an example reply,
/// what to do.
pub fn advice_labels(lang: Lang) -> [&'static str; 3] {
    match lang {
        Lang::En => ["What", "Example", "Do"],
        Lang::Zh => ["含义", "示例", "建议"],
    }
}

/// "No bounces, deferrals or expiries.", for a section or chart with none.
pub fn no_failures(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "No bounces, deferrals or expiries.",
        Lang::Zh => "没有退信、延迟或过期。",
    }
}

/// A share as `4.7%`, or `-` when there is nothing to divide by.
pub fn percent(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |x| format!("{:.1}%", x * 100.0))
}

/// `45s`, `12m`, `3h 05m`, `2d 04h`: a delay.
pub fn duration(secs: u32) -> String {
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// `2026-11-21 03:14:07 +01:00`: a time in the report's zone (local, `TZ`
/// respected, or UTC with `--utc`), with its offset.
pub fn time(unix: i64, zone: Zone) -> String {
    crate::window::in_zone(crate::parse::Timestamp { unix, offset: 0 }, zone)
        .to_datetime()
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// `11-21 09:12`, or only `09:12` when `since` (the start of the same row)
/// fell on the same day: the incidents' compact times.
pub fn minute(unix: i64, since: Option<i64>, zone: Zone) -> String {
    let m = |t: i64| time(t, zone)[5..16].to_string();
    let this = m(unix);
    match since.map(m) {
        Some(start) if start[..5] == this[..5] => this[6..].to_string(),
        _ => this,
    }
}

/// What a compressed input is called after its name (` (xz)`), nothing for
/// a plain file.
pub fn compression(c: Option<Compression>) -> String {
    match c {
        None | Some(Compression::None) => String::new(),
        Some(other) => format!(" ({})", other.as_str()),
    }
}

/// `text` cut to at most `max` characters with `…`: at the last blank
/// within the last fifth of the room when there is one, so a word is not
/// cut in half; inside a word only when the text has no blank near the cut
/// (a long URL or token).
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep: String = text.chars().take(max.saturating_sub(1)).collect();
    let floor = keep.len() - keep.len() / 5;
    let cut = match keep.rfind(char::is_whitespace) {
        Some(i) if i >= floor && i > 0 => keep[..i].trim_end(),
        _ => keep.as_str(),
    };
    format!("{cut}…")
}

/// The report's own words in the chosen language: titles, column headings,
/// labels, states and sentences' parts (descriptions and advice come from
/// the catalogue). An English text without a translation is kept.
pub fn tr(lang: Lang, en: &str) -> &str {
    if lang == Lang::En {
        return en;
    }
    match en {
        "Bounce report" => "退信报告",
        "Totals" => "总计",
        "Causes" => "原因",
        "Deferrals" => "延迟投递的结果",
        "What to do" => "处理建议",
        "Failures per hour" => "每小时失败数",
        "Compared with" => "对比",
        "Recipient domains" => "收件域名",
        "Relays" => "中继",
        "Sender domains" => "发件域名",
        "Senders" => "发件人",
        "Authenticated submitters" => "认证提交用户",
        "Hosts" => "主机",
        "Incidents" => "故障事件",
        "Unclassified replies" => "未分类的回复",
        "Our server" => "本服务器状况",
        "Our DNS resolver" => "本机 DNS 解析",
        "Alert conditions crossed" => "已触发的告警条件",
        "Input" => "输入",
        "Not read" => "未读取",
        "Window" => "时间窗口",
        "Time span" => "时间范围",
        "Lines" => "日志行",
        "what" => "含义",
        "example" => "示例",
        "do" => "建议",
        "sent" => "已投递",
        "bounced" => "退信",
        "deferred" => "延迟",
        "deferrals" => "延迟次数",
        "deferred rcpts" => "延迟收件人",
        "expired" => "过期",
        "bounce rate" => "退信率",
        "handed to filter" => "转交过滤器",
        "main cause" => "主要原因",
        "domain" => "域名",
        "cause" => "原因",
        "class" => "类别",
        "recipients" => "收件人数",
        "share" => "占比",
        "vs previous" => "较上次",
        "relay" => "中继",
        "sender" => "发件人",
        "sender domain" => "发件域名",
        "sasl_username" => "认证用户名",
        "host" => "主机",
        "delivered" => "后来投递",
        "delivered later" => "后来投递",
        "median delay" => "中位延迟",
        "pending" => "仍在队列",
        "from" => "开始",
        "to" => "结束",
        "tries" => "次数",
        "rcpts" => "收件人",
        "state" => "状态",
        "events" => "事件数",
        "reply (normalised)" => "回复（已归一化）",
        "hour" => "小时",
        "lines" => "行数",
        "kind" => "级别",
        "service" => "服务",
        "message (masked)" => "消息（已脱敏）",
        "last" => "最近一次",
        "ongoing" => "持续中",
        "ok" => "已恢复",
        "other cause" => "转为其他原因",
        "hard" => "硬性",
        "soft" => "软性",
        "transient" => "暂时",
        "(none)" => "（无）",
        "(no input)" => "（无输入）",
        "none" => "无",
        "this run" => "本次",
        "Failures then" => "上次失败数",
        "Causes no longer seen" => "不再出现的原因",
        "Domains now failure-free" => "不再失败的域名",
        "no deliveries found" => "未找到投递记录",
        "most failures first" => "按失败数排序",
        "description" => "说明",
        "advice" => "建议",
        other => other,
    }
}

/// A section's count line, `(top 5 of 12, most failures first)`, in the
/// chosen language; `order` says how the rows are sorted.
pub fn top_of(lang: Lang, shown: usize, total: usize, order: &str) -> String {
    match lang {
        Lang::En => format!("(top {shown} of {}, {order})", thousands(total as u64)),
        Lang::Zh => format!(
            "（共 {} 个，显示前 {shown} 个，{}）",
            thousands(total as u64),
            tr(lang, order)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn plurals_follow_the_number() {
        assert_eq!(count(Lang::En, 1, "event", "events"), "1 event");
        assert_eq!(count(Lang::En, 1200, "event", "events"), "1,200 events");
        assert_eq!(count(Lang::Zh, 1, "event", "events"), "1 个事件");
    }

    #[test]
    fn truncate_cuts_at_a_word_when_there_is_one_near() {
        let reply = "550 5.1.1 The email account that you tried to reach does not exist";
        let cut = truncate(reply, 40);
        assert_eq!(cut, "550 5.1.1 The email account that you…");
        assert!(cut.chars().count() <= 40);
        // No blank near the cut: cut inside the token.
        let token = format!("see https://{}", "x".repeat(60));
        let cut = truncate(&token, 30);
        assert_eq!(cut.chars().count(), 30);
        assert!(cut.ends_with("xx…"));
        assert_eq!(truncate("short", 30), "short");
    }

    #[test]
    fn minute_drops_the_day_when_it_is_the_starts() {
        let start = 1_763_716_320; // 2025-11-21 09:12 UTC
        assert_eq!(minute(start, None, Zone::Utc), "11-21 09:12");
        assert_eq!(minute(start + 600, Some(start), Zone::Utc), "09:22");
        assert_eq!(minute(start + 86_400, Some(start), Zone::Utc), "11-22 09:12");
    }

    #[test]
    fn compression_names_the_format() {
        assert_eq!(compression(Some(Compression::Xz)), " (xz)");
        assert_eq!(compression(Some(Compression::None)), "");
        assert_eq!(compression(None), "");
    }
}
