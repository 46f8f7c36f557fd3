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
        // An S3 URL names its bucket.
        let token = token.strip_prefix("s3://").map_or(token, |rest| rest.split('/').next().unwrap_or(rest));
        if (looks_like_resource(token) || looks_like_parameter_path(token)) && seen.insert(token.to_ascii_lowercase()) {
            names.push(token.to_string());
        }
    }
    names
}

/// Whether a token is a hierarchy of settings (SSM parameters under `/services/billing/`): a path of two or more
/// named levels that is not an AWS path (`/aws/lambda/…` log groups).
fn looks_like_parameter_path(token: &str) -> bool {
    let Some(rest) = token.strip_prefix('/') else { return false };
    let levels: Vec<&str> = rest.split('/').filter(|level| !level.is_empty()).collect();
    levels.len() >= 2
        && !token.starts_with("/aws/")
        && levels.iter().all(|level| level.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        && levels.iter().any(|level| level.chars().any(|c| c.is_ascii_alphabetic()))
}

/// Whether a token looks like a resource name: hyphenated, with underscores, or CamelCase; not a plain word, a
/// region, a runtime or a product name.
pub fn looks_like_resource(token: &str) -> bool {
    if token.len() < 3
        || token.len() > 200
        || token.contains("://")
        || !token.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return false;
    }
    if !token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')) {
        return false;
    }
    if is_region(token)
        || is_runtime(token)
        || PRODUCT_NAMES.iter().any(|p| p.eq_ignore_ascii_case(token))
        || token.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return false;
    }
    let separated = token.contains(['-', '_']) && token.chars().any(|c| c.is_ascii_alphabetic());
    let camel = token.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && token.chars().skip(1).any(|c| c.is_ascii_uppercase())
        && token.chars().any(|c| c.is_ascii_lowercase());
    separated || camel || lower_camel(token)
}

/// A lowerCamelCase name (`settlementEvents`, `orderEventsTopic`): a word of three or more lower-case letters, then
/// capitalised words; not a brand like `iPhone` or `eBay`.
fn lower_camel(token: &str) -> bool {
    let lead = token.chars().take_while(char::is_ascii_lowercase).count();
    token.len() >= 6
        && lead >= 3
        && lead < token.len()
        && token.chars().all(|c| c.is_ascii_alphanumeric())
        && token[lead..].starts_with(|c: char| c.is_ascii_uppercase())
}

/// CamelCase words that name AWS services and common products, not resources.
const PRODUCT_NAMES: [&str; 24] = [
    "DynamoDB",
    "CloudWatch",
    "CloudTrail",
    "CloudFormation",
    "CloudFront",
    "EventBridge",
    "ElastiCache",
    "OpenSearch",
    "ElasticSearch",
    "SageMaker",
    "StepFunctions",
    "AppSync",
    "CodeDeploy",
    "CodePipeline",
    "CodeBuild",
    "GitHub",
    "GitLab",
    "JavaScript",
    "TypeScript",
    "PostgreSQL",
    "MySQL",
    "MongoDB",
    "NodeJS",
    "DocumentDB",
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
    RUNTIMES
        .iter()
        .any(|r| lower.starts_with(r) && lower[r.len()..].chars().all(|c| c.is_ascii_digit() || c == '.' || c == 'x'))
}

/// The distinct host names some texts name (a request's values, a pattern's example lines), sorted, at most
/// `MAX_HOSTS`: what a finding keeps in `attr::HOSTS`.
pub fn hosts_named_in<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    const MAX_HOSTS: usize = 8;
    let mut hosts: Vec<String> = texts.into_iter().flat_map(hostnames_in_text).collect();
    hosts.sort();
    hosts.dedup();
    hosts.truncate(MAX_HOSTS);
    hosts
}

