//! The offline knowledge base: `knowledge/*.md` cut into passages at Markdown headings, ranked for a query with a
//! BM25-style weighting normalized to 0..=1 (see `KnowledgeIndex::score`).

use std::collections::HashMap;

use super::KnowledgeDoc;
use crate::domain::evidence::knowledge::terms::{compound_terms, search_terms, stem, word_terms};
use crate::ports::Passage;

/// BM25's length normalization strength and the term-frequency saturation of a match (a single occurrence in a
/// passage of average length counts 0.77 of a perfect match; repeats approach 1).
const LENGTH_NORMALIZATION: f64 = 0.75;
const SATURATION: f64 = 0.3;
/// Sections longer than this are cut at paragraph breaks, so a passage stays about one topic.
const MAX_PASSAGE_CHARS: usize = 1_200;
/// A query word no document contains weighs this fraction of the weight of a word only one passage has: queries
/// carry names and ids that no runbook mentions, which should not sink a good match; but a query whose key words
/// are all missing must not score high on its filler words either. (Unknown compounds do not count: their words do.)
const UNKNOWN_TERM_WEIGHT: f64 = 0.5;
/// Words so common in incident talk that a match on them says little, whatever their frequency in a small corpus;
/// they keep this fraction of their weight.
const COMMON_WORD_WEIGHT: f64 = 0.3;
const COMMON_INCIDENT_WORDS: [&str; 30] = [
    "error", "fail", "failed", "failure", "issue", "problem", "broken", "new", "after", "before", "since", "some",
    "request", "high", "low", "increase", "spike", "start", "alarm", "all", "any", "more", "less", "see", "check",
    "use", "work", "now", "time", "minute",
];

#[derive(Debug, Clone, Default)]
pub(super) struct KnowledgeIndex {
    passages: Vec<IndexedPassage>,
    document_frequency: HashMap<String, usize>,
    average_length: f64,
    common_terms: Vec<String>,
}

#[derive(Debug, Clone)]
struct IndexedPassage {
    document: String,
    text: String,
    term_counts: HashMap<String, u32>,
    length: usize,
}

impl KnowledgeIndex {
    pub fn build(documents: &[KnowledgeDoc]) -> KnowledgeIndex {
        let common_terms = COMMON_INCIDENT_WORDS.iter().map(|w| stem(w)).collect();
        let mut index = KnowledgeIndex { common_terms, ..KnowledgeIndex::default() };
        for document in documents {
            for text in passages_of(&document.text) {
                let terms = search_terms(&text);
                let mut term_counts: HashMap<String, u32> = HashMap::new();
                for term in &terms {
                    *term_counts.entry(term.clone()).or_default() += 1;
                }
                for term in term_counts.keys() {
                    *index.document_frequency.entry(term.clone()).or_default() += 1;
                }
                index.passages.push(IndexedPassage { document: document.name.clone(), text, term_counts, length: terms.len() });
            }
        }
        let total: usize = index.passages.iter().map(|p| p.length).sum();
        index.average_length = total as f64 / index.passages.len().max(1) as f64;
        index
    }

