//! Renders a report for people, in the report's language: Markdown (`report.md`, posted to Slack as a file and stored
//! in S3) and a short Slack mrkdwn summary for the thread message.
//!
//! Text copied from telemetry (excerpts, refs, component names, timeline events) is treated as hostile: it must never
//! break the layout, render as HTML or mention people. Prose written by the brain may hold Markdown (report spec), so it
//! keeps inline formatting but loses anything that could escape its section.

use crate::contract::{
    ActionItem, Category, EvidenceItem, EvidenceSource, Hypothesis, Language, Priority, Report, Severity, Status,
    Trigger, TriggerKind, Usage, format_time,
};
use crate::domain::budget::clip;

/// The longest trigger description shown in a title.
const TITLE_DESCRIPTION_CHARS: usize = 80;
/// The longest summary in the Slack thread message.
const SLACK_SUMMARY_CHARS: usize = 300;
/// The longest trigger description in the Slack thread message.
const SLACK_DESCRIPTION_CHARS: usize = 120;

/// The report as Markdown (`report.md`), in `report.language`.
pub fn markdown(report: &Report) -> String {
    let words = Phrases::of(report.language);
    let sections = [
        header(report, words),
        section(words.summary, prose_or_none(&report.summary, words)),
        section(words.hypotheses, hypotheses(report, words)),
        section(words.timeline, timeline(report, words)),
        section(words.impact, prose_or_none(&report.impact, words)),
        section(words.actions, actions(&report.actions, words)),
        section(words.prevention, prevention(&report.prevention, words)),
        footer(&report.usage, words),
    ];
    let mut out = sections.join("\n\n");
    out.push('\n');
    out
}

/// A short mrkdwn text for the Slack thread message: status, top hypothesis with confidence, a one-line summary.
pub fn slack_summary(report: &Report) -> String {
    let words = Phrases::of(report.language);
    let language = words.language;
    let mut lines = vec![format!(
        "{} *{}* — {}",
        status_emoji(report.status),
        status_label(report.status, language),
        slack_trigger(&report.trigger, words)
    )];
    let top_label = match report.status {
        Status::RootCauseIdentified => Some(words.top_hypothesis),
        Status::Inconclusive => Some(words.lead),
        // Nothing is wrong: a hypothesis line would read like an alert.
        Status::Healthy => None,
    };
    if let (Some(label), Some(top)) = (top_label, report.hypotheses.first()) {
        let details = [category_label(top.category, language), &percent(top.confidence)].join(words.comma);
        lines.push(format!("{label}: {}{}", slack_code(&top.component), words.parenthesize(&details)));
    }
    let summary = clip(&one_line(&report.summary), SLACK_SUMMARY_CHARS);
    if !summary.is_empty() {
        lines.push(slack_text(&summary));
    }
    lines.join("\n")
}

/// The fixed phrases of the report, per language.
struct Phrases {
    language: Language,
    title: &'static str,
    status: &'static str,
    trigger: &'static str,
    window: &'static str,
    run_id: &'static str,
    summary: &'static str,
    hypotheses: &'static str,
    timeline: &'static str,
    impact: &'static str,
    actions: &'static str,
    prevention: &'static str,
    usage: &'static str,
    fallback: &'static str,
    confidence: &'static str,
    severity: &'static str,
    category: &'static str,
    evidence: &'static str,
    time: &'static str,
    source: &'static str,
    event: &'static str,
    none: &'static str,
    no_hypotheses_healthy: &'static str,
    no_hypotheses_inconclusive: &'static str,
    leads_only: &'static str,
    healthy_signals: &'static str,
    top_hypothesis: &'static str,
    lead: &'static str,
    range: &'static str,
    comma: &'static str,
    open_paren: &'static str,
    close_paren: &'static str,
}

const ENGLISH: Phrases = Phrases {
    language: Language::En,
    title: "Failure analysis",
    status: "Status",
    trigger: "Trigger",
    window: "Window",
    run_id: "Run ID",
    summary: "Summary",
    hypotheses: "Hypotheses",
    timeline: "Timeline",
    impact: "Impact",
    actions: "Actions",
    prevention: "Prevention",
    usage: "Usage",
    fallback: "Fallback",
    confidence: "Confidence",
    severity: "Severity",
    category: "Category",
    evidence: "Evidence",
    time: "Time",
    source: "Source",
    event: "Event",
    none: "None.",
    no_hypotheses_healthy: "None: the alarm fired, but nothing points to a fault.",
    no_hypotheses_inconclusive: "None: the evidence was not enough to form a hypothesis.",
    leads_only: "The evidence is not conclusive: treat these as leads to check, not as findings.",
    healthy_signals: "Nothing needs fixing; these are the signals that were examined.",
    top_hypothesis: "Top hypothesis",
    lead: "Leading hypothesis (unconfirmed)",
    range: " → ",
    comma: ", ",
    open_paren: " (",
    close_paren: ")",
};

