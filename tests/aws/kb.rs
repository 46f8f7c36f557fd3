//! The Bedrock knowledge-base adapter over aws-smithy-mocks (see mod.rs; the emulator has no Bedrock Agent
//! Runtime): the request it sends, how results become passages, which failures the state machine retries.

use std::sync::{Arc, Mutex};

use aws_sdk_bedrockagentruntime::Client;
use aws_sdk_bedrockagentruntime::config::retry::RetryConfig;
use aws_sdk_bedrockagentruntime::operation::retrieve::RetrieveOutput;
use aws_sdk_bedrockagentruntime::types::{
    KnowledgeBaseRetrievalResult, RetrievalResultConfluenceLocation, RetrievalResultContent,
    RetrievalResultContentColumn, RetrievalResultCustomDocumentLocation, RetrievalResultLocation,
    RetrievalResultLocationType, RetrievalResultS3Location, RetrievalResultSharePointLocation,
    RetrievalResultWebLocation,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use shared::edges::aws::kb::{BedrockKnowledgeBase, DEFAULT_MIN_SCORE, MAX_QUERY_CHARS};
use shared::error::Fa2Error;
use shared::ports::{KnowledgeBase, Passage};

/// A client answering from `rules`, without the SDK's own retries (a test of one answer sees that answer).
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, rules, |c| c.retry_config(RetryConfig::disabled()))
}

fn result(text: &str, location: Option<RetrievalResultLocation>, score: Option<f64>) -> KnowledgeBaseRetrievalResult {
    KnowledgeBaseRetrievalResult::builder()
        .content(RetrievalResultContent::builder().text(text).build())
        .set_location(location)
        .set_score(score)
        .build()
}

fn location(
    kind: RetrievalResultLocationType,
) -> aws_sdk_bedrockagentruntime::types::builders::RetrievalResultLocationBuilder {
    RetrievalResultLocation::builder().r#type(kind)
}

fn answer(results: Vec<KnowledgeBaseRetrievalResult>) -> RetrieveOutput {
    RetrieveOutput::builder().set_retrieval_results(Some(results)).build().unwrap()
}

#[tokio::test]
async fn results_become_passages_named_by_their_location_and_weak_ones_are_dropped() {
    let s3 = location(RetrievalResultLocationType::S3)
        .s3_location(RetrievalResultS3Location::builder().uri("s3://runbooks/ddb-throttling.md").build())
        .build()
        .unwrap();
    let web = location(RetrievalResultLocationType::Web)
        .web_location(RetrievalResultWebLocation::builder().url("https://wiki.example.com/orders").build())
        .build()
        .unwrap();
    let confluence = location(RetrievalResultLocationType::Confluence)
        .confluence_location(
            RetrievalResultConfluenceLocation::builder().url("https://example.atlassian.net/pm-12").build(),
        )
        .build()
        .unwrap();
    let sharepoint = location(RetrievalResultLocationType::Sharepoint)
        .share_point_location(
            RetrievalResultSharePointLocation::builder().url("https://example.sharepoint.com/rb").build(),
        )
        .build()
        .unwrap();
    let custom = location(RetrievalResultLocationType::Custom)
        .custom_document_location(RetrievalResultCustomDocumentLocation::builder().id("doc-42").build())
        .build()
        .unwrap();
    let sql = location(RetrievalResultLocationType::Sql).build().unwrap();
    let row = KnowledgeBaseRetrievalResult::builder()
        .content(
            RetrievalResultContent::builder()
                .text("")
                .row(RetrievalResultContentColumn::builder().column_name("service").column_value("orders").build())
                .row(RetrievalResultContentColumn::builder().column_name("owner").column_value("team-a").build())
                .build(),
        )
        .location(sql)
        .score(0.5)
        .build();
    let retrieve = mock!(Client::retrieve).then_output(move || {
        answer(vec![
            result("Raise the table's write capacity.", Some(s3.clone()), Some(1.7)),
            result("Orders service overview.", Some(web.clone()), Some(0.9)),
            result("Postmortem PM-12.", Some(confluence.clone()), Some(0.8)),
            result("Runbook on SharePoint.", Some(sharepoint.clone()), Some(0.7)),
            result("Custom source.", Some(custom.clone()), Some(0.6)),
            row.clone(),
            result("Nowhere in particular.", None, Some(0.45)),
            result("Barely related.", None, Some(DEFAULT_MIN_SCORE - 0.01)),
            result("Unscored.", None, None),
            result("   ", None, Some(0.9)),
        ])
    });
    let kb = BedrockKnowledgeBase::new(client(&[&retrieve]), "KB12345678");

    let passages = kb.retrieve("DynamoDB throttling on orders", 10).await.unwrap();

    let found: Vec<(&str, &str, f64)> =
        passages.iter().map(|p| (p.document.as_str(), p.text.as_str(), p.score)).collect();
    assert_eq!(
        found,
        [
            ("s3://runbooks/ddb-throttling.md", "Raise the table's write capacity.", 1.0),
            ("https://wiki.example.com/orders", "Orders service overview.", 0.9),
            ("https://example.atlassian.net/pm-12", "Postmortem PM-12.", 0.8),
            ("https://example.sharepoint.com/rb", "Runbook on SharePoint.", 0.7),
            ("doc-42", "Custom source.", 0.6),
            ("sql", "service: orders; owner: team-a", 0.5),
            ("unknown", "Nowhere in particular.", 0.45),
        ]
    );

    let everything = BedrockKnowledgeBase::new(client(&[&retrieve]), "KB12345678").with_min_score(0.0);
    let all = everything.retrieve("DynamoDB throttling on orders", 10).await.unwrap();
    assert_eq!(all.len(), 9, "only the empty passage is left out without a threshold");
    assert_eq!(all.last(), Some(&Passage { document: "unknown".into(), text: "Unscored.".into(), score: 0.0 }));
}

