//! Evidence from the knowledge base: the runbooks and postmortems that match the situation, cited only when they
//! clear a relevance bar, attributed to the resource they are about.

use std::fmt::Write as _;

use super::{AnalysisFrame, attr, terms};
use crate::contract::{Digest, EvidenceSource, Finding, FindingKind};
use crate::domain::budget::{FINDING_EXCERPT_CHARS, bound_digest, clip};
use crate::ports::Passage;

/// Relevance (0..=1) a passage needs to be cited: for the offline knowledge base, a distinctive word of the query
/// held, not just a common one or part of a name; for Bedrock, about where related passages start.
pub const MIN_RELEVANCE: f64 = 0.4;

/// One document's passages, best first.
struct DocumentHits<'a> {
    document: &'a str,
    passages: Vec<&'a Passage>,
}

impl DocumentHits<'_> {
    fn best_score(&self) -> f64 {
        self.passages.first().map_or(0.0, |p| p.score)
    }
}

/// Digest of the passages a knowledge-base query returned; `blob_ref` is where the raw output is stored.
pub fn digest(passages: &[Passage], query: &str, frame: &AnalysisFrame, blob_ref: &str) -> Digest {
    let symptoms = symptom_tokens(query, &frame.resources);
    let documents = by_document(passages);
    let mut text = if passages.is_empty() {
        format!("Knowledge base: nothing found for \"{}\".\n", clip(query, 200))
    } else {
        format!(
            "Knowledge base: {} passages from {} documents for \"{}\" (cited when relevance >= {MIN_RELEVANCE}):\n",
            passages.len(),
            documents.len(),
            clip(query, 200)
        )
    };
    let mut findings = Vec::new();
    for hits in &documents {
        let cited: Vec<&Passage> = hits
            .passages
            .iter()
            .copied()
            .filter(|p| p.score >= MIN_RELEVANCE && holds_a_symptom(p, &symptoms))
            .collect();
        let title = title_of(hits);
        let verdict = if cited.is_empty() { "not cited: does not match well enough" } else { "cited" };
        let _ = writeln!(text, "- {} ({:.2}) \"{}\": {verdict}", hits.document, hits.best_score(), clip(&title, 100));
        if cited.is_empty() {
            continue;
        }
        let component = component_of(hits, &title, &frame.resources);
        let excerpt =
            clip(&cited.iter().map(|p| p.text.trim()).collect::<Vec<_>>().join("\n…\n"), FINDING_EXCERPT_CHARS);
        findings.push(Finding {
            source: EvidenceSource::Knowledge,
            kind: FindingKind::Runbook,
            summary: format!("{title} ({}) matches the situation, relevance {:.2}", hits.document, hits.best_score()),
            component,
            time: None,
            score: hits.best_score().clamp(0.0, 1.0),
            excerpt,
            reference: hits.document.to_string(),
            attrs: [(attr::TITLE.to_string(), title)].into_iter().collect(),
        });
    }
    if !blob_ref.is_empty() {
        let _ = writeln!(text, "Raw passages: {blob_ref}");
    }
    bound_digest(Digest { text, findings, records: passages.len() as u64, truncated: false })
}

fn by_document(passages: &[Passage]) -> Vec<DocumentHits<'_>> {
    let mut documents: Vec<DocumentHits<'_>> = Vec::new();
    for passage in passages {
        match documents.iter_mut().find(|d| d.document == passage.document) {
            Some(hits) => hits.passages.push(passage),
            None => documents.push(DocumentHits { document: &passage.document, passages: vec![passage] }),
        }
    }
    for hits in &mut documents {
        hits.passages.sort_by(|a, b| b.score.total_cmp(&a.score));
    }
    documents.sort_by(|a, b| b.best_score().total_cmp(&a.best_score()));
    documents
}

/// The tokens of a query that describe the problem rather than name a resource in play or say something common
/// (`AccessDeniedException`, `throttling`; not `orders-api`, not `errors`).
fn symptom_tokens(query: &str, resources: &[String]) -> Vec<terms::TokenTerms> {
    let resource_tokens: Vec<terms::TokenTerms> = resources.iter().flat_map(|r| terms::token_terms(r)).collect();
    terms::token_terms(query)
        .into_iter()
        .filter(|token| !resource_tokens.iter().any(|r| r.words == token.words))
        .filter(|token| !token.words.iter().all(|w| terms::is_common_incident_word(w)))
        .collect()
}

/// A score alone can come from the names of the system a document is about, or from a semantic retriever that
/// always returns something; a citation also needs the passage to hold one symptom of the query whole (all its
/// words, or its compound). A query of names only cites on the score.
fn holds_a_symptom(passage: &Passage, symptoms: &[terms::TokenTerms]) -> bool {
    if symptoms.is_empty() {
        return true;
    }
    let held = terms::search_terms(&passage.text);
    symptoms.iter().any(|symptom| {
        symptom.compound.as_ref().is_some_and(|c| held.contains(c)) || symptom.words.iter().all(|w| held.contains(w))
    })
}

