//! Scores a report against a bundle's `answer.json`, exactly as `../shared/spec/report.md` ("How a report is
//! scored") says, and summarizes scores over many bundles. Evaluation only: the analyzer never reads answers.

use serde::{Deserialize, Serialize};

use crate::contract::{Category, EvidenceSource, Hypothesis, Report, Status, Usage};
use crate::domain::resources::same_resource;

/// How many leading hypotheses count for top-3.
const TOP_N: usize = 3;
/// For a healthy bundle, an inconclusive report is still correct if no hypothesis is above this confidence.
const HEALTHY_MAX_CONFIDENCE: f64 = 0.5;

/// A bundle's `answer.json`. Unknown fields (`scenario`, ...) are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub status: Status,
    /// `null` for healthy bundles.
    #[serde(default)]
    pub root_cause: Option<RootCause>,
    #[serde(default)]
    pub required_evidence: Vec<EvidenceSource>,
    #[serde(default)]
    pub forbidden_components: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RootCause {
    pub component: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub category: Category,
    #[serde(default)]
    pub acceptable_categories: Vec<Category>,
}

impl RootCause {
    /// The scoring rule for one hypothesis: its component matches the root cause's component or an alias, and its
    /// category is `category` or one of `acceptableCategories`.
    pub fn matches(&self, hypothesis: &Hypothesis) -> bool {
        let category_ok =
            hypothesis.category == self.category || self.acceptable_categories.contains(&hypothesis.category);
        category_ok
            && std::iter::once(&self.component)
                .chain(&self.aliases)
                .any(|name| same_resource(&hypothesis.component, name))
    }
}

/// How one report fared against its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    /// The first hypothesis matches the root cause. Not applicable (false) for healthy answers.
    pub top1: bool,
    /// One of the first three hypotheses matches the root cause. Not applicable (false) for healthy answers.
    pub top3: bool,
    /// The matching hypothesis (the first of the top 3 that matches) cites every source in `requiredEvidence`;
    /// false when none matches. Not applicable (false) for healthy answers.
    pub evidence: bool,
    /// The first hypothesis matches none of `forbiddenComponents` (true when there is no hypothesis).
    pub herring_free: bool,
    /// Only for healthy answers: the report says `healthy`, or `inconclusive` with no hypothesis above 0.5.
    /// `Some` also marks top1/top3/evidence as not applicable.
    pub healthy: Option<bool>,
    /// The 1-based position of the matching hypothesis among the first three, if one matches.
    pub matched_rank: Option<usize>,
    pub cost: Cost,
}

impl Score {
    /// Whether top1/top3/evidence apply (the answer names a root cause rather than "healthy").
    pub fn is_root_cause_case(&self) -> bool {
        self.healthy.is_none()
    }
}

/// What a run cost, from `usage`; summed over runs in a `Summary`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub cycles: u64,
    pub tool_calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub duration_ms: u64,
}

impl Cost {
    pub fn of(usage: &Usage) -> Cost {
        Cost {
            cycles: u64::from(usage.cycles),
            tool_calls: u64::from(usage.tool_calls),
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            duration_ms: usage.duration_ms,
        }
    }

    fn plus(self, other: Cost) -> Cost {
        Cost {
            cycles: self.cycles.saturating_add(other.cycles),
            tool_calls: self.tool_calls.saturating_add(other.tool_calls),
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            duration_ms: self.duration_ms.saturating_add(other.duration_ms),
        }
    }
}

/// Scores `report` against `answer`.
pub fn score(report: &Report, answer: &Answer) -> Score {
    let herring_free = report.hypotheses.first().is_none_or(|top| {
        !answer.forbidden_components.iter().any(|forbidden| same_resource(&top.component, forbidden))
    });
    let cost = Cost::of(&report.usage);
    if answer.status == Status::Healthy {
        let healthy = match report.status {
            Status::Healthy => true,
            Status::Inconclusive => report.hypotheses.iter().all(|h| h.confidence <= HEALTHY_MAX_CONFIDENCE),
            Status::RootCauseIdentified => false,
        };
        return Score {
            top1: false,
            top3: false,
            evidence: false,
            herring_free,
            healthy: Some(healthy),
            matched_rank: None,
            cost,
        };
    }
    let matched = answer.root_cause.as_ref().and_then(|root_cause| {
        report.hypotheses.iter().take(TOP_N).enumerate().find(|(_, hypothesis)| root_cause.matches(hypothesis))
    });
    let evidence = matched.is_some_and(|(_, hypothesis)| {
        answer.required_evidence.iter().all(|source| hypothesis.evidence.iter().any(|item| item.source == *source))
    });
    Score {
        top1: matched.is_some_and(|(index, _)| index == 0),
        top3: matched.is_some(),
        evidence,
        herring_free,
        healthy: None,
        matched_rank: matched.map(|(index, _)| index + 1),
        cost,
    }
}