    /// The best `limit` passages that match the query at all, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Passage> {
        let known_compounds = compound_terms(query).into_iter().filter(|c| self.document_frequency.contains_key(c));
        let mut query_terms: Vec<String> = word_terms(query).into_iter().chain(known_compounds).collect();
        query_terms.sort();
        query_terms.dedup();
        let mut scored: Vec<Passage> = self
            .passages
            .iter()
            .map(|p| Passage { document: p.document.clone(), text: p.text.clone(), score: self.score(&query_terms, p) })
            .filter(|p| p.score > 0.0)
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score));
        scored.truncate(limit);
        scored
    }

    /// The share of the query's weight that the passage covers: each query term weighs its inverse document
    /// frequency (rare words say more), and counts in proportion to how strongly the passage holds it (BM25's
    /// saturating term frequency, normalized by length). 0 when nothing matches, near 1 when every distinctive query
    /// word is there.
    fn score(&self, query_terms: &[String], passage: &IndexedPassage) -> f64 {
        let total_passages = self.passages.len() as f64;
        let idf = |df: usize| (1.0 + (total_passages - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
        let unknown_weight = idf(1) * UNKNOWN_TERM_WEIGHT;
        let length_factor = 1.0 - LENGTH_NORMALIZATION + LENGTH_NORMALIZATION * passage.length as f64 / self.average_length.max(1.0);
        let (mut matched, mut possible) = (0.0, 0.0);
        for term in query_terms {
            let rarity = self.document_frequency.get(term).map_or(unknown_weight, |df| idf(*df));
            let weight = if self.common_terms.contains(term) { rarity * COMMON_WORD_WEIGHT } else { rarity };
            possible += weight;
            if let Some(&count) = passage.term_counts.get(term) {
                let count = f64::from(count);
                matched += weight * count / (count + SATURATION * length_factor);
            }
        }
        if possible == 0.0 { 0.0 } else { (matched / possible).clamp(0.0, 1.0) }
    }
}

/// Cuts a Markdown document into passages: one per section (heading), long sections further at blank lines. Each
/// passage starts with the document title and its section heading, so it reads on its own.
fn passages_of(markdown: &str) -> Vec<String> {
    let mut title: Option<&str> = None;
    let mut sections: Vec<(Option<&str>, Vec<&str>)> = vec![(None, Vec::new())];
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            if title.is_none() && trimmed.starts_with("# ") && sections.iter().all(|(_, lines)| lines.iter().all(|l| l.trim().is_empty())) {
                title = Some(trimmed);
            } else {
                sections.push((Some(trimmed), Vec::new()));
            }
        } else if let Some((_, lines)) = sections.last_mut() {
            lines.push(line);
        }
    }
    let mut passages = Vec::new();
    for (heading, lines) in sections {
        let header: Vec<&str> = title.into_iter().chain(heading).collect();
        let body = lines.join("\n");
        let mut current = String::new();
        for paragraph in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            if !current.is_empty() && current.len() + paragraph.len() > MAX_PASSAGE_CHARS {
                passages.push(with_header(&header, &current));
                current.clear();
            }
            if !current.is_empty() {
                current.push_str("\n\n");
            }
            current.push_str(paragraph);
        }
        if !current.is_empty() {
            passages.push(with_header(&header, &current));
        }
    }
    if passages.is_empty() {
        // A document that is only a title still says something.
        passages.extend(title.map(str::to_string));
    }
    passages
}

fn with_header(header: &[&str], body: &str) -> String {
    let mut text = header.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(body);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, text: &str) -> KnowledgeDoc {
        KnowledgeDoc { name: name.into(), text: text.into() }
    }

    #[test]
    fn passages_follow_headings_and_carry_the_title() {
        let passages = passages_of("# Runbook: x\n\nIntro line.\n\n## Symptoms\n- a\n- b\n\n## Fix\nDo y.\n");
        assert_eq!(passages, ["# Runbook: x\nIntro line.", "# Runbook: x\n## Symptoms\n- a\n- b", "# Runbook: x\n## Fix\nDo y."]);
        let long = format!("# T\n\n{}\n\n{}", "a ".repeat(400), "b ".repeat(400));
        assert_eq!(passages_of(&long).len(), 2);
        assert_eq!(passages_of("# Only a title"), ["# Only a title"]);
    }

    #[test]
    fn scores_mean_something() {
        let index = KnowledgeIndex::build(&[
            doc("throttle.md", "# DynamoDB throttling\n\nProvisionedThroughputExceededException on the carts table: raise capacity."),
            doc("deploy.md", "# Rolling back a deploy\n\nPoint the live alias back to the previous version."),
            doc("certs.md", "# Certificates\n\nRenew before expiry."),
        ]);
        let strong = index.search("ProvisionedThroughputExceededException carts table throttling", 3);
        assert_eq!(strong[0].document, "throttle.md");
        assert!(strong[0].score > 0.6, "{strong:?}");
        assert!(strong.iter().skip(1).all(|p| p.score < 0.3), "{strong:?}");
        let partial = index.search("rollback previous version of orders-api after a bad deploy 5XX", 3);
        assert_eq!(partial[0].document, "deploy.md");
        assert!(partial[0].score > 0.3 && partial[0].score < strong[0].score, "{partial:?}");
        assert!(index.search("zookeeper", 3).is_empty());
        assert_eq!(index.search("renew certificates expiry", 1).len(), 1);
    }
}