/// Host names in `text` (`api.fxdesk.org`, `db.internal.example`, the host of a URL), in order of first appearance:
/// at least two dot-separated labels, the last a top-level domain (a country's two letters, a common generic one, or
/// a private one like `internal`), not a file name, a module path (`app.routes`), a path's segment or an e-mail
/// address's domain.
pub fn hostnames_in_text(text: &str) -> Vec<String> {
    const FILE_EXTENSIONS: [&str; 24] = [
        "js", "ts", "py", "java", "rb", "go", "rs", "json", "log", "txt", "md", "html", "zip", "jar", "exe", "class",
        "gz", "tar", "csv", "parquet", "xml", "yaml", "yml", "pdf",
    ];
    const GENERIC_TLDS: [&str; 30] = [
        "com",
        "net",
        "org",
        "io",
        "ai",
        "co",
        "dev",
        "app",
        "cloud",
        "info",
        "biz",
        "tech",
        "online",
        "site",
        "xyz",
        "services",
        "systems",
        "network",
        "global",
        "example",
        "internal",
        "local",
        "localhost",
        "corp",
        // Private hosted zones' own suffixes.
        "private",
        "intra",
        "lan",
        "svc",
        "test",
        "aws",
    ];
    let mut hosts: Vec<String> = Vec::new();
    for raw in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')) {
        // `raw` is a slice of `text`: its offset there says what came before it.
        let before = &text[..raw.as_ptr() as usize - text.as_ptr() as usize];
        // A segment of a path (`s3://bucket/day/part-1.json.gz`, `/var/task/app.py`) is no host; a URL's host is.
        // Nor is an e-mail address's domain (`dmitri@northwind.example` made a change, he is not called).
        if before.ends_with('/') && !before.ends_with("://") || before.ends_with('@') {
            continue;
        }
        let raw = raw.trim_matches(|c: char| c == '.' || c == '-');
        // Mixed case marks code (`TLSSocket.emit`, `Object.keys`): host names are written in one case.
        if raw.chars().any(|c| c.is_ascii_uppercase()) && raw.chars().any(|c| c.is_ascii_lowercase()) {
            continue;
        }
        let host = raw.to_ascii_lowercase();
        let labels: Vec<&str> = host.split('.').collect();
        let Some(last) = labels.last() else { continue };
        let plausible = labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty() && l.len() <= 63)
            && (last.len() == 2 || GENERIC_TLDS.contains(last))
            && last.chars().all(|c| c.is_ascii_lowercase())
            && !labels[1..].iter().any(|l| FILE_EXTENSIONS.contains(l))
            && labels[0].chars().any(|c| c.is_ascii_alphabetic())
            // A one-letter first label is a table alias in SQL (`select i.id`), not a host.
            && labels[0].len() > 1
            && !CODE_NAMESPACES.contains(&labels[0])
            && !is_ec2_private_name(labels[0]);
        if plausible && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// First labels of dotted names that are code (Java/Kotlin packages are reversed domains: `java.net.http`,
/// `com.amazonaws.services`), not hosts.
const CODE_NAMESPACES: [&str; 12] =
    ["java", "javax", "jdk", "sun", "kotlin", "kotlinx", "scala", "android", "com", "org", "net", "io"];

/// `ip-10-0-17-142`: the private DNS name of an EC2 instance, i.e. the machine that wrote the line, not a remote.
fn is_ec2_private_name(label: &str) -> bool {
    label.strip_prefix("ip-").is_some_and(|rest| {
        let parts: Vec<&str> = rest.split('-').collect();
        parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    })
}

/// A database's, cache's or search cluster's own log (`/aws/rds/instance/orders-db/postgresql`,
/// `/aws/elasticache/sessions/engine-log`): what it says of itself, as opposed to what its clients relay.
pub fn is_server_log(group: &str) -> bool {
    let segments: Vec<String> = group.split('/').filter(|s| !s.is_empty()).map(str::to_ascii_lowercase).collect();
    let managed = matches!(
        segments.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["aws", "rds" | "docdb" | "neptune" | "elasticache" | "opensearchservice" | "memorydb" | "msk", ..]
    );
    managed || segments.last().is_some_and(|last| SERVER_LOG_KINDS.contains(&last.as_str()))
}

/// A server's own log kinds, named under the server (`/aws/elasticache/sessions/engine-log`, `/mysql/orders/slowquery`).
const SERVER_LOG_KINDS: [&str; 6] = ["engine-log", "slow-log", "slowlog", "slowquery", "audit", "general"];

