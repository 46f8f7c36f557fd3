//! The offline knowledge base: `knowledge/*.md` cut into passages at Markdown headings, ranked for a query with
//! BM25-style term weights, turned into a 0..=1 relevance that means the same whatever the corpus and query size
//! (see `KnowledgeIndex::score`).

use std::collections::{HashMap, HashSet};

use super::KnowledgeDoc;
use crate::domain::evidence::terms::{TokenTerms, is_common_incident_word, token_terms};
use crate::ports::Passage;

/// BM25's length normalization strength and the term-frequency saturation of a match (a single occurrence in a
/// passage of average length counts 0.77 of a perfect match; repeats approach 1).
const LENGTH_NORMALIZATION: f64 = 0.75;
const SATURATION: f64 = 0.3;
/// Sections longer than this are cut at paragraph breaks, so a passage stays about one topic.
const MAX_PASSAGE_CHARS: usize = 1_200;
/// Within one query token, a word no passage has weighs this much against the rarest known word, so that a token
/// half made of unknown words is at most about half matched.
const UNKNOWN_TERM_WEIGHT: f64 = 0.5;
/// Evidence (in fully matched distinctive query tokens) at which relevance reaches 1 - 1/e: one distinctive token
/// held once scores about 0.55, two about 0.8, a common word alone about 0.2.
const EVIDENCE_SCALE: f64 = 1.0;
/// A query word found only inside a longer identifier (`version` in `CreatePolicyVersion`) counts this much.
const PART_MATCH: f64 = 0.5;
/// Words so common in incident talk (`terms::COMMON_INCIDENT_WORDS`) that a match on them says little, whatever
/// their frequency in a small corpus, keep this fraction of their weight.
const COMMON_WORD_WEIGHT: f64 = 0.3;

#[derive(Debug, Clone, Default)]
pub(super) struct KnowledgeIndex {
    passages: Vec<IndexedPassage>,
    document_frequency: HashMap<String, usize>,
    average_length: f64,
}

#[derive(Debug, Clone)]
struct IndexedPassage {
    document: String,
    text: String,
    /// Occurrences of each word standing on its own, and of each identifier as a whole (`accessdeniedexception`).
    term_counts: HashMap<String, u32>,
    /// Occurrences of each word as a part of an identifier (`version` in `CreatePolicyVersion`): weaker evidence.
    part_counts: HashMap<String, u32>,
    length: usize,
}

impl KnowledgeIndex {
    pub fn build(documents: &[KnowledgeDoc]) -> KnowledgeIndex {
        let mut index = KnowledgeIndex::default();
        for document in documents {
            for text in passages_of(&document.text) {
                let (mut term_counts, mut part_counts): (HashMap<String, u32>, HashMap<String, u32>) =
                    Default::default();
                let mut length = 0;
                for token in token_terms(&text) {
                    length += token.words.len();
                    let words_as = if token.compound.is_some() { &mut part_counts } else { &mut term_counts };
                    for word in token.words {
                        *words_as.entry(word).or_default() += 1;
                    }
                    if let Some(compound) = token.compound {
                        *term_counts.entry(compound).or_default() += 1;
                    }
                }
                let distinct: HashSet<&String> = term_counts.keys().chain(part_counts.keys()).collect();
                for term in distinct {
                    *index.document_frequency.entry(term.clone()).or_default() += 1;
                }
                index.passages.push(IndexedPassage {
                    document: document.name.clone(),
                    text,
                    term_counts,
                    part_counts,
                    length,
                });
            }
        }
        let total: usize = index.passages.iter().map(|p| p.length).sum();
        index.average_length = total as f64 / index.passages.len().max(1) as f64;
        index
    }