/// A share of applicable cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub hits: usize,
    pub cases: usize,
}

impl Rate {
    fn over<'a>(scores: impl Iterator<Item = &'a Score>, hit: impl Fn(&Score) -> bool) -> Rate {
        scores.fold(Rate::default(), |rate, score| Rate {
            hits: rate.hits + usize::from(hit(score)),
            cases: rate.cases + 1,
        })
    }

    /// `hits / cases`, or `None` when no case applies.
    pub fn fraction(&self) -> Option<f64> {
        (self.cases > 0).then(|| self.hits as f64 / self.cases as f64)
    }
}

/// Accuracy and cost over many scored reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub cases: usize,
    /// Over root-cause cases.
    pub top1: Rate,
    pub top3: Rate,
    pub evidence: Rate,
    /// Over all cases.
    pub herring_free: Rate,
    /// Over healthy cases.
    pub healthy: Rate,
    /// Summed over all cases.
    pub total_cost: Cost,
}

/// Rates over the cases each applies to, and the total cost.
pub fn summarize(scores: &[Score]) -> Summary {
    let root_cause_cases = || scores.iter().filter(|score| score.is_root_cause_case());
    Summary {
        cases: scores.len(),
        top1: Rate::over(root_cause_cases(), |score| score.top1),
        top3: Rate::over(root_cause_cases(), |score| score.top3),
        evidence: Rate::over(root_cause_cases(), |score| score.evidence),
        herring_free: Rate::over(scores.iter(), |score| score.herring_free),
        healthy: Rate::over(scores.iter().filter(|score| score.healthy.is_some()), |score| score.healthy == Some(true)),
        total_cost: scores.iter().fold(Cost::default(), |total, score| total.plus(score.cost)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;

    use super::*;
    use crate::contract::{EvidenceItem, Language, SCHEMA_VERSION, Severity, Trigger, TriggerKind, Window};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn hypothesis(component: &str, category: Category, confidence: f64, sources: &[EvidenceSource]) -> Hypothesis {
        Hypothesis {
            rank: 0,
            component: component.into(),
            category,
            statement: "s".into(),
            confidence,
            severity: Severity::High,
            evidence: sources
                .iter()
                .map(|&source| EvidenceItem { source, reference: "r".into(), time: None, excerpt: "e".into() })
                .collect(),
        }
    }

    fn report(status: Status, hypotheses: Vec<Hypothesis>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            run_id: "run".into(),
            status,
            language: Language::En,
            window: Window { start: at("2026-01-01T00:00:00Z"), end: at("2026-01-01T01:00:00Z") },
            trigger: Trigger { kind: TriggerKind::Replay, alarm_name: None, description: None },
            summary: "s".into(),
            hypotheses: hypotheses
                .into_iter()
                .enumerate()
                .map(|(index, h)| Hypothesis { rank: index as u32 + 1, ..h })
                .collect(),
            timeline: vec![],
            impact: String::new(),
            actions: vec![],
            prevention: vec![],
            usage: Usage {
                brain: "rules".into(),
                cycles: 3,
                tool_calls: 7,
                input_tokens: 100,
                output_tokens: 20,
                duration_ms: 1_500,
                fallback: None,
            },
        }
    }

    fn capacity_answer() -> Answer {
        serde_json::from_value(json!({
            "status": "root_cause_identified",
            "rootCause": {
                "component": "ReportsStack-ReportsTableFC66D572-mT9XvDkRQgzE",
                "aliases": ["ReportsTable", "reports-table"],
                "category": "capacity-limit",
                "acceptableCategories": ["capacity-limit", "configuration-change"]
            },
            "requiredEvidence": ["metrics", "audit"],
            "forbiddenComponents": ["InvoicesStack-InvoicesErpSyncHandler901FDFA5-kp2CdLUx3TOl"],
            "notes": "UpdateTable lowered the write capacity.",
            "scenario": "an unknown field, ignored"
        }))
        .unwrap()
    }

    fn healthy_answer() -> Answer {
        serde_json::from_value(json!({
            "status": "healthy", "rootCause": null, "requiredEvidence": [],
            "forbiddenComponents": ["prd-loyalty-api"], "notes": "A blip."
        }))
        .unwrap()
    }

    use EvidenceSource::{Audit, Logs, Metrics};

    #[test]
    fn answers_parse_with_defaults_and_unknown_fields() {
        let answer = capacity_answer();
        assert_eq!(answer.required_evidence, [Metrics, Audit]);
        let root_cause = answer.root_cause.unwrap();
        assert_eq!(root_cause.aliases, ["ReportsTable", "reports-table"]);
        assert_eq!(root_cause.acceptable_categories, [Category::CapacityLimit, Category::ConfigurationChange]);
        let minimal: Answer = serde_json::from_value(json!({"status": "healthy"})).unwrap();
        assert_eq!(minimal.root_cause, None);
        assert!(minimal.required_evidence.is_empty() && minimal.forbidden_components.is_empty());
    }

    #[test]
    fn whole_word_matching_edge_cases() {
        let cases = [
            ("orders", "orders-table", true),
            ("orders-table", "orders", true),
            ("Orders", "ORDERS", true),
            ("orders", "orders_table", true),
            ("orders", "arn:aws:dynamodb:eu-west-1:123:table/orders", true),
            ("orders api", "the orders api lambda", true),
            ("api", "orders-api", true),
            ("subscriptions-dynamodb", "policy subscriptions-dynamodb on subscriptions-api-role", true),
            ("orders", "preorders", false),
            ("orders", "orders2", false),
            ("api", "apis", false),
            ("orders", "ordersTable", false),
            ("ReportsTable", "ReportsStack-ReportsTableFC66D572-mT9XvDkRQgzE", false),
            ("reports-table", "ReportsStack-ReportsTableFC66D572-mT9XvDkRQgzE", false),
            ("reportsstack", "ReportsStack-ReportsTableFC66D572-mT9XvDkRQgzE", true),
            ("orders-api", "orders-api-role", true),
            ("orders-api-role", "orders-api-v2-role", false),
            ("", "orders", false),
            ("   ", "orders", false),
            ("", "", false),
            // An edge that is punctuation cannot be glued to a neighbouring word.
            ("/orders", "api/orders", true),
            ("orders.", "orders.v2", true),
            // The first occurrence is glued ("xa-a"), a later overlapping one is whole.
            ("a-a", "xa-a-a", true),
            ("注文", "注文-api", true),
            ("注文", "注文api", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(same_resource(a, b), expected, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn top1_needs_component_and_acceptable_category() {
        let answer = capacity_answer();
        let top = |component: &str, category| {
            score(
                &report(Status::RootCauseIdentified, vec![hypothesis(component, category, 0.9, &[Metrics, Audit])]),
                &answer,
            )
        };
        let exact = top("ReportsStack-ReportsTableFC66D572-mT9XvDkRQgzE", Category::CapacityLimit);
        assert!(exact.top1 && exact.top3 && exact.evidence && exact.herring_free);
        assert_eq!((exact.healthy, exact.matched_rank), (None, Some(1)));
        assert!(top("reports-table", Category::ConfigurationChange).top1, "alias and acceptable category");
        assert!(top("REPORTSTABLE", Category::CapacityLimit).top1, "alias, case-insensitive");
        assert!(!top("reports-table", Category::Deployment).top1, "category not acceptable");
        assert!(!top("invoices-table", Category::CapacityLimit).top1, "other component");
    }

    #[test]
    fn top3_and_evidence_use_the_first_matching_hypothesis() {
        let answer = capacity_answer();
        let hypotheses = vec![
            hypothesis("InvoicesStack-InvoicesErpSyncHandler901FDFA5-kp2CdLUx3TOl", Category::CodeDefect, 0.6, &[Logs]),
            hypothesis("reports-table", Category::CapacityLimit, 0.3, &[Metrics]),
            hypothesis("ReportsTable", Category::CapacityLimit, 0.2, &[Metrics, Audit]),
        ];
        let scored = score(&report(Status::RootCauseIdentified, hypotheses.clone()), &answer);
        assert!(!scored.top1 && scored.top3);
        assert_eq!(scored.matched_rank, Some(2));
        assert!(!scored.evidence, "rank 2 matches first and does not cite audit; rank 3 does not count");
        assert!(!scored.herring_free, "the top hypothesis is a forbidden component");

        let mut cited = hypotheses.clone();
        cited[1].evidence = hypotheses[2].evidence.clone();
        assert!(score(&report(Status::RootCauseIdentified, cited), &answer).evidence);
    }

    #[test]
    fn a_match_below_rank_three_does_not_count() {
        let answer = capacity_answer();
        let mut hypotheses = vec![hypothesis("a", Category::Unknown, 0.5, &[Logs]); 3];
        hypotheses.push(hypothesis("reports-table", Category::CapacityLimit, 0.1, &[Metrics, Audit]));
        let scored = score(&report(Status::RootCauseIdentified, hypotheses), &answer);
        assert!(!scored.top1 && !scored.top3 && !scored.evidence);
        assert_eq!(scored.matched_rank, None);
    }

    #[test]
    fn no_hypotheses_scores_nothing_but_is_herring_free() {
        let scored = score(&report(Status::Inconclusive, vec![]), &capacity_answer());
        assert!(!scored.top1 && !scored.top3 && !scored.evidence && scored.herring_free);
    }

    #[test]
    fn empty_required_evidence_only_needs_a_match() {
        let mut answer = capacity_answer();
        answer.required_evidence.clear();
        let matching = vec![hypothesis("reports-table", Category::CapacityLimit, 0.9, &[Logs])];
        assert!(score(&report(Status::RootCauseIdentified, matching), &answer).evidence);
        let other = vec![hypothesis("other", Category::CapacityLimit, 0.9, &[Logs])];
        assert!(!score(&report(Status::RootCauseIdentified, other), &answer).evidence);
    }

    #[test]
    fn healthy_answers_accept_healthy_or_unsure_inconclusive_reports() {
        let answer = healthy_answer();
        let weak = vec![hypothesis("prd-invoices-api", Category::Network, 0.5, &[Logs])];
        let strong = vec![hypothesis("prd-invoices-api", Category::Network, 0.51, &[Logs])];
        let cases = [
            (Status::Healthy, vec![], true),
            (Status::Healthy, strong.clone(), true),
            (Status::Inconclusive, vec![], true),
            (Status::Inconclusive, weak.clone(), true),
            (Status::Inconclusive, strong, false),
            (Status::RootCauseIdentified, weak, false),
        ];
        for (status, hypotheses, expected) in cases {
            let scored = score(&report(status, hypotheses), &answer);
            assert_eq!(scored.healthy, Some(expected), "{status:?}");
            assert!(!scored.top1 && !scored.top3 && !scored.evidence && scored.matched_rank.is_none());
            assert!(!scored.is_root_cause_case());
        }
        let herring = vec![hypothesis("prd-loyalty-api", Category::Deployment, 0.3, &[Logs])];
        assert!(!score(&report(Status::Inconclusive, herring), &answer).herring_free);
    }

    #[test]
    fn summary_rates_count_only_applicable_cases() {
        let answer = capacity_answer();
        let right = report(
            Status::RootCauseIdentified,
            vec![hypothesis("reports-table", Category::CapacityLimit, 0.9, &[Metrics, Audit])],
        );
        let wrong = report(
            Status::RootCauseIdentified,
            vec![hypothesis(
                "InvoicesStack-InvoicesErpSyncHandler901FDFA5-kp2CdLUx3TOl",
                Category::CodeDefect,
                0.9,
                &[Logs],
            )],
        );
        let scores = [
            score(&right, &answer),
            score(&wrong, &answer),
            score(&report(Status::Healthy, vec![]), &healthy_answer()),
        ];
        let summary = summarize(&scores);
        assert_eq!(summary.cases, 3);
        assert_eq!(summary.top1, Rate { hits: 1, cases: 2 });
        assert_eq!(summary.top3, Rate { hits: 1, cases: 2 });
        assert_eq!(summary.evidence, Rate { hits: 1, cases: 2 });
        assert_eq!(summary.herring_free, Rate { hits: 2, cases: 3 });
        assert_eq!(summary.healthy, Rate { hits: 1, cases: 1 });
        assert_eq!(summary.top1.fraction(), Some(0.5));
        assert_eq!(summary.total_cost.cycles, 9);
        assert_eq!(summary.total_cost.duration_ms, 4_500);
        assert_eq!(summary.total_cost.input_tokens, 300);

        let empty = summarize(&[]);
        assert_eq!((empty.cases, empty.top1.fraction(), empty.healthy.fraction()), (0, None, None));
    }
}
