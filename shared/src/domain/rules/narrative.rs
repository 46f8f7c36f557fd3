//! Turns an assessment into the words of a report, in English or Japanese: summary, statements, calibrated
//! confidence, evidence citations, timeline, impact, actions and prevention.

use chrono::{DateTime, Utc};

use super::hypotheses::{Assessment, Candidate};
use crate::contract::{
    ActionItem, Category, Conclusion, EvidenceItem, EvidenceSource, Finding, Hypothesis, Language, Notebook, Priority,
    RunContext, Severity, Status, TimelineEntry, ToolCall, ToolOutcome, format_time,
};
use crate::domain::budget::clip;
use crate::domain::evidence::attr;

/// Evidence items cited per hypothesis, at most, and per source.
const MAX_EVIDENCE: usize = 6;
const MAX_PER_SOURCE: usize = 2;
/// A top hypothesis below this confidence leaves the run inconclusive.
const IDENTIFIED: f64 = 0.5;

pub fn enough_evidence(language: Language) -> String {
    match language {
        Language::En => "The evidence gathered is enough to conclude.".into(),
        Language::Ja => "結論を出すのに十分な証拠が集まりました。".into(),
    }
}

pub fn planning(language: Language, calls: &[ToolCall]) -> String {
    let tools: Vec<&str> = calls.iter().map(|c| c.tool.as_str()).collect();
    match language {
        Language::En => format!("Gather evidence with: {}.", tools.join(", ")),
        Language::Ja => format!("次のツールで証拠を集めます: {}。", tools.join(", ")),
    }
}

/// A knowledge-base query for the leading suspicion: the resource, the kind of failure, and the error class and
/// log template or metric that show it.
pub fn knowledge_query(candidate: &Candidate) -> String {
    let mut words = vec![candidate.component.clone(), candidate.category.as_str().replace('-', " ")];
    for finding in candidate.cause.iter().chain(&candidate.support).take(3) {
        for key in [attr::EVENT_NAME, attr::ERROR_CLASS, attr::METRIC_NAME, attr::TEMPLATE] {
            let value = finding.attr(key);
            if !value.is_empty() && !words.iter().any(|w| w == value) {
                words.push(value.replace("<*>", " "));
            }
        }
    }
    clip(&words.join(" "), 300)
}

/// Confidence from the candidates' scores: strength of the leader and its margin over the runner-up.
fn confidences(candidates: &[Candidate]) -> Vec<f64> {
    let Some(top) = candidates.first() else { return Vec::new() };
    let second = candidates.get(1).map_or(0.0, |c| c.score);
    let margin = if top.score > 0.0 { (top.score - second) / top.score } else { 0.0 };
    // Standing alone says little when the evidence is weak: the margin counts in full from a score of 0.5.
    let margin_weight = 0.25 * (top.score / 0.5).min(1.0);
    let lead = (0.15 + 0.6 * (top.score.min(1.0)) + margin_weight * margin).clamp(0.05, 0.95);
    candidates
        .iter()
        .map(|c| if c.score >= top.score { lead } else { (lead * c.score / top.score * 0.8).clamp(0.01, lead) })
        .collect()
}

pub fn conclusion(run: &RunContext, notebook: &Notebook, assessment: &Assessment) -> Conclusion {
    let language = run.language;
    let mut failed: Vec<String> = notebook
        .observations
        .iter()
        .filter_map(|o| match &o.outcome {
            ToolOutcome::Failed { feedback } => Some(format!("{}: {}", o.call.tool, clip(feedback, 160))),
            ToolOutcome::Ok { .. } => None,
        })
        .collect();
    if run.log_groups.is_empty() {
        // Not a failed call (the logs tool is not asked without log groups) but the gap a reader must know of.
        failed.push("logs: no log groups to search are configured (cwLogsLogGroups, FA2_LOG_GROUPS)".to_string());
    }
    let timeline = timeline(run, assessment);
    let gaps = gaps_action(language, &failed);
    if let Some(healthy) = healthy_verdict(run, assessment) {
        return healthy.conclusion(language, timeline, gaps);
    }
    let confidences = confidences(&assessment.candidates);
    let hypotheses: Vec<Hypothesis> = assessment
        .candidates
        .iter()
        .zip(&confidences)
        .take(crate::contract::MAX_HYPOTHESES)
        .enumerate()
        .map(|(i, (candidate, confidence))| hypothesis(language, i, candidate, *confidence))
        .filter(|h| !h.evidence.is_empty())
        .collect();
    let top_confidence = hypotheses.first().map_or(0.0, |h| h.confidence);
    let status = if top_confidence >= IDENTIFIED { Status::RootCauseIdentified } else { Status::Inconclusive };
    let summary = match (status, hypotheses.first(), assessment.candidates.first()) {
        (Status::RootCauseIdentified, Some(top), Some(candidate)) => {
            identified_summary(run, top, candidate, assessment)
        }
        _ => inconclusive_summary(run, hypotheses.first(), assessment, &failed),
    };
    let top = assessment.candidates.first();
    Conclusion {
        status,
        summary,
        impact: impact(run, assessment),
        actions: top
            .map(|c| actions(language, c))
            .unwrap_or_else(|| investigate_actions(language))
            .into_iter()
            .chain(gaps)
            .collect(),
        prevention: top.map(|c| prevention(language, c.category)).unwrap_or_default(),
        hypotheses,
        timeline,
    }
}