/// The passage's Markdown title, or the document's name without folder and extension.
fn title_of(hits: &DocumentHits<'_>) -> String {
    let heading = hits.passages.iter().find_map(|p| {
        p.text.lines().map(str::trim).find_map(|l| l.strip_prefix("# ")).map(str::trim).map(str::to_string)
    });
    heading.unwrap_or_else(|| document_stem(hits.document).to_string())
}

fn document_stem(document: &str) -> &str {
    let name = document.rsplit('/').next().unwrap_or(document);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// The resource in play that the document is about: among those its passages (or its name) mention, the one
/// whose name shares most words with the title, then the most mentioned, then the longer, more specific name.
/// Without one, the document itself is the component.
fn component_of(hits: &DocumentHits<'_>, title: &str, resources: &[String]) -> String {
    let title_words = terms::search_terms(title);
    let mentioned = resources
        .iter()
        .map(|resource| {
            let count = terms::mention_count(hits.document, resource)
                + hits.passages.iter().map(|p| terms::mention_count(&p.text, resource)).sum::<usize>();
            let tokens = terms::name_tokens(resource);
            let in_title =
                tokens.iter().filter(|t| title_words.contains(t)).count() as f64 / tokens.len().max(1) as f64;
            (count, in_title, resource)
        })
        .filter(|(count, _, _)| *count > 0)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)).then(a.2.len().cmp(&b.2.len())));
    mentioned.map_or_else(|| document_stem(hits.document).to_string(), |(_, _, resource)| resource.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Window;
    use chrono::{TimeZone, Utc};

    fn frame(resources: &[&str]) -> AnalysisFrame {
        let end = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        AnalysisFrame {
            window: Window { start: end - chrono::Duration::hours(1), end },
            noticed_at: end,
            resources: resources.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn passage(document: &str, text: &str, score: f64) -> Passage {
        Passage { document: document.into(), text: text.into(), score }
    }

    #[test]
    fn only_relevant_documents_are_cited_and_attributed_to_their_resource() {
        let passages = [
            passage(
                "kb/runbook-carts.md",
                "# Runbook: throttling on the carts table\n## Checks\nThrottles on `carts-table` \
                     make `carts-api` slow; `carts-api` retries.",
                0.8,
            ),
            passage(
                "kb/runbook-carts.md",
                "# Runbook: throttling on the carts table\n## Fix\nRaise capacity of carts-table.",
                0.5,
            ),
            passage("kb/postmortem-dns.md", "# DNS outage\nResolver failed.", 0.12),
            passage("kb/generic.md", "# Generic\nSomething else entirely.", 0.6),
        ];
        let digest = digest(
            &passages,
            "carts-table throttling capacity",
            &frame(&["carts-api", "carts-table"]),
            "runs/r/kb.json",
        );
        assert_eq!(digest.findings.len(), 1, "{digest:#?}");
        let finding = &digest.findings[0];
        assert_eq!((finding.component.as_str(), finding.reference.as_str()), ("carts-table", "kb/runbook-carts.md"));
        assert_eq!(finding.attr(attr::TITLE), "Runbook: throttling on the carts table");
        assert!(finding.excerpt.contains("Raise capacity"));
        assert_eq!(finding.score, 0.8);
        assert!(digest.text.contains("postmortem-dns.md (0.12)"), "{}", digest.text);
        assert!(digest.text.contains("kb/generic.md (0.60) \"Generic\": not cited"), "{}", digest.text);
        assert_eq!(digest.records, 4);
    }

    #[test]
    fn a_match_on_names_alone_is_not_cited() {
        let passages = [passage("carts.md", "# Carts\nThe carts-api keeps carts in carts-table.", 0.7)];
        let resources = frame(&["carts-api", "carts-table"]);
        let by_name = digest(&passages, "carts-api errors AccessDeniedException", &resources, "");
        assert!(by_name.findings.is_empty(), "{}", by_name.text);
        let names_only = digest(&passages, "carts-api carts-table", &resources, "");
        assert_eq!(names_only.findings.len(), 1, "{}", names_only.text);
    }

    #[test]
    fn a_document_naming_no_resource_is_its_own_component() {
        let passages = [passage("s3://kb/rollback-guide.md", "How to roll back a deploy: move the alias.", 0.7)];
        let digest = digest(&passages, "roll back deploy", &frame(&["orders-api"]), "");
        assert_eq!(digest.findings[0].component, "rollback-guide");
        assert_eq!(digest.findings[0].attr(attr::TITLE), "rollback-guide");
    }

    #[test]
    fn nothing_found_says_so() {
        let digest = digest(&[], "anything", &frame(&[]), "");
        assert!(digest.findings.is_empty());
        assert!(digest.text.contains("nothing found"));
    }
}
