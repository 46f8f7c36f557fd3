//! Size budgets that keep the run state far under the Step Functions 256 KiB payload limit by construction.
//!
//! A digest is at most `DIGEST_TEXT_CHARS` characters of text (about 1,000 tokens at ~4 characters a token) and
//! `DIGEST_FINDINGS` findings of at most `FINDING_EXCERPT_CHARS` characters of excerpt each, whatever the size of the
//! raw output, which lives in the blob store. With at most `MAX_OBSERVATIONS` observations in the notebook, the
//! state stays under `STATE_SOFT_LIMIT_BYTES`; `ops::observe` checks it and compacts older observations if not.

use crate::contract::{Digest, Finding};

/// Step Functions' hard limit on a state's input or output.
pub const STATE_HARD_LIMIT_BYTES: usize = 256 * 1024;
/// What we allow ourselves: a wide margin under the hard limit.
pub const STATE_SOFT_LIMIT_BYTES: usize = 160 * 1024;
/// Characters of text per digest (~1,000 tokens).
pub const DIGEST_TEXT_CHARS: usize = 4_000;
/// Findings per digest.
pub const DIGEST_FINDINGS: usize = 12;
/// Characters per finding excerpt and summary.
pub const FINDING_EXCERPT_CHARS: usize = 600;
pub const FINDING_SUMMARY_CHARS: usize = 240;
/// Observations kept in the notebook; older ones are compacted to their findings.
pub const MAX_OBSERVATIONS: usize = 40;
/// Tool calls a brain may ask for in one cycle.
pub const MAX_CALLS_PER_CYCLE: usize = 8;
/// Hard ceiling on `maxAgentCycles`, whatever the configuration says.
pub const MAX_AGENT_CYCLES_CEILING: u32 = 20;
/// Default `maxAgentCycles`.
pub const DEFAULT_AGENT_CYCLES: u32 = 5;

/// Cut `text` to at most `max` characters (not bytes), marking the cut with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Enforce the digest budget: strongest findings first, clipped text and excerpts.
pub fn bound_digest(mut digest: Digest) -> Digest {
    digest.text = clip(&digest.text, DIGEST_TEXT_CHARS);
    digest.findings.sort_by(|a, b| b.score.total_cmp(&a.score));
    digest.findings.truncate(DIGEST_FINDINGS);
    for finding in &mut digest.findings {
        bound_finding(finding);
    }
    digest
}

fn bound_finding(finding: &mut Finding) {
    finding.excerpt = clip(&finding.excerpt, FINDING_EXCERPT_CHARS);
    finding.summary = clip(&finding.summary, FINDING_SUMMARY_CHARS);
    for value in finding.attrs.values_mut() {
        *value = clip(value, FINDING_SUMMARY_CHARS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{EvidenceSource, FindingKind};

    fn finding(score: f64, excerpt_len: usize) -> Finding {
        Finding {
            source: EvidenceSource::Logs,
            kind: FindingKind::NewLogPattern,
            component: "c".into(),
            time: None,
            score,
            summary: "s".repeat(1000),
            excerpt: "x".repeat(excerpt_len),
            reference: "r".into(),
            attrs: Default::default(),
        }
    }

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("日本語テキスト", 3), "日本…");
        assert_eq!(clip("short", 10), "short");
    }

    #[test]
    fn bound_digest_keeps_the_strongest_findings_within_budget() {
        let digest = Digest {
            text: "t".repeat(DIGEST_TEXT_CHARS * 3),
            findings: (0..50).map(|i| finding(f64::from(i), 5000)).collect(),
            records: 1,
            truncated: false,
        };
        let bounded = bound_digest(digest);
        assert_eq!(bounded.text.chars().count(), DIGEST_TEXT_CHARS);
        assert_eq!(bounded.findings.len(), DIGEST_FINDINGS);
        assert_eq!(bounded.findings[0].score, 49.0);
        assert!(bounded.findings.iter().all(|f| f.excerpt.chars().count() <= FINDING_EXCERPT_CHARS));
        assert!(bounded.findings.iter().all(|f| f.summary.chars().count() <= FINDING_SUMMARY_CHARS));
    }
}