    /// The best `limit` passages that match the query at all, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Passage> {
        let mut concepts = token_terms(query);
        concepts.sort();
        concepts.dedup();
        let mut scored: Vec<Passage> = self
            .passages
            .iter()
            .map(|p| Passage { document: p.document.clone(), text: p.text.clone(), score: self.score(&concepts, p) })
            .filter(|p| p.score > 0.0)
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score));
        scored.truncate(limit);
        scored
    }

    /// How much a term says, 0..=1: its inverse document frequency relative to that of a word only one passage
    /// has (rare words say more), less for common incident words; `None` for a word no passage has.
    fn weight(&self, term: &str) -> Option<f64> {
        let total_passages = self.passages.len() as f64;
        let idf = |df: usize| (1.0 + (total_passages - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
        let rarity = idf(*self.document_frequency.get(term)?) / idf(1);
        Some(if is_common_incident_word(term) { rarity * COMMON_WORD_WEIGHT } else { rarity })
    }

    /// Relevance of a passage to the query. Each token of the query (a word, or an identifier such as
    /// `AccessDeniedException` or `orders-api`) is one concept, so a name of many parts counts once. A concept
    /// weighs as much as its most telling known term, and is matched by its whole compound or in proportion to the
    /// words of it the passage holds, each by BM25's saturating, length-normalized term frequency. The evidence
    /// summed over concepts maps to 0..=1 by `1 - exp(-evidence / EVIDENCE_SCALE)`: 0 when nothing matches, about
    /// 0.55 for one distinctive concept, near 1 for several. Query words no passage has add nothing and take nothing
    /// away: a query may carry names and ids no runbook mentions.
    fn score(&self, concepts: &[TokenTerms], passage: &IndexedPassage) -> f64 {
        let length_factor =
            1.0 - LENGTH_NORMALIZATION + LENGTH_NORMALIZATION * passage.length as f64 / self.average_length.max(1.0);
        let saturate = |count: u32| f64::from(count) / (f64::from(count) + SATURATION * length_factor);
        let strength = |term: &str| match passage.term_counts.get(term) {
            Some(&count) => saturate(count),
            None => passage.part_counts.get(term).map_or(0.0, |&count| PART_MATCH * saturate(count)),
        };
        let mut evidence = 0.0;
        for concept in concepts {
            let compound_weight = concept.compound.as_deref().and_then(|c| self.weight(c));
            let word_weights: Vec<Option<f64>> = concept.words.iter().map(|w| self.weight(w)).collect();
            let concept_weight = word_weights.iter().flatten().copied().chain(compound_weight).fold(0.0, f64::max);
            let shares = word_weights.iter().map(|w| w.unwrap_or(UNKNOWN_TERM_WEIGHT));
            let (held, total) = concept
                .words
                .iter()
                .zip(shares)
                .fold((0.0, 0.0), |(held, total), (word, share)| (held + share * strength(word), total + share));
            let by_words = if total > 0.0 { held / total } else { 0.0 };
            let by_compound = concept.compound.as_deref().map_or(0.0, strength);
            evidence += concept_weight * by_words.max(by_compound);
        }
        1.0 - (-evidence / EVIDENCE_SCALE).exp()
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
            if title.is_none()
                && trimmed.starts_with("# ")
                && sections.iter().all(|(_, lines)| lines.iter().all(|l| l.trim().is_empty()))
            {
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
        assert_eq!(
            passages,
            ["# Runbook: x\nIntro line.", "# Runbook: x\n## Symptoms\n- a\n- b", "# Runbook: x\n## Fix\nDo y."]
        );
        let long = format!("# T\n\n{}\n\n{}", "a ".repeat(400), "b ".repeat(400));
        assert_eq!(passages_of(&long).len(), 2);
        assert_eq!(passages_of("# Only a title"), ["# Only a title"]);
    }

    #[test]
    fn scores_mean_something() {
        let index = KnowledgeIndex::build(&[
            doc(
                "throttle.md",
                "# DynamoDB throttling\n\nProvisionedThroughputExceededException on the carts table: raise capacity.",
            ),
            doc("deploy.md", "# Rolling back a deploy\n\nPoint the live alias back to the previous version."),
            doc("certs.md", "# Certificates\n\nRenew before expiry."),
        ]);
        let strong = index.search("ProvisionedThroughputExceededException on orders-table, throttling since 09:12", 3);
        assert_eq!(strong.len(), 1, "{strong:?}");
        assert_eq!(strong[0].document, "throttle.md");
        assert!(strong[0].score > 0.8, "{strong:?}");
        let one_word = index.search("orders-api returns 5XX after a bad deploy", 3);
        assert_eq!(one_word[0].document, "deploy.md");
        assert!(one_word[0].score > 0.4 && one_word[0].score < 0.75, "{one_word:?}");
        let part_of_a_name = index.search("exceptions in orders-api", 3);
        assert!(part_of_a_name.iter().all(|p| p.score < 0.4), "{part_of_a_name:?}");
        assert!(index.search("zookeeper quorum lost", 3).is_empty());
        assert_eq!(index.search("renew certificates expiry", 1).len(), 1);
    }
}
