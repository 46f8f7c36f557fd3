//! Splitting resource names and free text into comparable lowercase terms, shared by knowledge search and the
//! audit analyzer's "is this change related to a resource in play" test.

use std::sync::LazyLock;

/// Words too common in prose to say anything about relevance.
const PROSE_STOPWORDS: [&str; 48] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "has", "have", "how",
    "if", "in", "into", "is", "it", "its", "no", "not", "of", "on", "or", "so", "than", "that", "the", "then", "there",
    "these", "this", "to", "up", "was", "we", "were", "what", "when", "which", "while", "who", "will", "with",
];

/// Words so common in incident talk and infrastructure names that matching them says little about relevance.
#[rustfmt::skip]
const COMMON_INCIDENT_WORDS: [&str; 39] = [
    "error", "fail", "failed", "failure", "issue", "problem", "broken", "new", "after", "before", "since", "some",
    "request", "high", "low", "increase", "spike", "start", "alarm", "all", "any", "more", "less", "see", "check",
    "use", "work", "now", "time", "minute", "api", "db", "rest", "http", "aws", "service", "exception", "warning",
    "log",
];

/// Whether a search term (stemmed, see `stem`) is one of the common incident words.
pub fn is_common_incident_word(term: &str) -> bool {
    static STEMMED: LazyLock<Vec<String>> = LazyLock::new(|| COMMON_INCIDENT_WORDS.iter().map(|w| stem(w)).collect());
    STEMMED.iter().any(|common| common == term)
}

/// Splits an identifier or a run of text into its words: on every non-alphanumeric character and at camelCase
/// boundaries (`ReportsTable` → `reports`, `table`; `HTTPServer` → `http`, `server`), lowercased.
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for segment in text.split(|c: char| !c.is_alphanumeric()).filter(|s| !s.is_empty()) {
        split_camel(segment, &mut words);
    }
    words
}

fn split_camel(segment: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = segment.chars().collect();
    let mut start = 0;
    for i in 1..chars.len() {
        let (prev, cur) = (chars[i - 1], chars[i]);
        let next_is_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
        let boundary =
            (prev.is_lowercase() && cur.is_uppercase()) || (prev.is_uppercase() && cur.is_uppercase() && next_is_lower);
        if boundary {
            out.push(chars[start..i].iter().collect::<String>().to_lowercase());
            start = i;
        }
    }
    if start < chars.len() {
        out.push(chars[start..].iter().collect::<String>().to_lowercase());
    }
}

/// A light English stemmer, applied alike to queries, documents and names, so that `orders` meets `order`,
/// `policies` meets `policy`, `denied` meets `deny`, and `throttled`, `throttling` and `throttles` meet `throttle`.
/// Words with digits or non-ASCII letters are kept as they are.
pub fn stem(word: &str) -> String {
    if !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_string();
    }
    for (suffix, replacement) in [("ies", "y"), ("ied", "y")] {
        if let Some(base) = word.strip_suffix(suffix).filter(|b| b.len() >= 2) {
            return format!("{base}{replacement}");
        }
    }
    let mut stem = word;
    if stem.len() > 3 && stem.ends_with('s') && !["ss", "us", "is"].iter().any(|end| stem.ends_with(end)) {
        stem = &stem[..stem.len() - 1];
    }
    for suffix in ["ment", "ing", "ed"] {
        if let Some(base) = stem.strip_suffix(suffix).filter(|b| b.len() >= 4) {
            return undouble(base).to_string();
        }
    }
    match stem.strip_suffix('e') {
        Some(base) if base.len() >= 4 => base.to_string(),
        _ => stem.to_string(),
    }
}

/// `stopp` → `stop`, `logg` → `log`; `roll` and `access` keep their double letter.
fn undouble(stem: &str) -> &str {
    let bytes = stem.as_bytes();
    match bytes {
        [.., a, b] if a == b && !matches!(a, b'l' | b's' | b'z') && !b"aeiou".contains(a) => &stem[..stem.len() - 1],
        _ => stem,
    }
}

/// The search terms of one token of a text (a word or an identifier between spaces or quotes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenTerms {
    /// Its words, stemmed, without prose stopwords.
    pub words: Vec<String>,
    /// A camelCase or hyphenated identifier as one more term (`accessdeniedexception`, `ordersapi`).
    pub compound: Option<String>,
}