/// What this run could not read, as an action: a conclusion drawn without some evidence says so.
fn gaps_action(language: Language, failed: &[String]) -> Option<ActionItem> {
    (!failed.is_empty()).then(|| ActionItem {
        priority: Priority::ShortTerm,
        title: text(language, "Close the evidence gaps of this analysis", "この分析で得られなかった情報を補う"),
        detail: match language {
            Language::En => format!(
                "This analysis could not read everything it asked for, so its conclusion rests on less: {}.",
                failed.join("; ")
            ),
            Language::Ja => {
                format!("この分析では一部の情報を取得できず、結論の根拠が限られています: {}。", failed.join("; "))
            }
        },
    })
}

fn text(language: Language, en: &str, ja: &str) -> String {
    match language {
        Language::En => en.to_string(),
        Language::Ja => ja.to_string(),
    }
}

fn hypothesis(language: Language, index: usize, candidate: &Candidate, confidence: f64) -> Hypothesis {
    Hypothesis {
        rank: u32::try_from(index + 1).unwrap_or(u32::MAX),
        component: candidate.component.clone(),
        category: candidate.category,
        statement: statement(language, candidate),
        confidence: (confidence * 100.0).round() / 100.0,
        severity: severity(candidate, confidence),
        evidence: evidence(candidate),
    }
}

fn severity(candidate: &Candidate, confidence: f64) -> Severity {
    let strongest = candidate.support.iter().map(|f| f.score).fold(0.0, f64::max);
    match (confidence, strongest) {
        (c, s) if c >= 0.7 && s >= 0.6 => Severity::Critical,
        (c, _) if c >= 0.5 => Severity::High,
        (c, _) if c >= 0.25 => Severity::Medium,
        _ => Severity::Low,
    }
}

/// The cause first, then the first (strongest) supporting finding of every source, so each kind of telemetry that
/// agrees is cited, then the context, then further findings, at most `MAX_PER_SOURCE` per source.
fn evidence(candidate: &Candidate) -> Vec<EvidenceItem> {
    let all: Vec<&Finding> =
        candidate.cause.iter().chain(candidate.support.iter()).chain(candidate.context.iter()).collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut per_source: std::collections::BTreeMap<EvidenceSource, usize> = Default::default();
    for cap in [1, MAX_PER_SOURCE] {
        for (index, finding) in all.iter().enumerate() {
            let used = per_source.entry(finding.source).or_default();
            if *used >= cap || chosen.len() >= MAX_EVIDENCE || chosen.contains(&index) {
                continue;
            }
            *used += 1;
            chosen.push(index);
        }
    }
    chosen.sort_unstable();
    let mut items: Vec<EvidenceItem> = Vec::new();
    for finding in chosen.into_iter().map(|i| all[i]) {
        items.push(EvidenceItem {
            source: finding.source,
            reference: finding.reference.clone(),
            time: finding.time,
            excerpt: if finding.excerpt.is_empty() { finding.summary.clone() } else { finding.excerpt.clone() },
        });
    }
    items
}

fn category_phrase(language: Language, category: Category) -> &'static str {
    match (language, category) {
        (Language::En, Category::Deployment) => "a deployment of new code or configuration",
        (Language::En, Category::ConfigurationChange) => "a configuration change",
        (Language::En, Category::PermissionChange) => "a permission change",
        (Language::En, Category::CredentialExpiry) => "an expired or rotated credential",
        (Language::En, Category::CapacityLimit) => "a capacity limit being hit",
        (Language::En, Category::ResourceExhaustion) => "resource exhaustion",
        (Language::En, Category::DependencyFailure) => "a failing or slow dependency",
        (Language::En, Category::Network) => "a network problem",
        (Language::En, Category::CodeDefect) => "a latent code defect",
        (Language::En, Category::TrafficSurge) => "a traffic surge",
        (Language::En, Category::InfrastructureFailure) => "an infrastructure failure",
        (Language::En, Category::Unknown) => "an unidentified fault",
        (Language::Ja, Category::Deployment) => "新しいコードまたは設定のデプロイ",
        (Language::Ja, Category::ConfigurationChange) => "設定変更",
        (Language::Ja, Category::PermissionChange) => "権限の変更",
        (Language::Ja, Category::CredentialExpiry) => "認証情報の期限切れまたはローテーション",
        (Language::Ja, Category::CapacityLimit) => "キャパシティ上限への到達",
        (Language::Ja, Category::ResourceExhaustion) => "リソースの枯渇",
        (Language::Ja, Category::DependencyFailure) => "依存先の障害または遅延",
        (Language::Ja, Category::Network) => "ネットワークの問題",
        (Language::Ja, Category::CodeDefect) => "潜在的なコードの不具合",
        (Language::Ja, Category::TrafficSurge) => "トラフィックの急増",
        (Language::Ja, Category::InfrastructureFailure) => "インフラストラクチャの障害",
        (Language::Ja, Category::Unknown) => "特定できない障害",
    }
}