const JAPANESE: Phrases = Phrases {
    language: Language::Ja,
    title: "障害分析",
    status: "ステータス",
    trigger: "トリガー",
    window: "調査期間",
    run_id: "実行 ID",
    summary: "概要",
    hypotheses: "原因の仮説",
    timeline: "タイムライン",
    impact: "影響",
    actions: "対応策",
    prevention: "再発防止策",
    usage: "実行統計",
    fallback: "フォールバック理由",
    confidence: "確信度",
    severity: "深刻度",
    category: "カテゴリ",
    evidence: "根拠",
    time: "時刻",
    source: "ソース",
    event: "イベント",
    none: "なし。",
    no_hypotheses_healthy: "なし。アラームは発報しましたが、障害を示す兆候は見つかりませんでした。",
    no_hypotheses_inconclusive: "なし。仮説を立てるのに十分な根拠が得られませんでした。",
    leads_only: "根拠が十分ではないため、以下は確定した原因ではなく、確認すべき手がかりです。",
    healthy_signals: "対応が必要な問題はありません。以下は確認したシグナルです。",
    top_hypothesis: "最有力の仮説",
    lead: "有力な仮説（未確定）",
    range: " 〜 ",
    comma: "、",
    open_paren: "（",
    close_paren: "）",
};

impl Phrases {
    fn of(language: Language) -> &'static Phrases {
        match language {
            Language::En => &ENGLISH,
            Language::Ja => &JAPANESE,
        }
    }

    fn parenthesize(&self, text: &str) -> String {
        format!("{}{text}{}", self.open_paren, self.close_paren)
    }
}

fn status_label(status: Status, language: Language) -> &'static str {
    match (status, language) {
        (Status::RootCauseIdentified, Language::En) => "Root cause identified",
        (Status::Inconclusive, Language::En) => "Inconclusive",
        (Status::Healthy, Language::En) => "Healthy",
        (Status::RootCauseIdentified, Language::Ja) => "根本原因を特定",
        (Status::Inconclusive, Language::Ja) => "原因未確定",
        (Status::Healthy, Language::Ja) => "正常",
    }
}

fn status_emoji(status: Status) -> &'static str {
    match status {
        Status::RootCauseIdentified => ":red_circle:",
        Status::Inconclusive => ":large_yellow_circle:",
        Status::Healthy => ":white_check_mark:",
    }
}

fn category_label(category: Category, language: Language) -> &'static str {
    match language {
        Language::En => category.as_str(),
        Language::Ja => match category {
            Category::Deployment => "デプロイ",
            Category::ConfigurationChange => "設定変更",
            Category::PermissionChange => "権限変更",
            Category::CredentialExpiry => "認証情報の期限切れ",
            Category::CapacityLimit => "容量制限",
            Category::ResourceExhaustion => "リソース枯渇",
            Category::DependencyFailure => "依存先の障害",
            Category::Network => "ネットワーク",
            Category::CodeDefect => "コードの不具合",
            Category::TrafficSurge => "トラフィック急増",
            Category::InfrastructureFailure => "インフラ障害",
            Category::Unknown => "不明",
        },
    }
}

fn severity_label(severity: Severity, language: Language) -> &'static str {
    match (severity, language) {
        (Severity::Critical, Language::En) => "critical",
        (Severity::High, Language::En) => "high",
        (Severity::Medium, Language::En) => "medium",
        (Severity::Low, Language::En) => "low",
        (Severity::Critical, Language::Ja) => "致命的",
        (Severity::High, Language::Ja) => "高",
        (Severity::Medium, Language::Ja) => "中",
        (Severity::Low, Language::Ja) => "低",
    }
}

fn source_label(source: EvidenceSource, language: Language) -> &'static str {
    match (source, language) {
        (EvidenceSource::Logs, Language::En) => "Logs",
        (EvidenceSource::Metrics, Language::En) => "Metrics",
        (EvidenceSource::Audit, Language::En) => "Audit",
        (EvidenceSource::Traces, Language::En) => "Traces",
        (EvidenceSource::Knowledge, Language::En) => "Knowledge base",
        (EvidenceSource::Logs, Language::Ja) => "ログ",
        (EvidenceSource::Metrics, Language::Ja) => "メトリクス",
        (EvidenceSource::Audit, Language::Ja) => "監査ログ",
        (EvidenceSource::Traces, Language::Ja) => "トレース",
        (EvidenceSource::Knowledge, Language::Ja) => "ナレッジベース",
    }
}

fn priority_label(priority: Priority, language: Language) -> &'static str {
    match (priority, language) {
        (Priority::Immediate, Language::En) => "Immediate",
        (Priority::ShortTerm, Language::En) => "Short-term",
        (Priority::LongTerm, Language::En) => "Long-term",
        (Priority::Immediate, Language::Ja) => "即時対応",
        (Priority::ShortTerm, Language::Ja) => "短期対応",
        (Priority::LongTerm, Language::Ja) => "長期対応",
    }
}

fn trigger_kind_label(kind: TriggerKind, language: Language) -> &'static str {
    match (kind, language) {
        (TriggerKind::Alarm, Language::En) => "Alarm",
        (TriggerKind::Slack, Language::En) => "Slack request",
        (TriggerKind::Replay, Language::En) => "Replay",
        (TriggerKind::Alarm, Language::Ja) => "アラーム",
        (TriggerKind::Slack, Language::Ja) => "Slack からの依頼",
        (TriggerKind::Replay, Language::Ja) => "リプレイ",
    }
}

fn section(heading: &str, body: String) -> String {
    format!("## {heading}\n\n{body}")
}