/// The search terms of each token of a text; tokens made only of stopwords are left out.
pub fn token_terms(text: &str) -> Vec<TokenTerms> {
    let separators = |c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | ',' | ';' | '(' | ')' | '*');
    text.split(separators)
        .map(split_words)
        .map(|parts| {
            let compound = Some(parts.concat()).filter(|c| parts.len() > 1 && c.len() <= 40);
            let words = parts.iter().filter(|w| w.len() > 1 && !PROSE_STOPWORDS.contains(&w.as_str())).map(|w| stem(w));
            TokenTerms { words: words.collect(), compound }
        })
        .filter(|t| !t.words.is_empty())
        .collect()
}

/// All search terms of a text, words and compounds (see `token_terms`), so `AccessDeniedException` matches both
/// `AccessDenied` and `denied`.
pub fn search_terms(text: &str) -> Vec<String> {
    token_terms(text).into_iter().flat_map(|t| t.words.into_iter().chain(t.compound)).collect()
}

/// The meaningful words of a resource name, dropping the generated parts that carry no meaning: CloudFormation/CDK
/// hash suffixes (`ReportsTableFC66D572-mT9XvDkRQgzE`), random ids, version numbers.
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let segments: Vec<&str> = name.split(|c: char| !c.is_alphanumeric()).filter(|s| !s.is_empty()).collect();
    for (index, segment) in segments.iter().enumerate() {
        let segment = strip_logical_id_hash(segment);
        if looks_generated(segment) || (index > 0 && index + 1 == segments.len() && physical_id_suffix(segment)) {
            continue;
        }
        let mut words = Vec::new();
        split_camel(segment, &mut words);
        tokens.extend(
            words.into_iter().filter(|w| w.len() > 1 && !w.chars().all(|c| c.is_ascii_digit())).map(|w| stem(&w)),
        );
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

/// The stack a generated name starts with (`ImagesStack` of `ImagesStack-ImageServiceA21F5C26-XnGfGc3AaMtk`): it
/// names every resource of the stack, not this one.
pub fn stack_prefix(name: &str) -> Option<&str> {
    let segments: Vec<&str> = name.split(|c: char| !c.is_alphanumeric()).filter(|s| !s.is_empty()).collect();
    let generated = segments.iter().skip(1).any(|s| strip_logical_id_hash(s).len() < s.len());
    segments
        .first()
        .copied()
        .filter(|first| generated && first.len() > 5 && first.to_ascii_lowercase().ends_with("stack"))
}

/// A segment that is an id rather than a word: long, and mixing digits with letters or with erratic case
/// (`mT9XvDkRQgzE`, `a964a450da5fba98`, `0cf510ba414fb4850`).
fn looks_generated(segment: &str) -> bool {
    let length = segment.chars().count();
    if length < 8 {
        return false;
    }
    let digits = segment.chars().filter(char::is_ascii_digit).count();
    let case_flips = segment
        .chars()
        .zip(segment.chars().skip(1))
        .filter(|(a, b)| a.is_lowercase() && b.is_uppercase() || a.is_uppercase() && b.is_lowercase())
        .count();
    // CamelCase words flip case twice each (`CartsApi`); an id's case flips come with one-letter runs.
    let mut words = Vec::new();
    split_camel(segment, &mut words);
    let camel_words = words.iter().all(|w| w.len() >= 2 && w.chars().all(char::is_alphabetic));
    digits >= 2 || (case_flips * 3 > length && !camel_words)
}

/// The random suffix CloudFormation gives a physical name (`OrdersService468A0A5C-YplhlgbCX3Uj`): 12 or 13 letters
/// and digits, in both cases, with a digit among them.
fn physical_id_suffix(segment: &str) -> bool {
    (12..=13).contains(&segment.len())
        && segment.bytes().all(|b| b.is_ascii_alphanumeric())
        && segment.bytes().any(|b| b.is_ascii_digit())
        && segment.bytes().any(|b| b.is_ascii_lowercase())
        && segment.bytes().any(|b| b.is_ascii_uppercase())
}

/// CDK appends 8 upper-case hex digits to logical ids (`ReportsTableFC66D572`); strips them when a word precedes.
fn strip_logical_id_hash(segment: &str) -> &str {
    let bytes = segment.as_bytes();
    if bytes.len() > 10 {
        let (head, tail) = segment.split_at(segment.len() - 8);
        let hexlike = tail.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
        if hexlike && tail.bytes().any(|b| b.is_ascii_digit()) && head.chars().last().is_some_and(char::is_alphabetic) {
            return head;
        }
    }
    // A name cut to a length limit (an ECS task family) keeps only the start of the hash: `WorkerServiceE8A01`.
    let hex_tail = bytes.iter().rev().take_while(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(*b)).count();
    let head = &segment[..segment.len() - hex_tail];
    let cut_hash = (4..8).contains(&hex_tail) && bytes[bytes.len() - hex_tail..].iter().any(u8::is_ascii_digit);
    if cut_hash && head.len() >= 3 && head.ends_with(|c: char| c.is_ascii_lowercase()) { head } else { segment }
}

/// How many times `text` mentions `name` as a whole name (case-insensitive), not as part of a longer identifier:
/// `orders-api` is not mentioned by `orders-api-role`.
pub fn mention_count(text: &str, name: &str) -> usize {
    if name.is_empty() {
        return 0;
    }
    let haystack = text.to_lowercase();
    let needle = name.to_lowercase();
    let is_name_char = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    haystack
        .match_indices(&needle)
        .filter(|(start, _)| {
            let before_ok = haystack[..*start].chars().next_back().is_none_or(|c| !is_name_char(c));
            let after_ok = haystack[start + needle.len()..].chars().next().is_none_or(|c| !is_name_char(c));
            before_ok && after_ok
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_handles_separators_and_camel_case() {
        assert_eq!(split_words("orders-api_role"), ["orders", "api", "role"]);
        assert_eq!(split_words("AccessDeniedException"), ["access", "denied", "exception"]);
        assert_eq!(split_words("HTTPServer v2"), ["http", "server", "v2"]);
    }

    #[test]
    fn name_tokens_drop_generated_parts() {
        assert_eq!(name_tokens("ShopStack-CartTableFC66D572-mT9XvDkRQgzE"), ["cart", "shop", "stack", "tabl"]);
        assert_eq!(name_tokens("orders-api-role"), ["api", "order", "role"]);
        // An ECS task family cut to its length limit keeps the start of the hash.
        assert_eq!(name_tokens("ShopStack-CartWorkerE8A01"), ["cart", "shop", "stack", "worker"]);
        assert_eq!(name_tokens("vol-0cf510ba414fb4850"), ["vol"]);
        assert_eq!(name_tokens("billing-v2"), ["bill", "v2"]);
        assert_eq!(name_tokens("CartsApi"), ["api", "cart"], "CamelCase words are words, not an id");
        assert_eq!(name_tokens("Stack-hHvZrVbKtpzX"), ["stack"]);
        assert_eq!(name_tokens("OrdersStack-OrdersService468A0A5C-YplhlgbCX3Uj"), ["order", "servic", "stack"]);
        assert_eq!(stack_prefix("ImagesStack-ImageServiceA21F5C26-XnGfGc3AaMtk"), Some("ImagesStack"));
        assert_eq!(stack_prefix("ShopStack-orders"), None, "no generated part, no stack");
    }

    #[test]
    fn stemming_folds_inflections() {
        for (words, stemmed) in [
            (&["throttle", "throttled", "throttling", "throttles"][..], "throttl"),
            (&["deploy", "deployment", "deployments", "deployed"][..], "deploy"),
            (&["deny", "denied"][..], "deny"),
            (&["policy", "policies"][..], "policy"),
            (&["stop", "stopped"][..], "stop"),
            (&["role", "roles"][..], "role"),
            (&["access"][..], "access"),
            (&["v2", "ec2"][..], ""),
        ] {
            for word in words {
                let expected = if stemmed.is_empty() { word.to_string() } else { stemmed.to_string() };
                assert_eq!(stem(word), expected, "{word}");
            }
        }
    }

    #[test]
    fn search_terms_keep_compounds_and_stem_plurals() {
        let terms = search_terms("AccessDeniedException on the Policies");
        assert!(terms.contains(&"accessdeniedexception".to_string()));
        assert!(terms.contains(&"deny".to_string()));
        let tokens = token_terms("AccessDeniedException on orders-api");
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].compound.as_deref(), Some("accessdeniedexception"));
        assert_eq!(tokens[1].words, ["order", "api"]);
        assert!(terms.contains(&"policy".to_string()));
        assert!(!terms.contains(&"the".to_string()));
    }

    #[test]
    fn mentions_count_whole_names_only() {
        assert_eq!(mention_count("check `orders-api` first, then /aws/lambda/orders-api", "Orders-API"), 2);
        assert_eq!(mention_count("check orders-api-role first", "orders-api"), 0);
        assert_eq!(mention_count("anything", ""), 0);
    }
}