fn when(time: Option<DateTime<Utc>>) -> String {
    time.map(|t| format_time(&t)).unwrap_or_else(|| "?".into())
}

/// The statement of a hypothesis, as a sentence.
fn statement(language: Language, candidate: &Candidate) -> String {
    let text = statement_text(language, candidate);
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn statement_text(language: Language, candidate: &Candidate) -> String {
    let phrase = category_phrase(language, candidate.category);
    let symptom = candidate.support.iter().find(|f| f.source != EvidenceSource::Knowledge);
    let preceding = candidate.context.iter().find(|f| f.source == EvidenceSource::Audit);
    match (language, &candidate.cause, symptom) {
        (Language::En, Some(cause), Some(symptom)) => format!(
            "{phrase} on {} ({}) at {} preceded the symptoms: {} (from {}).",
            candidate.component,
            cause.summary,
            when(cause.time),
            symptom.summary,
            when(symptom.time)
        ),
        (Language::En, Some(cause), None) => format!(
            "{phrase} on {} ({}) at {}; no symptom was tied to it directly, so it is a weaker suspect.",
            candidate.component,
            cause.summary,
            when(cause.time)
        ),
        (Language::En, None, Some(symptom)) => format!(
            "{} shows {phrase}: {} (from {}). {}",
            candidate.component,
            symptom.summary,
            when(symptom.time),
            preceding.map_or_else(
                || "No change came before it.".to_string(),
                |change| format!(
                    "The nearest change before it on a related resource: {} at {}.",
                    change.summary,
                    when(change.time)
                )
            )
        ),
        (Language::Ja, Some(cause), Some(symptom)) => format!(
            "{} に対する{phrase}（{}、{}）の後に症状が現れました: {}（{} から）。",
            candidate.component,
            cause.summary,
            when(cause.time),
            symptom.summary,
            when(symptom.time)
        ),
        (Language::Ja, Some(cause), None) => format!(
            "{} に対する{phrase}（{}、{}）。直接結びつく症状はなく、容疑は弱めです。",
            candidate.component,
            cause.summary,
            when(cause.time)
        ),
        (Language::Ja, None, Some(symptom)) => format!(
            "{} で{phrase}が見られます: {}（{} から）。{}",
            candidate.component,
            symptom.summary,
            when(symptom.time),
            preceding.map_or_else(
                || "その前に変更はありません。".to_string(),
                |change| format!("直前の関連リソースへの変更: {}（{}）。", change.summary, when(change.time))
            )
        ),
        (_, None, None) => format!("{} — {phrase}.", candidate.component),
    }
}

fn identified_summary(run: &RunContext, top: &Hypothesis, candidate: &Candidate, assessment: &Assessment) -> String {
    let phrase = category_phrase(run.language, top.category);
    let percent = (top.confidence * 100.0).round();
    let onset = when(assessment.onset);
    let cause = candidate.cause.as_ref().map(|c| c.summary.clone());
    match run.language {
        Language::En => {
            let because = cause.map(|c| format!(" ({c})")).unwrap_or_default();
            format!(
                "The most likely root cause is {phrase} on {}{because}; symptoms began at {onset}. Confidence {percent}%. \
                 {}",
                top.component,
                trigger_clause(run)
            )
        }
        Language::Ja => {
            let because = cause.map(|c| format!("（{c}）")).unwrap_or_default();
            format!(
                "最も可能性の高い根本原因は {} における{phrase}{because}です。症状は {onset} に始まりました。確信度 {percent}%。{}",
                top.component,
                trigger_clause(run)
            )
        }
    }
}

fn trigger_clause(run: &RunContext) -> String {
    match (run.language, &run.trigger.alarm_name, &run.trigger.description) {
        (Language::En, Some(alarm), _) => format!("Triggered by alarm {alarm}."),
        (Language::En, None, Some(description)) => format!("Reported as: \"{}\".", clip(description, 160)),
        (Language::Ja, Some(alarm), _) => format!("アラーム {alarm} により起動されました。"),
        (Language::Ja, None, Some(description)) => format!("報告内容: 「{}」", clip(description, 160)),
        (_, None, None) => String::new(),
    }
}

fn inconclusive_summary(
    run: &RunContext,
    top: Option<&Hypothesis>,
    assessment: &Assessment,
    failed: &[String],
) -> String {
    let all = [
        EvidenceSource::Metrics,
        EvidenceSource::Logs,
        EvidenceSource::Audit,
        EvidenceSource::Traces,
        EvidenceSource::Knowledge,
    ];
    let missing: Vec<&str> = all.iter().filter(|s| !assessment.sources.contains(s)).map(|s| s.as_str()).collect();
    let lead =
        top.map(|h| (h.component.clone(), category_phrase(run.language, h.category), (h.confidence * 100.0).round()));
    match run.language {
        Language::En => {
            let mut text = String::from("The evidence does not single out a root cause.");
            if let Some((component, phrase, percent)) = lead {
                text.push_str(&format!(" The leading suspicion is {phrase} on {component} ({percent}% confidence)."));
            }
            if !missing.is_empty() {
                text.push_str(&format!(" No findings came from: {}.", missing.join(", ")));
            }
            if !failed.is_empty() {
                text.push_str(&format!(" Tools that failed: {}.", failed.join("; ")));
            }
            text
        }
        Language::Ja => {
            let mut text = String::from("証拠からは根本原因を一つに絞り込めませんでした。");
            if let Some((component, phrase, percent)) = lead {
                text.push_str(&format!("最も疑わしいのは {component} における{phrase}です（確信度 {percent}%）。"));
            }
            if !missing.is_empty() {
                text.push_str(&format!("所見が得られなかった情報源: {}。", missing.join(", ")));
            }
            if !failed.is_empty() {
                text.push_str(&format!("失敗したツール: {}。", failed.join("; ")));
            }
            text
        }
    }
}

/// A report that finds nothing wrong: why, what it touched, the one thing to do about the alarm, and how to
/// keep it from paging again.
struct Healthy {
    summary: String,
    impact: String,
    action: String,
    prevention: String,
}

impl Healthy {
    fn conclusion(self, language: Language, timeline: Vec<TimelineEntry>, gaps: Option<ActionItem>) -> Conclusion {
        Conclusion {
            status: Status::Healthy,
            summary: self.summary,
            hypotheses: Vec::new(),
            timeline,
            impact: self.impact,
            actions: [ActionItem {
                priority: Priority::ShortTerm,
                title: text(language, "Review the alarm's sensitivity", "アラームの感度を見直す"),
                detail: self.action,
            }]
            .into_iter()
            .chain(gaps)
            .collect(),
            prevention: vec![self.prevention],
        }
    }
}

/// The no-fault conclusion, when the assessment found the alarm false: a recovered blip, a documented activity,
/// what a runbook calls normal, a synthetic check failing on a third party's asset, or log noise.
fn healthy_verdict(run: &RunContext, assessment: &Assessment) -> Option<Healthy> {
    let language = run.language;
    if let Some(experiment) = &assessment.experiment {
        return Some(Healthy {
            summary: experiment_summary(run, assessment, experiment),
            impact: within(language, assessment, "the experiment injected", "実験が注入した範囲内です"),
            action: text(
                language,
                "Confirm with whoever started the experiment that it was planned and stays within its targets; stop it \
                 (`aws fis stop-experiment`) if it reaches real users.",
                "実験を開始した担当者に、計画どおりで対象の範囲内にとどまっていることを確認してください。\
                 実ユーザーに影響が及ぶ場合は停止してください（`aws fis stop-experiment`）。",
            ),
            prevention: text(
                language,
                "Announce game days, give experiments stop conditions on the alarms they must not cross, and mute the \
                 alarms an experiment is meant to trip while it runs.",
                "ゲームデーを告知し、越えてはならないアラームを実験の停止条件に設定し、\
                 実験が発報させる想定のアラームは実行中は抑止する。",
            ),
        });
    }
    if let Some(blip) = &assessment.blip {
        return Some(Healthy {
            summary: healthy_summary(run, blip),
            impact: healthy_impact(language, blip),
            action: text(
                language,
                "The alarm fired on a single short burst that recovered on its own. Consider evaluating more datapoints \
                 (for example 3 of 5) or a higher threshold so transient blips do not page.",
                "アラームは自然に回復した一時的なバーストで発報しました。一時的な揺らぎで呼び出されないよう、\
                 評価するデータポイント数（例: 5 中 3）やしきい値の見直しを検討してください。",
            ),
            prevention: text(
                language,
                "Alarm on sustained conditions (M of N datapoints) rather than a single datapoint.",
                "単一のデータポイントではなく、継続した状態（N 中 M データポイント）でアラームを評価する。",
            ),
        });
    }
    if let Some(schedule) = &assessment.expected {
        return Some(Healthy {
            summary: expected_summary(run, assessment, schedule),
            impact: within(
                language,
                assessment,
                "the scheduled activity causes each time",
                "定期処理が毎回引き起こす範囲内です",
            ),
            action: text(
                language,
                "The alarm fired on what a documented activity (a schedule, or a window announced for the day) does. \
                 Mute or relax it during that window, or alarm on user-facing errors instead of the load the schedule is \
                 known to cause.",
                "アラームは文書化された作業（定期処理、または当日告知された作業）が引き起こす変化で発報しました。\
                 その時間帯はアラームを抑止または緩和するか、\
                 定期処理が起こすと分かっている負荷ではなく利用者に見えるエラーで監視してください。",
            ),
            prevention: text(
                language,
                "Keep scheduled jobs and maintenance windows next to the alarms they move, and suppress those alarms \
                 while they run.",
                "定期ジョブやメンテナンスウィンドウを、それが動かすアラームと一緒に管理し、実行中はアラームを抑止する。",
            ),
        });
    }
    if let Some(statement) = &assessment.documented_normal {
        return Some(Healthy {
            summary: documented_summary(run, assessment, statement),
            impact: within(language, assessment, "the runbook calls normal", "ランブックが正常とする範囲内です"),
            action: text(
                language,
                "Nothing to fix in the system. If this alarm keeps firing on what the runbook calls normal, let it \
                 evaluate more datapoints or mute it while that activity runs.",
                "システムへの対応は不要です。ランブックが正常とする事象でこのアラームが繰り返し発報するなら、\
                 評価するデータポイントを増やすか、その作業中は抑止してください。",
            ),
            prevention: text(
                language,
                "Keep what the runbooks call normal out of paging alarms (M of N datapoints, or a suppression during the \
                 activity).",
                "ランブックが正常とする事象でページングしないようにする（N 中 M データポイント、または作業中の抑止）。",
            ),
        });
    }
    if let Some(host) = &assessment.probe_only {
        return Some(Healthy {
            summary: probe_summary(run, host),
            impact: text(
                language,
                "None seen on the system: only the synthetic check failed; its own components show no errors or \
                 slowdown.",
                "システムへの影響は見られません: 失敗したのは合成監視のみで、構成要素にエラーや遅延はありません。",
            ),
            action: text(
                language,
                "Nothing to fix in the system. Make the canary wait for the system's own content rather than third-party \
                 assets (or block those requests in the script), and follow the provider's status page.",
                "システムへの対応は不要です。カナリアがサードパーティの読み込みではなくシステム自身のコンテンツを待つようにし\
                 （またはスクリプトでそれらのリクエストを遮断し）、提供元のステータスページを確認してください。",
            ),
            prevention: text(
                language,
                "Keep synthetic checks to what the system serves, and alarm on real users' errors and latency next to them.",
                "合成監視はシステムが提供するものに限定し、実ユーザーのエラーとレイテンシーでも監視する。",
            ),
        });
    }
    if let Some(warnings) = &assessment.noise {
        return Some(Healthy {
            summary: noise_summary(run, warnings),
            impact: noise_impact(language),
            action: text(
                language,
                "Nothing to fix in the system. Tune the alarm to count errors rather than warnings, and clean up the new \
                 warnings (deprecated settings or APIs) in a later change.",
                "システムへの対応は不要です。警告ではなくエラーを数えるようにアラームを調整し、新しい警告（非推奨の設定や API）は\
                 後の変更で解消してください。",
            ),
            prevention: text(
                language,
                "Alarm on what users feel (errors, latency), not on log volume, and review new warnings when dependencies \
                 are upgraded.",
                "ログ量ではなく利用者が感じる症状（エラー、レイテンシー）で監視し、依存関係の更新時に新しい警告を確認する。",
            ),
        });
    }
    None
}

fn experiment_summary(run: &RunContext, assessment: &Assessment, experiment: &Finding) -> String {
    let began = when(assessment.onset);
    match run.language {
        Language::En => format!(
            "No fault in the system: the trouble began at {began}, just after a fault-injection experiment (AWS FIS) \
             was started at {}: {}. It is what the experiment injected, and no later change explains it. {}",
            when(experiment.time),
            clip(&experiment.summary, 200),
            trigger_clause(run)
        ),
        Language::Ja => format!(
            "システムの障害ではありません: {began} に始まった事象は、{} に開始された障害注入実験（AWS FIS）の直後です: {}。\
             実験が注入したもので、その後の変更では説明されません。{}",
            when(experiment.time),
            clip(&experiment.summary, 200),
            trigger_clause(run)
        ),
    }
}

fn expected_summary(run: &RunContext, assessment: &Assessment, schedule: &str) -> String {
    let began = when(assessment.onset);
    match run.language {
        Language::En => format!(
            "No fault: the trouble began at {began}, as an activity the team documents (on a schedule, or announced \
             for the day) starts (\"{}\"), with no errors and no change by a person behind it. It is that activity's \
             usual load. No action is needed on the system. {}",
            clip(schedule, 200),
            trigger_clause(run)
        ),
        Language::Ja => format!(
            "障害ではありません: {began} に始まった変化は、文書化された作業（定期、または当日告知）の開始と一致し（「{}」）、\
             背後にエラーや人による変更はありません。その処理のいつもの負荷です。システムへの対応は不要です。{}",
            clip(schedule, 200),
            trigger_clause(run)
        ),
    }
}

/// "Within what {en}: {the strongest symptom}." — the impact of trouble a documented activity explains.
fn within(language: Language, assessment: &Assessment, en: &str, ja: &str) -> String {
    match (language, &assessment.impact) {
        (Language::En, Some(finding)) => format!("Within what {en}: {}.", finding.summary),
        (Language::Ja, Some(finding)) => format!("{ja}: {}。", finding.summary),
        (Language::En, None) => format!("Within what {en}."),
        (Language::Ja, None) => format!("{ja}。"),
    }
}

fn healthy_summary(run: &RunContext, blip: &[Finding]) -> String {
    let strongest = blip.iter().max_by(|a, b| a.score.total_cmp(&b.score));
    let what = strongest.map(|f| format!("{} ({})", f.summary, when(f.time))).unwrap_or_default();
    match run.language {
        Language::En => format!(
            "False alarm: a short burst that recovered on its own within minutes, with no change or lasting error \
             behind it: {what}. No action is needed on the system. {}",
            trigger_clause(run)
        ),
        Language::Ja => format!(
            "誤報です: 数分以内に自然回復した短時間のバーストで、背後に変更や継続するエラーはありません: {what}。\
             システムへの対応は不要です。{}",
            trigger_clause(run)
        ),
    }
}

fn documented_summary(run: &RunContext, assessment: &Assessment, statement: &str) -> String {
    let began = when(assessment.onset);
    match run.language {
        Language::En => format!(
            "No fault: what began at {began} is what the team's runbook calls normal (\"{}\"), and nothing else is \
             wrong. No action is needed on the system. {}",
            clip(statement, 240),
            trigger_clause(run)
        ),
        Language::Ja => format!(
            "障害ではありません: {began} に始まった事象は、チームのランブックが正常とするものです（「{}」）。\
             ほかに異常はありません。システムへの対応は不要です。{}",
            clip(statement, 240),
            trigger_clause(run)
        ),
    }
}

fn noise_summary(run: &RunContext, warnings: &[Finding]) -> String {
    let first = warnings.iter().filter_map(|f| f.time).min();
    let example = warnings.iter().max_by(|a, b| a.score.total_cmp(&b.score)).map(|f| clip(&f.summary, 240));
    let example = example.unwrap_or_default();
    let count = warnings.len();
    match run.language {
        Language::En => format!(
            "No fault: from {} the logs carry {count} new warning pattern(s) that name no failure, with no errors, \
             failed requests or slowdown next to them; the alarm counted log noise. For example: {example}. No action \
             is needed on the system. {}",
            when(first),
            trigger_clause(run)
        ),
        Language::Ja => format!(
            "障害ではありません: {} から、失敗を示さない新しい警告パターンが {count} 件ログに出ていますが、\
             エラー、失敗したリクエスト、遅延は伴っていません。アラームはログのノイズを数えました。例: {example}。\
             システムへの対応は不要です。{}",
            when(first),
            trigger_clause(run)
        ),
    }
}

fn probe_summary(run: &RunContext, host: &str) -> String {
    match run.language {
        Language::En => format!(
            "No fault in the system: only the synthetic check fails, waiting on the third-party host {host} it loads; \
             nothing the system runs shows errors or slowdown, and no change was made. No action is needed on the \
             system. {}",
            trigger_clause(run)
        ),
        Language::Ja => format!(
            "システムの障害ではありません: 失敗しているのは合成監視のみで、読み込むサードパーティのホスト {host} を待って\
             タイムアウトしています。システムの構成要素にエラーや遅延はなく、変更もありません。システムへの対応は不要です。{}",
            trigger_clause(run)
        ),
    }
}

fn noise_impact(language: Language) -> String {
    text(
        language,
        "None seen: no errors, failed requests or latency change; only new warning lines.",
        "影響は見られません: エラー、失敗したリクエスト、レイテンシーの変化はなく、新しい警告行のみです。",
    )
}

fn healthy_impact(language: Language, blip: &[Finding]) -> String {
    let components: Vec<&str> =
        blip.iter().map(|f| f.component.as_str()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    match language {
        Language::En => format!("Brief and self-healing; affected: {}.", components.join(", ")),
        Language::Ja => format!("短時間で自然回復しました。影響対象: {}。", components.join(", ")),
    }
}

fn impact(run: &RunContext, assessment: &Assessment) -> String {
    let Some(finding) = &assessment.impact else {
        return text(
            run.language,
            "Impact could not be measured from the metrics.",
            "メトリクスから影響を測定できませんでした。",
        );
    };
    match run.language {
        Language::En => format!("{} on {} since {}.", finding.summary, finding.component, when(finding.time)),
        Language::Ja => {
            format!("{} が {} 以降 {} で発生しています。", finding.summary, when(finding.time), finding.component)
        }
    }
}

fn timeline(run: &RunContext, assessment: &Assessment) -> Vec<TimelineEntry> {
    let mut entries: Vec<TimelineEntry> = Vec::new();
    let mut add = |finding: &Finding| {
        if let Some(time) = finding.time
            && !entries.iter().any(|e| e.time == time && e.source == finding.source)
        {
            entries.push(TimelineEntry { time, source: finding.source, event: clip(&finding.summary, 200) });
        }
    };
    for candidate in assessment.candidates.iter().take(3) {
        candidate.cause.iter().for_each(&mut add);
        candidate.support.iter().filter(|f| f.source != EvidenceSource::Knowledge).take(2).for_each(&mut add);
    }
    if let Some(blip) = &assessment.blip {
        blip.iter().take(4).for_each(&mut add);
    }
    assessment.experiment.iter().for_each(&mut add);
    if let Some(alarm) = &run.alarm {
        entries.push(TimelineEntry {
            time: alarm.state_time,
            source: EvidenceSource::Metrics,
            event: match run.language {
                Language::En => format!("Alarm {} entered ALARM", alarm.name),
                Language::Ja => format!("アラーム {} が ALARM 状態に遷移", alarm.name),
            },
        });
    }
    entries.sort_by_key(|e| e.time);
    entries.truncate(12);
    entries
}

fn investigate_actions(language: Language) -> Vec<ActionItem> {
    vec![ActionItem {
        priority: Priority::Immediate,
        title: text(language, "Widen the investigation", "調査範囲を広げる"),
        detail: text(
            language,
            "Check that the log groups, metrics and traces of every component in the request path are configured, \
             then replay the analysis with a longer window.",
            "リクエスト経路上のすべてのコンポーネントのロググループ・メトリクス・トレースが設定されているか確認し、\
             より長い期間で分析を再実行してください。",
        ),
    }]
}

fn actions(language: Language, candidate: &Candidate) -> Vec<ActionItem> {
    let c = &candidate.component;
    let (immediate, short, long) = match (language, candidate.category) {
        (Language::En, Category::Deployment) => (
            format!("Roll back {c} to the previous version (alias or task definition)."),
            "Reproduce the failure against the new version in staging and fix it before redeploying.".to_string(),
            "Deploy gradually (canary/linear) with automatic rollback on error alarms.".to_string(),
        ),
        (Language::En, Category::ConfigurationChange) => (
            format!("Revert the configuration change on {c}."),
            "Confirm the intended value with the change's author and reapply it safely.".to_string(),
            "Manage this setting in infrastructure as code with review and drift detection.".to_string(),
        ),
        (Language::En, Category::PermissionChange) => (
            format!("Restore the permissions removed from {c} (the previous policy version)."),
            "Verify which actions the workload needs and grant exactly those.".to_string(),
            "Route IAM changes through reviewed infrastructure as code; alarm on AccessDenied.".to_string(),
        ),
        (Language::En, Category::CredentialExpiry) => (
            format!("Renew or rotate the credential used by {c} and restart the consumers."),
            "Find every consumer of the credential and confirm they pick up the new value.".to_string(),
            "Automate rotation and alarm well before expiry.".to_string(),
        ),
        (Language::En, Category::CapacityLimit) => (
            format!("Raise the limit or capacity of {c} (or switch to on-demand) to stop the throttling."),
            "Size the limit from peak demand with headroom; add retries with backoff.".to_string(),
            "Alarm on throttling and utilisation before the limit is reached; use auto scaling.".to_string(),
        ),
        (Language::En, Category::ResourceExhaustion) => (
            format!("Relieve {c}: restart or scale out, free the exhausted resource."),
            "Find what consumes the resource (leak, unbounded growth) and fix it.".to_string(),
            "Alarm on the resource's utilisation trend, not only on failures.".to_string(),
        ),
        (Language::En, Category::DependencyFailure) => (
            format!("Check the health of {c} and fail over or degrade gracefully while it is impaired."),
            "Add timeouts, retries with jitter and a circuit breaker around the dependency.".to_string(),
            "Agree on an SLO with the dependency's owner and alarm on its error rate.".to_string(),
        ),
        (Language::En, Category::Network) => (
            format!("Check DNS, routes, security groups and certificates on the path to {c}."),
            "Revert any recent network change and verify connectivity end to end.".to_string(),
            "Add synthetic connectivity checks and alarm on them.".to_string(),
        ),
        (Language::En, Category::TrafficSurge) => (
            format!("Scale {c} out or throttle/shed the excess load at the edge."),
            "Find the source of the surge (a client, a retry storm, a campaign).".to_string(),
            "Load test to the expected peak and set auto scaling and rate limits accordingly.".to_string(),
        ),
        (Language::En, _) => (
            format!("Mitigate on {c}: roll back recent changes or scale out while investigating."),
            "Reproduce the failure and fix the defect.".to_string(),
            "Add tests and alarms that would have caught it earlier.".to_string(),
        ),
        (Language::Ja, Category::Deployment) => (
            format!("{c} を以前のバージョンにロールバックする（エイリアスまたはタスク定義）。"),
            "ステージングで新バージョンの障害を再現し、修正してから再デプロイする。".to_string(),
            "エラーアラームによる自動ロールバック付きの段階的デプロイ（カナリア/リニア）にする。".to_string(),
        ),
        (Language::Ja, Category::ConfigurationChange) => (
            format!("{c} の設定変更を元に戻す。"),
            "変更者と意図した値を確認し、安全に再適用する。".to_string(),
            "この設定をレビューとドリフト検出付きの IaC で管理する。".to_string(),
        ),
        (Language::Ja, Category::PermissionChange) => (
            format!("{c} から削除された権限を復元する（以前のポリシーバージョン）。"),
            "ワークロードに必要なアクションを確認し、過不足なく付与する。".to_string(),
            "IAM の変更はレビュー済みの IaC 経由で行い、AccessDenied にアラームを設定する。".to_string(),
        ),
        (Language::Ja, Category::CredentialExpiry) => (
            format!("{c} が使う認証情報を更新またはローテーションし、利用側を再起動する。"),
            "認証情報の利用者をすべて洗い出し、新しい値を取得できているか確認する。".to_string(),
            "ローテーションを自動化し、期限切れの十分前にアラームを出す。".to_string(),
        ),
        (Language::Ja, Category::CapacityLimit) => (
            format!("{c} の上限またはキャパシティを引き上げる（またはオンデマンドに切り替える）。"),
            "ピーク需要に余裕を持たせて上限を見積もり、バックオフ付きリトライを入れる。".to_string(),
            "上限到達前にスロットリングと使用率のアラームを出し、オートスケーリングを使う。".to_string(),
        ),
        (Language::Ja, Category::ResourceExhaustion) => (
            format!("{c} を再起動またはスケールアウトし、枯渇したリソースを解放する。"),
            "リソースを消費している原因（リーク、無制限の増加）を特定して修正する。".to_string(),
            "障害だけでなくリソース使用率の傾向にもアラームを設定する。".to_string(),
        ),
        (Language::Ja, Category::DependencyFailure) => (
            format!("{c} の状態を確認し、障害中はフェイルオーバーまたは縮退運転する。"),
            "依存先の呼び出しにタイムアウト、ジッター付きリトライ、サーキットブレーカーを入れる。".to_string(),
            "依存先のオーナーと SLO を合意し、そのエラー率にアラームを設定する。".to_string(),
        ),
        (Language::Ja, Category::Network) => (
            format!("{c} への経路上の DNS、ルート、セキュリティグループ、証明書を確認する。"),
            "最近のネットワーク変更を戻し、エンドツーエンドで疎通を確認する。".to_string(),
            "合成監視による疎通チェックを追加しアラームを設定する。".to_string(),
        ),
        (Language::Ja, Category::TrafficSurge) => (
            format!("{c} をスケールアウトするか、エッジで過剰な負荷を制限する。"),
            "急増の発生源（特定クライアント、リトライストーム、キャンペーン）を特定する。".to_string(),
            "想定ピークまで負荷試験を行い、オートスケーリングとレート制限を設定する。".to_string(),
        ),
        (Language::Ja, _) => (
            format!("{c} で最近の変更をロールバックするかスケールアウトして影響を抑えつつ調査する。"),
            "障害を再現して不具合を修正する。".to_string(),
            "より早く検知できるテストとアラームを追加する。".to_string(),
        ),
    };
    let titles = match language {
        Language::En => ["Mitigate now", "Fix the cause", "Make it robust"],
        Language::Ja => ["直ちに緩和する", "原因を修正する", "再発しにくくする"],
    };
    vec![
        ActionItem { priority: Priority::Immediate, title: titles[0].into(), detail: immediate },
        ActionItem { priority: Priority::ShortTerm, title: titles[1].into(), detail: short },
        ActionItem { priority: Priority::LongTerm, title: titles[2].into(), detail: long },
    ]
}

fn prevention(language: Language, category: Category) -> Vec<String> {
    let en: &[&str] = match category {
        Category::Deployment => &["Canary deployments with automatic rollback", "Contract tests for the changed route"],
        Category::ConfigurationChange | Category::PermissionChange => {
            &["All changes through reviewed infrastructure as code", "Alarm on console changes to production"]
        }
        Category::CredentialExpiry => &["Automatic rotation with expiry alarms"],
        Category::CapacityLimit | Category::TrafficSurge => &["Capacity alarms before limits", "Regular load tests"],
        Category::ResourceExhaustion => &["Utilisation alarms and leak detection in tests"],
        Category::DependencyFailure | Category::Network => {
            &["Timeouts, retries and circuit breakers on every dependency"]
        }
        _ => &["A post-incident review to find the missing guard"],
    };
    let ja: &[&str] = match category {
        Category::Deployment => &["自動ロールバック付きのカナリアデプロイ", "変更したルートの契約テスト"],
        Category::ConfigurationChange | Category::PermissionChange => {
            &["すべての変更をレビュー済みの IaC 経由にする", "本番環境へのコンソール変更にアラームを設定する"]
        }
        Category::CredentialExpiry => &["期限アラーム付きの自動ローテーション"],
        Category::CapacityLimit | Category::TrafficSurge => &["上限到達前のキャパシティアラーム", "定期的な負荷試験"],
        Category::ResourceExhaustion => &["使用率アラームとテストでのリーク検出"],
        Category::DependencyFailure | Category::Network => {
            &["すべての依存先にタイムアウト、リトライ、サーキットブレーカー"]
        }
        _ => &["欠けていた防御策を見つけるためのポストモーテム"],
    };
    let chosen = if language == Language::En { en } else { ja };
    chosen.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(score: f64) -> Candidate {
        Candidate {
            component: "shop-fn".into(),
            category: Category::CodeDefect,
            score,
            cause: None,
            support: Vec::new(),
            context: Vec::new(),
        }
    }

    #[test]
    fn a_lone_suspect_is_only_as_sure_as_its_evidence() {
        let weak_alone = confidences(&[candidate(0.26)])[0];
        assert!(weak_alone < IDENTIFIED, "{weak_alone}");
        let strong_alone = confidences(&[candidate(0.9)])[0];
        assert!(strong_alone > 0.9, "{strong_alone}");
        let contested = confidences(&[candidate(0.9), candidate(0.8)]);
        assert!(contested[0] < strong_alone && contested[1] < contested[0], "{contested:?}");
    }
}