/// Title (status and trigger) and the run's identity.
fn header(report: &Report, words: &Phrases) -> String {
    let language = report.language;
    let trigger = &report.trigger;
    let short_trigger = match (&trigger.alarm_name, &trigger.description) {
        (Some(alarm), _) if !alarm.trim().is_empty() => plain_inline(alarm),
        (_, Some(description)) if !description.trim().is_empty() => {
            plain_inline(&clip(&one_line(description), TITLE_DESCRIPTION_CHARS))
        }
        _ => trigger_kind_label(trigger.kind, language).to_string(),
    };
    let status = status_label(report.status, language);
    let window = format!("{}{}{}", format_time(&report.window.start), words.range, format_time(&report.window.end));
    [
        format!("# {}: {status} — {short_trigger}", words.title),
        String::new(),
        field(words.status, status),
        field(words.trigger, &trigger_text(trigger, language)),
        field(words.window, &window),
        field(words.run_id, &code_span(&report.run_id)),
    ]
    .join("\n")
}

/// The trigger in full: kind, alarm name and the operator's description, whichever are present.
fn trigger_text(trigger: &Trigger, language: Language) -> String {
    let mut text = trigger_kind_label(trigger.kind, language).to_string();
    if let Some(alarm) = trigger.alarm_name.as_deref().filter(|alarm| !alarm.trim().is_empty()) {
        text.push(' ');
        text.push_str(&code_span(alarm));
    }
    if let Some(description) = trigger.description.as_deref().filter(|text| !text.trim().is_empty()) {
        text.push_str(" — ");
        text.push_str(&plain_inline(description));
    }
    text
}

fn field(label: &str, value: &str) -> String {
    format!("- **{label}:** {value}")
}

fn prose_or_none(text: &str, words: &Phrases) -> String {
    let lines = prose(text);
    if lines.is_empty() { words.none.to_string() } else { lines.join("\n") }
}

fn hypotheses(report: &Report, words: &Phrases) -> String {
    if report.hypotheses.is_empty() {
        let message = match report.status {
            Status::Healthy => words.no_hypotheses_healthy,
            Status::Inconclusive => words.no_hypotheses_inconclusive,
            Status::RootCauseIdentified => words.none,
        };
        return message.to_string();
    }
    let mut blocks = Vec::new();
    let caveat = match report.status {
        Status::RootCauseIdentified => None,
        Status::Inconclusive => Some(words.leads_only),
        Status::Healthy => Some(words.healthy_signals),
    };
    blocks.extend(caveat.map(|caveat| format!("_{caveat}_")));
    blocks.extend(report.hypotheses.iter().map(|hypothesis| render_hypothesis(hypothesis, words)));
    blocks.join("\n\n")
}

fn render_hypothesis(hypothesis: &Hypothesis, words: &Phrases) -> String {
    let language = words.language;
    let category = category_label(hypothesis.category, language);
    let category_detail = match language {
        Language::En => code_span(category),
        Language::Ja => format!("{category}{}", words.parenthesize(&code_span(hypothesis.category.as_str()))),
    };
    let mut blocks = vec![
        format!(
            "### {}. {} — {category}{}",
            hypothesis.rank,
            code_span(&hypothesis.component),
            words.parenthesize(&percent(hypothesis.confidence))
        ),
        [
            field(words.confidence, &percent(hypothesis.confidence)),
            field(words.severity, severity_label(hypothesis.severity, language)),
            field(words.category, &category_detail),
        ]
        .join("\n"),
    ];
    let statement = prose(&hypothesis.statement);
    if !statement.is_empty() {
        blocks.push(statement.join("\n"));
    }
    blocks.push(format!("**{}:**", words.evidence));
    if hypothesis.evidence.is_empty() {
        blocks.push(words.none.to_string());
    } else {
        blocks.extend(hypothesis.evidence.iter().map(|item| render_evidence(item, language)));
    }
    blocks.join("\n\n")
}

/// One evidence item as a list item; its excerpt is a fenced block inside the item.
fn render_evidence(item: &EvidenceItem, language: Language) -> String {
    let mut head = format!("- **{}** · {}", source_label(item.source, language), code_span(&item.reference));
    if let Some(time) = &item.time {
        head.push_str(" · ");
        head.push_str(&format_time(time));
    }
    if item.excerpt.trim().is_empty() {
        return head;
    }
    format!("{head}\n\n{}", code_block(&item.excerpt, "  "))
}

fn timeline(report: &Report, words: &Phrases) -> String {
    if report.timeline.is_empty() {
        return words.none.to_string();
    }
    // Stable sort: entries at the same instant keep the brain's order.
    let mut entries: Vec<_> = report.timeline.iter().collect();
    entries.sort_by_key(|entry| entry.time);
    let mut rows =
        vec![format!("| {} | {} | {} |", words.time, words.source, words.event), "| --- | --- | --- |".into()];
    rows.extend(entries.iter().map(|entry| {
        format!(
            "| {} | {} | {} |",
            format_time(&entry.time),
            source_label(entry.source, report.language),
            plain_inline(&entry.event)
        )
    }));
    rows.join("\n")
}