#[tokio::test]
async fn the_request_names_the_knowledge_base_and_keeps_the_query_and_count_in_bounds() {
    let asked: Arc<Mutex<Vec<(String, String, i32)>>> = Arc::default();
    let recorded = asked.clone();
    let retrieve = mock!(Client::retrieve).then_compute_output(move |input| {
        let text = input.retrieval_query().map(|q| q.text().to_string()).unwrap_or_default();
        let count = input
            .retrieval_configuration()
            .and_then(|c| c.vector_search_configuration())
            .map(|v| v.number_of_results())
            .unwrap_or_default();
        recorded.lock().unwrap().push((input.knowledge_base_id().unwrap_or_default().to_string(), text, count));
        answer(Vec::new())
    });
    let kb = BedrockKnowledgeBase::new(client(&[&retrieve]), "KB12345678");

    let long_query = "é".repeat(MAX_QUERY_CHARS + 50);
    assert!(kb.retrieve(&long_query, 500).await.unwrap().is_empty());
    assert!(kb.retrieve("  lambda timeout after deploy  ", 3).await.unwrap().is_empty());
    assert!(kb.retrieve("   ", 3).await.unwrap().is_empty());
    assert!(kb.retrieve("anything", 0).await.unwrap().is_empty());

    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 2, "an empty query or no results wanted asks nothing");
    assert_eq!(asked[0].0, "KB12345678");
    assert_eq!(asked[0].1, "é".repeat(MAX_QUERY_CHARS));
    assert_eq!(asked[0].2, 100, "Retrieve returns at most 100 results");
    assert_eq!((asked[1].1.as_str(), asked[1].2), ("lambda timeout after deploy", 3));
}

fn failing(status: u16, code: &str) -> Rule {
    let body = serde_json::json!({"__type": code, "message": "from the mock"}).to_string();
    mock!(Client::retrieve).sequence().http_status(status, Some(body)).repeatedly().build()
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_and_the_rest_is_feedback() {
    let outcome = |rule: Rule| async move {
        BedrockKnowledgeBase::new(client(&[&rule]), "KB12345678").retrieve("orders errors", 5).await.unwrap_err()
    };
    let throttled = outcome(failing(429, "ThrottlingException")).await;
    assert!(matches!(&throttled, Fa2Error::Throttled(m) if m.contains("Bedrock Retrieve")), "{throttled:?}");
    let server = outcome(failing(500, "InternalServerException")).await;
    assert!(matches!(server, Fa2Error::Transient(_)), "{server:?}");
    let bad_gateway = outcome(failing(502, "BadGatewayException")).await;
    assert!(matches!(bad_gateway, Fa2Error::Transient(_)), "{bad_gateway:?}");
    let denied = outcome(failing(403, "AccessDeniedException")).await;
    assert!(matches!(&denied, Fa2Error::Upstream(m) if m.contains("permission")), "{denied:?}");
    let missing = outcome(failing(404, "ResourceNotFoundException")).await;
    assert!(matches!(&missing, Fa2Error::Upstream(m) if m.contains("ResourceNotFoundException")), "{missing:?}");
}