/// The component a log group belongs to: `/aws/lambda/orders-api` → `orders-api`, `/ecs/checkout` → `checkout`,
/// `/aws/apigateway/orders-api-access` → `orders-api`, `API-Gateway-Execution-Logs_abc123/prod` → the API id.
pub fn component_of_log_group(group: &str) -> String {
    let trimmed = group.trim_end_matches('/');
    if let Some(rest) =
        trimmed.strip_prefix("API-Gateway-Execution-Logs_").or_else(|| trimmed.strip_prefix("API-Gateway-Access-Logs_"))
    {
        return rest.split('/').next().unwrap_or(rest).to_string();
    }
    // Database and cluster logs are named after the log type under the resource:
    // `/aws/rds/instance/orders-db/postgresql`, `/aws/docdb/cluster/orders-docs/audit`, `/aws/eks/shop/cluster`.
    let segments: Vec<&str> = trimmed.split('/').filter(|s| !s.is_empty()).collect();
    if let ["aws", "rds" | "docdb" | "neptune", "instance" | "cluster", name, ..] = segments.as_slice() {
        return (*name).to_string();
    }
    if let ["aws", "eks" | "elasticbeanstalk" | "msk", name, _, ..] = segments.as_slice() {
        return (*name).to_string();
    }
    // SNS delivery status logs: `sns/<region>/<account>/<topic>`, failures under `…/Failure`.
    if let ["sns", _, _, topic, ..] = segments.as_slice() {
        return (*topic).to_string();
    }
    // A server's own log kinds under its name.
    if let [.., name, last] = segments.as_slice()
        && SERVER_LOG_KINDS.contains(&last.to_ascii_lowercase().as_str())
    {
        return (*name).to_string();
    }
    // A stream kind under a service's path names nothing (`/aws-glue/jobs/error`, `/app/checkout/stdout`): the
    // path says whose logs they are.
    const STREAM_KINDS: [&str; 7] = ["error", "errors", "output", "stdout", "stderr", "logs-v2", "application"];
    if let [.., parent, last] = segments.as_slice()
        && STREAM_KINDS.contains(&last.to_ascii_lowercase().as_str())
    {
        let path = segments.iter().rev().skip(1).find(|s| !matches!(**s, "jobs" | "job" | "logs")).unwrap_or(parent);
        return format!("{path}/{last}");
    }
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    // `orders-api-access`, and a state machine's `/aws/vendedlogs/states/product-import-Logs`.
    let last = ["-access", "-access-logs", "-Logs", "-logs"]
        .iter()
        .find_map(|suffix| last.strip_suffix(suffix).filter(|name| !name.is_empty()))
        .unwrap_or(last);
    last.to_string()
}

/// The scoring spec's component match: case-insensitive, and either name contains the other as a whole word.
///
/// A whole word is an occurrence not glued to further letters or digits: at each end of the occurrence, the
/// character outside and the character inside are not both alphanumeric. So hyphens, underscores, slashes, dots,
/// colons and spaces separate words (`orders` matches `orders-table` and `arn:aws:dynamodb:...:table/orders`), but
/// `orders` does not match `preorders` or `ordersTable`. An empty name matches nothing.
pub fn same_resource(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_lowercase(), b.trim().to_lowercase());
    !a.is_empty() && !b.is_empty() && (contains_whole_word(&a, &b) || contains_whole_word(&b, &a))
}

/// Whether a metric's dimension value is the resource `name`: the same, or the name wrapped the way AWS writes it
/// in dimensions: a load balancer or target group (`app/NAME/50dc6c495c0c9188`), a cache node (`NAME-001`,
/// `NAME-0001-002`), a database cluster's instance (`NAME-instance-1`, `NAME-reader`).
pub fn dimension_names(value: &str, name: &str) -> bool {
    const MEMBER_WORDS: [&str; 6] = ["instance", "node", "writer", "reader", "replica", "shard"];
    if value.eq_ignore_ascii_case(name) || value.split('/').any(|segment| segment.eq_ignore_ascii_case(name)) {
        return true;
    }
    let (value, name) = (value.to_ascii_lowercase(), name.to_ascii_lowercase());
    let Some(member) = value.strip_prefix(&name).and_then(|rest| rest.strip_prefix('-')) else { return false };
    let parts: Vec<&str> = member.split('-').collect();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    match parts.first() {
        Some(word) if MEMBER_WORDS.contains(word) => parts[1..].iter().all(|part| digits(part)),
        _ => parts.iter().all(|part| part.len() >= 3 && digits(part)),
    }
}