fn actions(actions: &[ActionItem], words: &Phrases) -> String {
    if actions.is_empty() {
        return words.none.to_string();
    }
    let language = words.language;
    [Priority::Immediate, Priority::ShortTerm, Priority::LongTerm]
        .into_iter()
        .filter_map(|priority| {
            let items: Vec<String> = actions
                .iter()
                .filter(|action| action.priority == priority)
                .enumerate()
                .map(|(index, action)| render_action(index + 1, action))
                .collect();
            (!items.is_empty()).then(|| format!("### {}\n\n{}", priority_label(priority, language), items.join("\n")))
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn render_action(number: usize, action: &ActionItem) -> String {
    let marker = format!("{number}. ");
    let title = format!("**{}**", plain_inline(&action.title));
    let detail = prose(&action.detail);
    match detail.as_slice() {
        [] => format!("{marker}{title}"),
        [single] => format!("{marker}{title} — {single}"),
        // A multi-line detail (lists, code) needs its own paragraph inside the item to keep its structure.
        _ => list_item(&marker, &[vec![title, String::new()], detail].concat()),
    }
}

fn prevention(items: &[String], words: &Phrases) -> String {
    let rendered: Vec<String> = items
        .iter()
        .map(|item| prose(item))
        .filter(|lines| !lines.is_empty())
        .map(|lines| list_item("- ", &lines))
        .collect();
    if rendered.is_empty() { words.none.to_string() } else { rendered.join("\n") }
}

/// `lines` as one list item: the first after the marker, the rest indented to the item's content column.
fn list_item(marker: &str, lines: &[String]) -> String {
    let indent = " ".repeat(marker.chars().count());
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| match index {
            0 => format!("{marker}{line}"),
            _ if line.is_empty() => String::new(),
            _ => format!("{indent}{line}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn footer(usage: &Usage, words: &Phrases) -> String {
    let mut out = format!("---\n\n**{}:** {}", words.usage, usage_text(usage, words.language));
    if let Some(reason) = usage.fallback.as_deref().filter(|reason| !reason.trim().is_empty()) {
        out.push_str(&format!("\n\n**{}:** {}", words.fallback, plain_inline(reason)));
    }
    out
}

fn usage_text(usage: &Usage, language: Language) -> String {
    let brain = code_span(&usage.brain);
    let input = group_thousands(usage.input_tokens);
    let output = group_thousands(usage.output_tokens);
    let duration = duration_text(usage.duration_ms, language);
    match language {
        Language::En => [
            format!("brain {brain}"),
            counted(u64::from(usage.cycles), "cycle", "cycles"),
            counted(u64::from(usage.tool_calls), "tool call", "tool calls"),
            format!("{input} input / {output} output tokens"),
            duration,
        ]
        .join(" · "),
        Language::Ja => [
            format!("ブレイン {brain}"),
            format!("サイクル {} 回", usage.cycles),
            format!("ツール呼び出し {} 回", usage.tool_calls),
            format!("トークン 入力 {input} / 出力 {output}"),
            format!("所要時間 {duration}"),
        ]
        .join(" · "),
    }
}

fn counted(count: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", group_thousands(count), if count == 1 { singular } else { plural })
}

fn duration_text(duration_ms: u64, language: Language) -> String {
    let (millis, seconds, minutes) = match language {
        Language::En => ("ms", "s", "min"),
        Language::Ja => ("ミリ秒", "秒", "分"),
    };
    match duration_ms {
        0..1_000 => format!("{duration_ms} {millis}"),
        1_000..60_000 => format!("{:.1} {seconds}", duration_ms as f64 / 1_000.0),
        _ => {
            let total_seconds = duration_ms / 1_000;
            format!("{} {minutes} {} {seconds}", total_seconds / 60, total_seconds % 60)
        }
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A confidence in [0, 1] as a whole percentage.
fn percent(confidence: f64) -> String {
    if confidence.is_finite() { format!("{:.0}%", confidence.clamp(0.0, 1.0) * 100.0) } else { "?%".into() }
}

/// Characters that can corrupt a rendering or hide text: controls other than newline and tab, and the
/// bidirectional overrides that make text read differently from what it is ("trojan source").
fn is_hidden_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with line endings normalized to `\n` and hidden controls removed.
fn strip_controls(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n").chars().filter(|&c| !is_hidden_control(c)).collect()
}

/// `text` on one line: controls removed, whitespace runs (newlines included) collapsed to one space.
fn one_line(text: &str) -> String {
    strip_controls(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Telemetry text as inline Markdown that renders literally: one line, with every character that could start
/// formatting, a link, HTML or a table cell backslash-escaped.
fn plain_inline(text: &str) -> String {
    let line = one_line(text);
    let mut out = String::with_capacity(line.len());
    for (index, c) in line.char_indices() {
        // `&` only matters where it starts an entity (`&lt;`, `&#60;`); `>` cannot start a quote mid-line.
        if (c == '&' && starts_entity(&line[index + 1..]))
            || matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '~' | '#')
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `text` (what follows a `&`) is shaped like the rest of an HTML entity: `name;`, `#60;` or `#x3c;`.
fn starts_entity(text: &str) -> bool {
    let name = text.strip_prefix('#').unwrap_or(text);
    let length = name.chars().take_while(char::is_ascii_alphanumeric).count();
    length > 0 && name[length..].starts_with(';')
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Telemetry text as an inline code span: the delimiter is longer than any backtick run inside, so the text cannot
/// close it.
fn code_span(text: &str) -> String {
    let content = one_line(text);
    if content.is_empty() {
        return "—".into();
    }
    let fence = "`".repeat(longest_backtick_run(&content) + 1);
    // A space keeps a leading or trailing backtick from merging with the delimiter; CommonMark strips it again.
    let pad = if content.starts_with('`') || content.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{content}{pad}{fence}")
}

/// Telemetry text as a fenced code block, every line prefixed by `indent`. The fence is longer than any backtick run
/// inside, so nothing in the text can close the block early.
fn code_block(text: &str, indent: &str) -> String {
    let content = strip_controls(text);
    let content = content.trim_end();
    let fence = "`".repeat(longest_backtick_run(content).max(2) + 1);
    let mut lines = vec![format!("{indent}{fence}text")];
    lines.extend(content.lines().map(|line| format!("{indent}{line}")));
    lines.push(format!("{indent}{fence}"));
    lines.join("\n")
}

/// A code fence opener or closer: its character and length, if `line` (without indentation) is one.
fn fence_marker(line: &str) -> Option<(char, usize)> {
    let first = line.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let length = line.chars().take_while(|&c| c == first).count();
    // A backtick fence's info string cannot hold a backtick; such a line is inline code, not a fence.
    let valid = length >= 3 && !(first == '`' && line[length..].contains('`'));
    valid.then_some((first, length))
}

/// Prose written by the brain (Markdown allowed), as lines that cannot escape their section: headings, rules and
/// setext underlines are escaped, raw HTML and images are neutralized, and an unclosed code fence is closed.
fn prose(text: &str) -> Vec<String> {
    let clean = strip_controls(text);
    let mut lines = Vec::new();
    let mut open_fence: Option<(char, usize)> = None;
    for line in clean.trim().lines() {
        let body = line.trim_start();
        let is_indented_code = line.len() - body.len() >= 4;
        let marker = if is_indented_code { None } else { fence_marker(body) };
        match (open_fence, marker) {
            (None, Some(opener)) => {
                open_fence = Some(opener);
                lines.push(line.to_string());
            }
            (Some((c, length)), Some((marker_char, marker_length)))
                if marker_char == c && marker_length >= length && body.trim_end().chars().all(|ch| ch == c) =>
            {
                open_fence = None;
                lines.push(line.to_string());
            }
            (Some(_), _) => lines.push(line.to_string()),
            (None, None) => lines.push(neutralize_prose_line(line)),
        }
    }
    if let Some((c, length)) = open_fence {
        lines.push(c.to_string().repeat(length));
    }
    lines
}

fn neutralize_prose_line(line: &str) -> String {
    let indentation = &line[..line.len() - line.trim_start().len()];
    let body = line.trim_start();
    let is_rule_or_underline =
        !body.trim().is_empty() && body.chars().all(|c| matches!(c, '-' | '=' | '*' | '_' | ' ' | '\t'));
    let block_escape = if body.starts_with('#') || is_rule_or_underline { "\\" } else { "" };
    format!("{indentation}{block_escape}{}", escape_outside_code_spans(body))
}

/// Escapes `<` (raw HTML, autolinks, Slack-style `<!channel>`) and `![` (remote images) outside inline code spans,
/// where Markdown would interpret them; code spans and existing backslash escapes are kept as written.
fn escape_outside_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        match c {
            '\\' if index + 1 < chars.len() => {
                out.push(c);
                out.push(chars[index + 1]);
                index += 2;
            }
            '`' => {
                let run = chars[index..].iter().take_while(|&&ch| ch == '`').count();
                let end = closing_backticks(&chars, index + run, run).map_or(index + run, |close| close + run);
                out.extend(&chars[index..end]);
                index = end;
            }
            '<' => {
                out.push_str("\\<");
                index += 1;
            }
            '!' if chars.get(index + 1) == Some(&'[') => {
                out.push_str("!\\[");
                index += 2;
            }
            _ => {
                out.push(c);
                index += 1;
            }
        }
    }
    out
}

/// Where a run of exactly `run` backticks starts at or after `from`, closing a code span.
fn closing_backticks(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut index = from;
    while index < chars.len() {
        if chars[index] == '`' {
            let length = chars[index..].iter().take_while(|&&c| c == '`').count();
            if length == run {
                return Some(index);
            }
            index += length;
        } else {
            index += 1;
        }
    }
    None
}

fn slack_trigger(trigger: &Trigger, words: &Phrases) -> String {
    let language = words.language;
    let mut text = trigger_kind_label(trigger.kind, language).to_string();
    if let Some(alarm) = trigger.alarm_name.as_deref().filter(|alarm| !alarm.trim().is_empty()) {
        text.push(' ');
        text.push_str(&slack_code(alarm));
    } else if let Some(description) = trigger.description.as_deref().filter(|text| !text.trim().is_empty()) {
        text.push_str(": ");
        text.push_str(&slack_text(&clip(&one_line(description), SLACK_DESCRIPTION_CHARS)));
    }
    text
}

/// Text for a Slack message: one line, `&`, `<` and `>` escaped as Slack requires (so `<!channel>`, `<@U123>` and
/// `<url|label>` stay literal), and bare `@channel`-style broadcasts broken with a zero-width space.
fn slack_text(text: &str) -> String {
    let escaped = one_line(text).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let lower = rest.to_ascii_lowercase();
        if ["channel", "here", "everyone"].iter().any(|word| lower.starts_with(word)) {
            out.push('\u{200B}');
        }
    }
    out.push_str(rest);
    out
}

/// Telemetry text as Slack inline code; mrkdwn has no way to escape a backtick inside code, so it is replaced.
fn slack_code(text: &str) -> String {
    let content = slack_text(text).replace('`', "'");
    if content.is_empty() { "—".into() } else { format!("`{content}`") }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::contract::{SCHEMA_VERSION, TimelineEntry, Window};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn evidence(source: EvidenceSource, reference: &str, excerpt: &str) -> EvidenceItem {
        EvidenceItem {
            source,
            reference: reference.into(),
            time: Some(at("2026-11-20T10:02:13Z")),
            excerpt: excerpt.into(),
        }
    }

    fn hypothesis(rank: u32, component: &str, confidence: f64, evidence: Vec<EvidenceItem>) -> Hypothesis {
        Hypothesis {
            rank,
            component: component.into(),
            category: Category::Deployment,
            statement: format!("{component} broke after the rollout."),
            confidence,
            severity: Severity::Critical,
            evidence,
        }
    }

    fn identified(language: Language) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            run_id: "run-42".into(),
            status: Status::RootCauseIdentified,
            language,
            window: Window { start: at("2026-11-20T09:30:00Z"), end: at("2026-11-20T10:30:00Z") },
            trigger: Trigger { kind: TriggerKind::Alarm, alarm_name: Some("orders-api-5xx".into()), description: None },
            summary: "Version 117 of orders-api throws on every GET.".into(),
            hypotheses: vec![
                hypothesis(
                    1,
                    "orders-api",
                    0.82,
                    vec![
                        evidence(
                            EvidenceSource::Logs,
                            "/aws/lambda/orders-api 2026/11/20/[117]abc",
                            "TypeError: Cannot read properties of undefined (reading 'shippingAddress')",
                        ),
                        evidence(EvidenceSource::Audit, "eventID 4f2c", "UpdateAlias live -> 117 by alice"),
                    ],
                ),
                hypothesis(
                    2,
                    "orders-table",
                    0.2,
                    vec![evidence(EvidenceSource::Metrics, "m1", "ThrottledRequests 0")],
                ),
            ],
            timeline: vec![
                TimelineEntry {
                    time: at("2026-11-20T10:03:00Z"),
                    source: EvidenceSource::Metrics,
                    event: "5XX rate rose to 40%".into(),
                },
                TimelineEntry {
                    time: at("2026-11-20T10:01:58Z"),
                    source: EvidenceSource::Audit,
                    event: "UpdateAlias live -> 117 by alice".into(),
                },
            ],
            impact: "All GET /orders/{id} requests failed for 20 minutes.".into(),
            actions: vec![
                ActionItem {
                    priority: Priority::LongTerm,
                    title: "Add a canary".into(),
                    detail: "Shift 10% first.".into(),
                },
                ActionItem {
                    priority: Priority::Immediate,
                    title: "Roll back".into(),
                    detail: "Point alias live at version 116.".into(),
                },
            ],
            prevention: vec!["Contract tests for optional fields.".into()],
            usage: Usage {
                brain: "bedrock:anthropic.claude".into(),
                cycles: 3,
                tool_calls: 7,
                input_tokens: 12_345,
                output_tokens: 678,
                duration_ms: 61_500,
                fallback: Some("model throttled".into()),
            },
        }
    }

    fn healthy(language: Language) -> Report {
        Report {
            status: Status::Healthy,
            summary: "A one-minute blip; the metric recovered by itself.".into(),
            hypotheses: vec![],
            timeline: vec![],
            actions: vec![],
            prevention: vec![],
            impact: String::new(),
            usage: Usage { fallback: None, duration_ms: 850, cycles: 1, ..identified(language).usage },
            ..identified(language)
        }
    }

    /// The headings a Markdown renderer sees: lines starting with `#` outside fenced code blocks.
    fn headings(markdown: &str) -> Vec<String> {
        let mut open: Option<(char, usize)> = None;
        let mut found = Vec::new();
        for line in markdown.lines() {
            let body = line.trim_start();
            match (open, fence_marker(body)) {
                (None, Some(opener)) => open = Some(opener),
                (Some((c, length)), Some((marker, marker_length)))
                    if marker == c && marker_length >= length && body.trim_end().chars().all(|ch| ch == c) =>
                {
                    open = None
                }
                (None, None) if body.starts_with('#') => found.push(body.to_string()),
                _ => {}
            }
        }
        assert!(open.is_none(), "a code fence is left open in:\n{markdown}");
        found
    }

    fn section_headings(markdown: &str) -> Vec<String> {
        headings(markdown).into_iter().filter(|heading| heading.starts_with("## ")).collect()
    }

    #[test]
    fn english_report_has_every_section_with_its_content() {
        let text = markdown(&identified(Language::En));
        assert!(text.starts_with("# Failure analysis: Root cause identified — orders-api-5xx\n"), "{text}");
        assert_eq!(
            section_headings(&text),
            ["Summary", "Hypotheses", "Timeline", "Impact", "Actions", "Prevention"].map(|h| format!("## {h}"))
        );
        for expected in [
            "- **Trigger:** Alarm `orders-api-5xx`",
            "- **Window:** 2026-11-20T09:30:00Z → 2026-11-20T10:30:00Z",
            "### 1. `orders-api` — deployment (82%)",
            "- **Confidence:** 82%",
            "- **Severity:** critical",
            "### 2. `orders-table` — deployment (20%)",
            "- **Logs** · `/aws/lambda/orders-api 2026/11/20/[117]abc` · 2026-11-20T10:02:13Z",
            "  ```text\n  TypeError: Cannot read properties of undefined (reading 'shippingAddress')\n  ```",
            "| Time | Source | Event |",
            "### Immediate\n\n1. **Roll back** — Point alias live at version 116.",
            "### Long-term\n\n1. **Add a canary** — Shift 10% first.",
            "- Contract tests for optional fields.",
            "**Usage:** brain `bedrock:anthropic.claude` · 3 cycles · 7 tool calls · 12,345 input / 678 output tokens · 1 min 1 s",
            "**Fallback:** model throttled",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        // Timeline rows are in time order whatever the brain's order; immediate actions come first.
        let alias = text.find("| 2026-11-20T10:01:58Z | Audit |").unwrap();
        let rate = text.find("| 2026-11-20T10:03:00Z | Metrics |").unwrap();
        assert!(alias < rate);
        assert!(text.find("### Immediate").unwrap() < text.find("### Long-term").unwrap());
        assert!(!text.contains("### Short-term"), "empty priority groups are left out");
    }

    #[test]
    fn japanese_report_uses_japanese_phrases_and_keeps_telemetry_as_is() {
        let mut report = identified(Language::Ja);
        report.hypotheses[0].evidence[0].excerpt = "エラー: 在庫が見つかりません".into();
        let text = markdown(&report);
        assert!(text.starts_with("# 障害分析: 根本原因を特定 — orders-api-5xx\n"), "{text}");
        assert_eq!(
            section_headings(&text),
            ["概要", "原因の仮説", "タイムライン", "影響", "対応策", "再発防止策"].map(|h| format!("## {h}"))
        );
        for expected in [
            "- **トリガー:** アラーム `orders-api-5xx`",
            "- **調査期間:** 2026-11-20T09:30:00Z 〜 2026-11-20T10:30:00Z",
            "### 1. `orders-api` — デプロイ（82%）",
            "- **確信度:** 82%",
            "- **深刻度:** 致命的",
            "- **カテゴリ:** デプロイ（`deployment`）",
            "- **ログ** · `/aws/lambda/orders-api 2026/11/20/[117]abc`",
            "  エラー: 在庫が見つかりません",
            "| 時刻 | ソース | イベント |",
            "| 2026-11-20T10:01:58Z | 監査ログ | UpdateAlias live -> 117 by alice |",
            "### 即時対応",
            "### 長期対応",
            "サイクル 3 回 · ツール呼び出し 7 回 · トークン 入力 12,345 / 出力 678 · 所要時間 1 分 1 秒",
            "**フォールバック理由:** model throttled",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(!text.contains("Summary") && !text.contains("Confidence"), "no English phrases in:\n{text}");
    }

    #[test]
    fn healthy_report_says_none_instead_of_empty_sections() {
        for (language, no_hypotheses, none) in [
            (Language::En, ENGLISH.no_hypotheses_healthy, "None."),
            (Language::Ja, JAPANESE.no_hypotheses_healthy, "なし。"),
        ] {
            let text = markdown(&healthy(language));
            assert!(text.contains(&format!("\n{no_hypotheses}\n")), "{text}");
            assert!(!text.contains("| --- |"), "no empty table in:\n{text}");
            assert!(!text.contains("###"), "no hypothesis or action headings in:\n{text}");
            // Timeline, impact, actions and prevention each say "none".
            assert_eq!(text.matches(&format!("\n{none}\n")).count(), 4, "{text}");
            assert_eq!(section_headings(&text).len(), 6);
            assert!(!text.contains("**Fallback") && !text.contains("フォールバック"));
        }
        let text = markdown(&healthy(Language::En));
        assert!(text.starts_with("# Failure analysis: Healthy — orders-api-5xx\n"));
        let with_signals =
            markdown(&Report { hypotheses: identified(Language::En).hypotheses, ..healthy(Language::En) });
        assert!(with_signals.contains(&format!("## Hypotheses\n\n_{}_\n\n### 1.", ENGLISH.healthy_signals)));
        assert!(text.contains("brain `bedrock:anthropic.claude` · 1 cycle · 7 tool calls"), "{text}");
        assert!(text.contains("· 850 ms"), "{text}");
    }

    #[test]
    fn inconclusive_report_marks_hypotheses_as_leads_or_says_none() {
        let mut report = identified(Language::En);
        report.status = Status::Inconclusive;
        let text = markdown(&report);
        assert!(text.contains(&format!("## Hypotheses\n\n_{}_\n\n### 1.", ENGLISH.leads_only)), "{text}");

        report.hypotheses.clear();
        report.trigger = Trigger {
            kind: TriggerKind::Slack,
            alarm_name: None,
            description: Some("checkout is slow since 10:00, please look".into()),
        };
        let text = markdown(&report);
        assert!(text.contains(&format!("## Hypotheses\n\n{}\n", ENGLISH.no_hypotheses_inconclusive)), "{text}");
        assert!(text.starts_with("# Failure analysis: Inconclusive — checkout is slow since 10:00, please look\n"));
        assert!(text.contains("- **Trigger:** Slack request — checkout is slow since 10:00, please look"));
        assert!(markdown(&Report { language: Language::Ja, ..report }).contains("原因未確定"));
    }

    #[test]
    fn hostile_excerpt_stays_inside_its_code_block() {
        let mut report = identified(Language::En);
        let hostile = "```\n## Pwned\n````` <!channel> <script>alert(1)</script>\x1b[31mred\u{202E}txet\r\nend";
        report.hypotheses[0].evidence[0].excerpt = hostile.into();
        let text = markdown(&report);
        assert_eq!(section_headings(&text).len(), 6, "{text}");
        assert!(!headings(&text).iter().any(|heading| heading.contains("Pwned")), "{text}");
        // The fence is longer than the longest backtick run (5) in the excerpt.
        assert!(
            text.contains("  ``````text\n  ```\n  ## Pwned\n  ````` <!channel> <script>alert(1)</script>"),
            "{text}"
        );
        assert!(text.contains("[31mredtxet\n  end\n  ``````\n"), "controls and bidi overrides are stripped:\n{text}");
        assert!(!text.contains('\x1b') && !text.contains('\r') && !text.contains('\u{202E}'));
    }

    #[test]
    fn hostile_names_and_events_render_literally() {
        let mut report = identified(Language::En);
        report.hypotheses[0].component = "a``b`".into();
        report.hypotheses[0].evidence[0].reference = "ref\nwith | pipe".into();
        report.timeline[0].event = "x | y <img src=x onerror=alert(1)> **bold** [link](http://evil)\n## H".into();
        report.trigger.alarm_name = Some("# <!here> `alarm` R&D &amp; &#60;".into());
        let text = markdown(&report);
        assert!(text.contains("### 1. ``` a``b` ``` — deployment (82%)"), "{text}");
        assert!(text.contains("`ref with | pipe`"), "{text}");
        assert!(
            text.contains(
                "| x \\| y \\<img src=x onerror=alert(1)> \\*\\*bold\\*\\* \\[link\\](http://evil) \\#\\# H |"
            ),
            "{text}"
        );
        assert!(
            text.starts_with(
                "# Failure analysis: Root cause identified — \\# \\<!here> \\`alarm\\` R&D \\&amp; \\&\\#60;\n"
            ),
            "{text}"
        );
        assert!(text.contains("- **Trigger:** Alarm ``# <!here> `alarm` R&D &amp; &#60;``"), "{text}");
        assert_eq!(section_headings(&text).len(), 6, "{text}");
    }

    #[test]
    fn prose_keeps_markdown_but_cannot_break_out_of_its_section() {
        let mut report = identified(Language::En);
        report.summary =
            "Use `a<b` here.\n# Fake heading\n<div>html</div> ![x](http://t/p.png)\n===\n```sh\nunclosed".into();
        report.impact = "---".into();
        report.prevention = vec!["first line\n- nested\n```\ncode".into()];
        report.actions[0].detail = "step one\nstep two".into();
        let text = markdown(&report);
        assert_eq!(
            section_headings(&text),
            ["Summary", "Hypotheses", "Timeline", "Impact", "Actions", "Prevention"].map(|h| format!("## {h}"))
        );
        assert!(text.contains("Use `a<b` here.\n\\# Fake heading\n\\<div>html\\</div> !\\[x](http://t/p.png)\n\\===\n```sh\nunclosed\n```\n"), "{text}");
        assert!(text.contains("## Impact\n\n\\---\n"), "{text}");
        assert!(text.contains("- first line\n  - nested\n  ```\n  code\n  ```"), "{text}");
        assert!(text.contains("1. **Add a canary**\n\n   step one\n   step two"), "{text}");
    }

    #[test]
    fn inline_code_in_prose_is_not_mistaken_for_a_fence() {
        assert_eq!(prose("```a``` and <b>"), ["```a``` and \\<b>"]);
        assert_eq!(prose("~~~\n<b>\n~~~~\nafter <i>"), ["~~~", "<b>", "~~~~", "after \\<i>"]);
        assert_eq!(prose("\\<already escaped"), ["\\<already escaped"]);
    }

    #[test]
    fn slack_summary_in_english() {
        let text = slack_summary(&identified(Language::En));
        assert_eq!(
            text,
            ":red_circle: *Root cause identified* — Alarm `orders-api-5xx`\n\
             Top hypothesis: `orders-api` (deployment, 82%)\n\
             Version 117 of orders-api throws on every GET."
        );
    }

    #[test]
    fn slack_summary_in_japanese() {
        let mut report = identified(Language::Ja);
        report.status = Status::Inconclusive;
        report.summary = "orders-api の新バージョンで\nエラーが発生しています。".into();
        assert_eq!(
            slack_summary(&report),
            ":large_yellow_circle: *原因未確定* — アラーム `orders-api-5xx`\n\
             有力な仮説（未確定）: `orders-api`（デプロイ、82%）\n\
             orders-api の新バージョンで エラーが発生しています。"
        );
    }

    #[test]
    fn slack_summary_of_healthy_report_has_no_hypothesis_line() {
        let mut report = healthy(Language::En);
        report.hypotheses = identified(Language::En).hypotheses;
        let text = slack_summary(&report);
        assert_eq!(
            text,
            ":white_check_mark: *Healthy* — Alarm `orders-api-5xx`\nA one-minute blip; the metric recovered by itself."
        );
    }

    #[test]
    fn slack_summary_neutralizes_mentions_links_and_backticks() {
        let mut report = identified(Language::En);
        report.summary = format!("<!channel> @here & <@U123> <http://evil|click> {}", "x".repeat(400));
        report.hypotheses[0].component = "a`b<!here>".into();
        report.trigger =
            Trigger { kind: TriggerKind::Slack, alarm_name: None, description: Some("@everyone look".into()) };
        let text = slack_summary(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], ":red_circle: *Root cause identified* — Slack request: @\u{200B}everyone look");
        assert_eq!(lines[1], "Top hypothesis: `a'b&lt;!here&gt;` (deployment, 82%)");
        assert!(
            lines[2].starts_with("&lt;!channel&gt; @\u{200B}here &amp; &lt;@U123&gt; &lt;http://evil|click&gt; xxx")
        );
        assert!(lines[2].ends_with('…') && lines[2].chars().count() < 400, "the summary is clipped");
        assert!(!text.contains('<'));
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(percent(0.826), "83%");
        assert_eq!(percent(1.7), "100%");
        assert_eq!(percent(f64::NAN), "?%");
        assert_eq!(duration_text(999, Language::En), "999 ms");
        assert_eq!(duration_text(1_250, Language::En), "1.2 s");
        assert_eq!(duration_text(125_000, Language::Ja), "2 分 5 秒");
    }
}
