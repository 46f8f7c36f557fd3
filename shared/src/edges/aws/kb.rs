//! A Bedrock Knowledge Base as the `KnowledgeBase` port: `Retrieve` of passages for a query, each with where it
//! comes from and how relevant it is, weak ones dropped.
//!
//! A deployment without a knowledge base builds none of this: the run's `knowledgeBase` setting is off and the kb
//! tool says so to the brain.

use async_trait::async_trait;
use aws_sdk_bedrockagentruntime::types::{
    KnowledgeBaseQuery, KnowledgeBaseRetrievalConfiguration, KnowledgeBaseRetrievalResult,
    KnowledgeBaseVectorSearchConfiguration, RetrievalResultLocation,
};

use super::sdk_error;
use crate::error::Result;
use crate::ports::{KnowledgeBase, Passage};

/// Passages scoring under this are dropped. Bedrock's scores of unrelated passages sit lower; related ones start
/// around 0.4, where the knowledge digest begins to cite (`knowledge::MIN_RELEVANCE`), so the band between shows up
/// in the raw output as context without being cited.
pub const DEFAULT_MIN_SCORE: f64 = 0.3;
/// Queries are cut to this many characters: `Retrieve` took at most 1,000 in earlier API versions (20,000 now), and
/// some embedding models behind a knowledge base read only 512 tokens (Cohere Embed), so a longer query would be
/// cut, or rejected, further on anyway.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// `numberOfResults` is 1..=100.
const MAX_RESULTS: usize = 100;

/// One knowledge base, read through the Bedrock Agent Runtime.
#[derive(Debug, Clone)]
pub struct BedrockKnowledgeBase {
    client: aws_sdk_bedrockagentruntime::Client,
    knowledge_base_id: String,
    min_score: f64,
}

impl BedrockKnowledgeBase {
    pub fn new(client: aws_sdk_bedrockagentruntime::Client, knowledge_base_id: impl Into<String>) -> Self {
        BedrockKnowledgeBase { client, knowledge_base_id: knowledge_base_id.into(), min_score: DEFAULT_MIN_SCORE }
    }

    /// Passages scoring under `min_score` (0..=1) are dropped; the default is [`DEFAULT_MIN_SCORE`].
    pub fn with_min_score(mut self, min_score: f64) -> Self {
        self.min_score = min_score.clamp(0.0, 1.0);
        self
    }
}

#[async_trait]
impl KnowledgeBase for BedrockKnowledgeBase {
    /// One `Retrieve` page of `limit` results: Bedrock ranks them best first, so further pages (`nextToken`) could
    /// only add weaker passages than the ones asked for.
    async fn retrieve(&self, query: &str, limit: usize) -> Result<Vec<Passage>> {
        let query = clip(query.trim(), MAX_QUERY_CHARS);
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let number_of_results = limit.min(MAX_RESULTS) as i32;
        let configuration = KnowledgeBaseRetrievalConfiguration::builder()
            .vector_search_configuration(
                KnowledgeBaseVectorSearchConfiguration::builder().number_of_results(number_of_results).build(),
            )
            .build();
        let answer = self
            .client
            .retrieve()
            .knowledge_base_id(&self.knowledge_base_id)
            .retrieval_query(KnowledgeBaseQuery::builder().text(query).build())
            .retrieval_configuration(configuration)
            .send()
            .await
            .map_err(|e| sdk_error("Bedrock Retrieve", e))?;
        let passages = answer.retrieval_results().iter().filter_map(passage_of);
        Ok(passages.filter(|p| p.score >= self.min_score).take(limit).collect())
    }
}

/// A result as a passage: its text (or, from a structured store, its row), where it comes from, its score clamped
/// to 0..=1. A result without a score counts as irrelevant (0): it cannot be weighed against the others.
fn passage_of(result: &KnowledgeBaseRetrievalResult) -> Option<Passage> {
    let content = result.content()?;
    let text = if content.text().trim().is_empty() {
        let columns = content
            .row()
            .iter()
            .map(|c| format!("{}: {}", c.column_name().unwrap_or("?"), c.column_value().unwrap_or("")));
        columns.collect::<Vec<_>>().join("; ")
    } else {
        content.text().to_string()
    };
    if text.trim().is_empty() {
        return None;
    }
    let score = result.score().filter(|s| s.is_finite()).unwrap_or(0.0).clamp(0.0, 1.0);
    Some(Passage { document: document_of(result.location()), text, score })
}

/// Where a passage comes from: its S3 URI, web page, Confluence/Salesforce/SharePoint/Kendra address or custom
/// document id, or else the kind of source (`sql`, `custom`, …).
fn document_of(location: Option<&RetrievalResultLocation>) -> String {
    let Some(location) = location else { return "unknown".into() };
    let address = location
        .s3_location()
        .and_then(|l| l.uri())
        .or_else(|| location.web_location().and_then(|l| l.url()))
        .or_else(|| location.confluence_location().and_then(|l| l.url()))
        .or_else(|| location.salesforce_location().and_then(|l| l.url()))
        .or_else(|| location.share_point_location().and_then(|l| l.url()))
        .or_else(|| location.kendra_document_location().and_then(|l| l.uri()))
        .or_else(|| location.custom_document_location().and_then(|l| l.id()));
    address.map_or_else(|| location.r#type().as_str().to_lowercase(), str::to_string)
}

/// At most `max` characters of `text`, cut on a character boundary.
fn clip(text: &str, max: usize) -> &str {
    text.char_indices().nth(max).map_or(text, |(at, _)| &text[..at])
}