/// Whether a metric's dimension (`key`, `value`) names the resource `name`, as `dimension_names` says, or as an
/// Amazon MQ broker's instances are written in its `Broker` dimension: `NAME-1`, `NAME-2` (active and standby).
pub fn metric_dimension_names(key: &str, value: &str, name: &str) -> bool {
    let broker_instance = || {
        let rest = value.get(name.len()..).filter(|_| value[..name.len()].eq_ignore_ascii_case(name));
        key == "Broker" && rest.is_some_and(|rest| matches!(rest, "-1" | "-2"))
    };
    dimension_names(value, name) || broker_instance()
}

/// The resource a member is named after, as AWS names a cluster's members: a database cluster's instance
/// (`orders-db-instance-1`, `orders-db-reader`) or a cache node (`carts-cache-002`) belongs to `orders-db` or
/// `carts-cache`. None when the name is no member's.
pub fn member_group(name: &str) -> Option<&str> {
    name.match_indices('-')
        .map(|(at, _)| &name[..at])
        .find(|prefix| dimension_names(name, prefix) && !prefix.is_empty())
}

fn contains_whole_word(haystack: &str, word: &str) -> bool {
    let (Some(word_first), Some(word_last)) = (word.chars().next(), word.chars().next_back()) else { return false };
    let glued =
        |outside: Option<char>, inside: char| outside.is_some_and(char::is_alphanumeric) && inside.is_alphanumeric();
    let mut from = 0;
    // Every occurrence, overlapping ones included: an early one glued to a word must not hide a later valid one.
    while let Some(offset) = haystack[from..].find(word) {
        let start = from + offset;
        let end = start + word.len();
        let before = haystack[..start].chars().next_back();
        let after = haystack[end..].chars().next();
        if !glued(before, word_first) && !glued(after, word_last) {
            return true;
        }
        from = start + word_first.len_utf8();
    }
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn dimension_values_name_resources_as_aws_writes_them() {
        use super::{dimension_names, metric_dimension_names};
        assert!(dimension_names("orders-fn", "ORDERS-FN"));
        assert!(dimension_names("app/shop-alb/50dc6c495c0c9188", "shop-alb"));
        assert!(dimension_names("targetgroup/shop-tg/73e2d6bc24d8a067", "shop-tg"));
        assert!(dimension_names("carts-cache-001", "carts-cache"));
        assert!(dimension_names("carts-cache-0001-002", "carts-cache"));
        assert!(!dimension_names("carts-cache-dlq", "carts-cache"));
        assert!(!dimension_names("carts-cache-v2", "carts-cache"));
        assert!(!dimension_names("orders-2", "orders"), "a short number is part of a name");
        assert!(metric_dimension_names("Broker", "orders-broker-1", "orders-broker"), "a broker's instance");
        assert!(!metric_dimension_names("Queue", "orders-2", "orders"));
        assert!(!metric_dimension_names("Broker", "orders-broker-3", "orders-broker"));
        assert!(dimension_names("orders-db-instance-1", "orders-db"));
        assert!(dimension_names("orders-db-reader", "orders-db"));
        assert!(!dimension_names("orders-db-instance-x", "orders-db"));
        assert!(!dimension_names("orders-db-", "orders-db"));
        use super::member_group;
        assert_eq!(member_group("walletdb-reader-1"), Some("walletdb"));
        assert_eq!(member_group("carts-cache-0001-002"), Some("carts-cache"));
        assert_eq!(member_group("orders-db"), None);
        assert_eq!(member_group("orders-2"), None);
    }

    use super::*;

    #[test]
    fn names_in_architecture_text() {
        let text = "Clients call the accounts REST API accounts-api (API Gateway, stage prod), which invokes the \
            Lambda function accounts-api (nodejs22.x). It keeps data in the DynamoDB table OrdersTable. \
            Everything runs in sa-east-1 with Stack-Handler1A2B-XyZ, archived to s3://accounts-archive/daily/.";
        assert_eq!(
            names_in_text(text),
            vec!["accounts-api", "OrdersTable", "Stack-Handler1A2B-XyZ", "accounts-archive"]
        );
    }

    #[test]
    fn lower_camel_names_and_parameter_paths_are_names() {
        let text = "Webhooks go to the SQS queue settlementEvents; the iPhone app reads settings under \
            /services/billing/ and logs to /aws/lambda/billing-api.";
        assert_eq!(names_in_text(text), vec!["settlementEvents", "/services/billing/"], "not an AWS path");
        assert!(!looks_like_resource("eBay") && !looks_like_resource("iPhone") && !looks_like_resource("queue"));
    }

    #[test]
    fn hostnames_are_found_in_log_text() {
        let text = "ERROR call to https://api.fxdesk.org/v1/rates failed: getaddrinfo ENOTFOUND db.internal.example \
            at Object.<anonymous> (/var/task/index.js:12:3) version 1.2.3";
        assert_eq!(hostnames_in_text(text), vec!["api.fxdesk.org", "db.internal.example"]);
        assert_eq!(
            hostnames_in_text("getaddrinfo ENOTFOUND pricing.prod.shop.private"),
            vec!["pricing.prod.shop.private"]
        );
        let noise = "java.net.http.HttpTimeoutException at com.example.Handler TLSSocket.emit ip-10-0-17-142.ec2.internal \
             logger=app.routes module=billing.service s3://datalake/sessions/part-66.json.gz export-7.tar.gz \
             by dmitri@northwind.example SQL [select i.id, i.status from invoices i]";
        assert!(hostnames_in_text(noise).is_empty(), "{:?}", hostnames_in_text(noise));
    }

    #[test]
    fn log_groups_map_to_their_component() {
        assert_eq!(component_of_log_group("/aws/lambda/orders-api"), "orders-api");
        assert_eq!(component_of_log_group("/aws/apigateway/orders-api-access"), "orders-api");
        assert_eq!(component_of_log_group("/ecs/checkout"), "checkout");
        assert_eq!(component_of_log_group("sns/eu-west-1/123456789012/order-events/Failure"), "order-events");
        assert_eq!(component_of_log_group("API-Gateway-Execution-Logs_i5jnq3b216/v1"), "i5jnq3b216");
        assert_eq!(component_of_log_group("/aws/rds/cluster/orders-db/postgresql"), "orders-db");
        assert_eq!(component_of_log_group("/aws/rds/instance/shop-mysql/error"), "shop-mysql");
        assert_eq!(component_of_log_group("/aws/elasticache/sessions-cache/engine-log"), "sessions-cache");
        assert!(is_server_log("/aws/rds/instance/orders-db/postgresql") && is_server_log("/mysql/orders/slowquery"));
        assert_eq!(component_of_log_group("/aws/msk/trades-kafka/broker-logs"), "trades-kafka");
        assert!(!is_server_log("/ecs/orders-api") && !is_server_log("/aws/lambda/rds-events-notifier"));
        assert_eq!(component_of_log_group("/aws/vendedlogs/states/product-import-Logs"), "product-import");
        assert_eq!(component_of_log_group("/aws/eks/shop-cluster/cluster"), "shop-cluster");
        assert_eq!(component_of_log_group("/aws-glue/jobs/error"), "aws-glue/error", "a stream kind names nothing");
        assert_eq!(component_of_log_group("/app/checkout/stdout"), "checkout/stdout");
    }

    #[test]
    fn names_match_as_whole_words() {
        assert!(same_resource("orders-table", "Orders"));
        assert!(same_resource("subscriptions-api-role", "subscriptions-api"));
        assert!(!same_resource("ordersx", "orders"));
    }
}
