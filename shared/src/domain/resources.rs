//! Resource names: recognising them in free text (architecture description, operator's words) and deriving the
//! component a log group or metric belongs to, so every signal about one resource lands on one name.

use std::collections::BTreeSet;

/// Names in `text` that look like AWS resource names (`orders-api`, `OrdersTable`, `prd-invoices`,
/// `ReportsStack-ReportsApiHandler1A1CDB65-MV60hEkKGj13`), in order of first appearance, without duplicates.
pub fn names_in_text(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut names = Vec::new();
    for raw in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '\'' | '`')) {
        let token = raw.trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?' | '[' | ']' | '{' | '}'));
        if looks_like_resource(token) && seen.insert(token.to_ascii_lowercase()) {
            names.push(token.to_string());
        }
    }
    names
}

fn looks_like_resource(token: &str) -> bool {
    if token.len() < 3 || token.len() > 200 || token.contains("://") || !token.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return false;
    }
    if !token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')) {
        return false;
    }
    if is_region(token) || is_runtime(token) || PRODUCT_NAMES.iter().any(|p| p.eq_ignore_ascii_case(token)) || token.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') {
        return false;
    }
    let separated = token.contains(['-', '_']) && token.chars().any(|c| c.is_ascii_alphabetic());
    let camel = token.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && token.chars().skip(1).any(|c| c.is_ascii_uppercase())
        && token.chars().any(|c| c.is_ascii_lowercase());
    separated || camel
}

/// CamelCase words that name AWS services and common products, not resources.
const PRODUCT_NAMES: [&str; 24] = [
    "DynamoDB", "CloudWatch", "CloudTrail", "CloudFormation", "CloudFront", "EventBridge", "ElastiCache",
    "OpenSearch", "ElasticSearch", "SageMaker", "StepFunctions", "AppSync", "CodeDeploy", "CodePipeline",
    "CodeBuild", "GitHub", "GitLab", "JavaScript", "TypeScript", "PostgreSQL", "MySQL", "MongoDB", "NodeJS", "DocumentDB",
];

fn is_region(token: &str) -> bool {
    let parts: Vec<&str> = token.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[2].chars().all(|c| c.is_ascii_digit())
}

fn is_runtime(token: &str) -> bool {
    const RUNTIMES: [&str; 7] = ["nodejs", "python", "java", "ruby", "dotnet", "provided", "go1"];
    let lower = token.to_ascii_lowercase();
    RUNTIMES.iter().any(|r| lower.starts_with(r) && lower[r.len()..].chars().all(|c| c.is_ascii_digit() || c == '.' || c == 'x'))
}

/// The component a log group belongs to: `/aws/lambda/orders-api` → `orders-api`, `/ecs/checkout` → `checkout`,
/// `/aws/apigateway/orders-api-access` → `orders-api`, `API-Gateway-Execution-Logs_abc123/prod` → the API id.
pub fn component_of_log_group(group: &str) -> String {
    let trimmed = group.trim_end_matches('/');
    if let Some(rest) = trimmed.strip_prefix("API-Gateway-Execution-Logs_").or_else(|| trimmed.strip_prefix("API-Gateway-Access-Logs_")) {
        return rest.split('/').next().unwrap_or(rest).to_string();
    }
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    let last = last.strip_suffix("-access").or_else(|| last.strip_suffix("-access-logs")).unwrap_or(last);
    last.to_string()
}

/// Lower-case word tokens of a name (`ReportsApiHandler-x_y` → reports, api, handler, x, y), for relating names.
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            flush(&mut tokens, &mut current);
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            flush(&mut tokens, &mut current);
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    flush(&mut tokens, &mut current);
    tokens
}

fn flush(tokens: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        tokens.push(std::mem::take(current));
    }
}

/// True when two names are the same resource as the report scoring sees it: case-insensitive, one containing the
/// other as a whole word.
pub fn same_resource(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    !a.is_empty() && !b.is_empty() && (contains_word(&a, &b) || contains_word(&b, &a))
}

fn contains_word(haystack: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric();
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_architecture_text() {
        let text = "Clients call the accounts REST API accounts-api (API Gateway, stage prod), which invokes the \
            Lambda function accounts-api (nodejs22.x). It keeps data in the DynamoDB table OrdersTable. \
            Everything runs in sa-east-1 with Stack-Handler1A2B-XyZ.";
        assert_eq!(names_in_text(text), vec!["accounts-api", "OrdersTable", "Stack-Handler1A2B-XyZ"]);
    }

    #[test]
    fn log_groups_map_to_their_component() {
        assert_eq!(component_of_log_group("/aws/lambda/orders-api"), "orders-api");
        assert_eq!(component_of_log_group("/aws/apigateway/orders-api-access"), "orders-api");
        assert_eq!(component_of_log_group("/ecs/checkout"), "checkout");
        assert_eq!(component_of_log_group("API-Gateway-Execution-Logs_i5jnq3b216/v1"), "i5jnq3b216");
    }

    #[test]
    fn tokens_and_matching() {
        assert_eq!(name_tokens("ReportsApiHandler1A-x_y"), vec!["reports", "api", "handler1", "a", "x", "y"]);
        assert!(same_resource("orders-table", "Orders"));
        assert!(same_resource("subscriptions-api-role", "subscriptions-api"));
        assert!(!same_resource("ordersx", "orders"));
    }
}
