//! The system's shape as far as the rules brain can know it: which resource names belong together (mentioned in
//! one sentence of the architecture description, sharing a name stem, or one being the other's role or log group),
//! and which remote hosts it talks to (named in the architecture, at the far end of a trace edge, or in telemetry).
//! A name and the id AWS knows the resource by (given in the architecture, or by its traces) are one resource.

use std::collections::BTreeSet;

use crate::domain::evidence::terms::{mention_count, name_tokens, stack_prefix, stem};
use crate::domain::resources::{hostnames_in_text, looks_like_resource, names_in_text, same_resource};

/// Resource names and which pairs are related.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    names: Vec<String>,
    links: BTreeSet<(usize, usize)>,
    /// Host names of remote systems (`api.fxdesk.org`), lower case, and whether the architecture describes them
    /// (rather than telemetry mentioning them).
    hosts: Vec<(String, bool)>,
    /// Names the architecture describes as credentials ("the API key read from the secret refunds/geonova").
    credentials: BTreeSet<usize>,
    /// Pairs of names for one resource, as (name, id): a name and the id the architecture gives it ("prod-api (id
    /// a1b2c3d4e5)"), or its traces do.
    aliases: BTreeSet<(usize, usize)>,
}

/// Words that mark a resource as a credential store, in its name or just before it in a sentence.
pub const CREDENTIAL_WORDS: [&str; 8] =
    ["key", "secret", "token", "credential", "password", "cert", "certificate", "apikey"];

/// Name tokens too generic to relate two resources on their own.
const GENERIC_TOKENS: [&str; 18] = [
    "api", "apis", "role", "table", "function", "handler", "service", "stack", "lambda", "prod", "prd", "live", "dev",
    "stage", "queue", "db", "access", "logs",
];

/// Host labels too generic to identify a remote system on their own.
const GENERIC_HOST_LABELS: [&str; 22] = [
    // Also words any log line may say (`status code`, `static assets`).
    "status",
    "docs",
    "help",
    "support",
    "static",
    "assets",
    "api",
    "www",
    "internal",
    "service",
    "services",
    "prod",
    "production",
    "staging",
    "example",
    "cluster",
    "local",
    "gateway",
    "amazonaws",
    "cloud",
    "app",
    "apps",
];

impl Topology {
    /// Builds the topology from the architecture text; names in one sentence are linked, and a sentence that goes
    /// on about the previous one's subject ("It stores data in ...", "The function runs with ...") links to it.
    pub fn from_architecture(text: &str) -> Topology {
        const CONTINUATIONS: [&str; 9] =
            ["it ", "its ", "they ", "their ", "this ", "the function ", "the service ", "the task", "the app"];
        let mut topology = Topology::default();
        let mut previous_subject: Option<String> = None;
        let mut previous_sentence = "";
        for sentence in text.split(". ") {
            let lower = sentence.trim_start().to_ascii_lowercase();
            let continues = CONTINUATIONS.iter().any(|c| lower.starts_with(c));
            let hosts = hostnames_in_text(sentence);
            hosts.iter().for_each(|h| topology.record_host(h, true));
            let mut named = names_in_text(sentence);
            for name in credentials_named_in(sentence) {
                let index = topology.intern(&name);
                topology.credentials.insert(index);
                if !named.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                    named.push(name);
                }
            }
            // "The topic fans out to …" (or "The bucket's notification …", "… consumes the queue through …") goes
            // on about the topic the previous sentence named.
            let referred = referred_back(sentence, previous_sentence);
            let continued = previous_subject.take().filter(|_| continues && referred.is_empty());
            for previous in referred.into_iter().chain(continued).rev() {
                if !named.contains(&previous) {
                    named.insert(0, previous);
                }
            }
            // "It" is what does the work: the first service or function named, else the first name.
            previous_subject = COMPUTE_KINDS
                .iter()
                .find_map(|kind| name_after_kind(sentence, kind).filter(|name| named.contains(name)))
                .or_else(|| named.first().cloned());
            previous_sentence = sentence;
            for (name, id) in ids_given_in(sentence) {
                topology.alias(&name, &id);
                named.push(id);
            }
            let names: Vec<usize> = named.iter().chain(&hosts).map(|n| topology.intern(n)).collect();
            for (i, a) in names.iter().enumerate() {
                for b in &names[i + 1..] {
                    topology.link(*a, *b);
                }
            }
        }
        topology
    }

    /// Adds a name (no-op if known) and returns its index.
    pub fn intern(&mut self, name: &str) -> usize {
        if let Some(i) = self.names.iter().position(|n| n.eq_ignore_ascii_case(name)) {
            return i;
        }
        self.names.push(name.to_string());
        self.names.len() - 1
    }

    /// Records that a name and an id are one resource ("prod-api (id a1b2c3d4e5)", or an API's id in its traces).
    pub fn alias(&mut self, name: &str, id: &str) {
        let (a, b) = (self.intern(name), self.intern(id));
        if a != b && !self.aliases.contains(&(b, a)) {
            self.aliases.insert((a, b));
        }
    }

    /// The name of the resource known by this id, when the architecture or the traces give it one.
    pub fn name_for_id(&self, id: &str) -> Option<String> {
        let index = self.names.iter().position(|n| n.eq_ignore_ascii_case(id))?;
        self.aliases.iter().find(|(_, i)| *i == index).map(|(name, _)| self.names[*name].clone())
    }

    /// Records a remote host seen in telemetry (no-op if known).
    pub fn add_host(&mut self, host: &str) {
        self.record_host(host, false);
    }

    fn record_host(&mut self, host: &str, described: bool) {
        let host = host.trim().to_ascii_lowercase();
        if !host.is_empty() && !self.hosts.iter().any(|(h, _)| *h == host) {
            self.hosts.push((host, described));
        }
    }

    /// The known remote host a text is about: one it names in full, else the one host whose identifying label
    /// (`fxdesk` in `api.fxdesk.org`) the text names as a word, hosts the architecture describes first. Labels that
    /// are part of `own_name` (the resource the text comes from) or shared by several hosts (a company domain)
    /// identify nothing.
    pub fn host_named_in(&self, text: &str, own_name: &str) -> Option<String> {
        let text = text.to_ascii_lowercase();
        if let Some((host, _)) = self.hosts.iter().find(|(h, _)| same_resource(&text, h)) {
            return Some(host.clone());
        }
        [true, false].into_iter().find_map(|described| {
            let tier: Vec<&String> = self.hosts.iter().filter(|(_, d)| *d == described).map(|(h, _)| h).collect();
            Self::host_by_label(&tier, &text, own_name)
        })
    }

    fn host_by_label(hosts: &[&String], text: &str, own_name: &str) -> Option<String> {
        let own = name_tokens(own_name);
        let labels_of = |host: &str| -> Vec<String> {
            let labels: Vec<&str> = host.split('.').collect();
            labels[..labels.len().saturating_sub(1)]
                .iter()
                .filter(|l| l.len() >= 4 && !l.chars().any(|c| c.is_ascii_digit()))
                .filter(|l| !GENERIC_HOST_LABELS.contains(l) && !own.iter().any(|t| t == *l))
                .map(|l| l.to_string())
                .collect()
        };
        let matching: Vec<&&String> = hosts
            .iter()
            .filter(|host| {
                labels_of(host).iter().any(|label| {
                    let unique = hosts.iter().filter(|other| labels_of(other).contains(label)).count() == 1;
                    unique && same_resource(text, label)
                })
            })
            .collect();
        match matching.as_slice() {
            [only] => Some((**only).clone()),
            _ => None,
        }
    }

    fn link(&mut self, a: usize, b: usize) {
        if a != b {
            self.links.insert((a.min(b), a.max(b)));
        }
    }

    /// Every known name.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether a name is a credential store: by its own words (`orders-api-key`), or because the architecture says
    /// so (`the secret refunds/geonova`).
    pub fn is_credential_store(&self, name: &str) -> bool {
        name_tokens(name).iter().any(|t| CREDENTIAL_WORDS.contains(&t.as_str()))
            || self.index(name).is_some_and(|i| self.credentials.contains(&i))
    }

    /// Whether a name is one of the resources or hosts the architecture or the findings name.
    pub fn knows(&self, name: &str) -> bool {
        self.index(name).is_some()
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| same_resource(n, name))
    }

    /// How close two resources are: 0 the same, 1 directly related, 2 related through one other, 3 unrelated.
    pub fn distance<'a>(&'a self, a: &'a str, b: &'a str) -> u32 {
        if same_resource(a, b) {
            return 0;
        }
        let (ia, ib) = (self.index(a), self.index(b));
        if let (Some(ia), Some(ib)) = (ia, ib)
            && (self.aliases.contains(&(ia, ib)) || self.aliases.contains(&(ib, ia)))
        {
            return 0;
        }
        let names_of = |name: &'a str, index: Option<usize>| {
            let aliases = index.into_iter().flat_map(|i| self.group(i).skip(1)).map(|i| self.names[i].as_str());
            std::iter::once(name).chain(aliases)
        };
        if names_of(a, ia).any(|x| names_of(b, ib).any(|y| stems_related(x, y))) {
            return 1;
        }
        let (Some(ia), Some(ib)) = (ia, ib) else { return 3 };
        if self.linked(ia, ib) {
            return 1;
        }
        let through = (0..self.names.len()).any(|k| self.linked(ia, k) && self.linked(k, ib));
        if through { 2 } else { 3 }
    }

    /// `name` is `resource`, or is named after it: it carries every word of the resource's name but the ones that
    /// say what kind of compute it is (`OrdersApiLogGroup` and `orders-api-role` are named after `orders-api`,
    /// `OrdersWorkerLogGroup` after `OrdersWorkerService`; `orders-db` and `orders-fn` are not after `orders-api`).
    pub fn named_after(&self, name: &str, resource: &str) -> bool {
        let own = system_words(resource);
        self.distance(name, resource) == 0 || !own.is_empty() && own.is_subset(&system_words(name))
    }

    /// The resource a log group (by its name) belongs to: a generated log group name
    /// (`OrdersStack-OrdersTaskDefwebLogGroup73BAC58E-XtItofBdC9H7`) says little to a reader, the service it is named
    /// after (`OrdersStack-OrdersService468A0A5C-YplhlgbCX3Uj`) does. Of the known resources it is named after, the one
    /// with the most words; none when the name is no log group's, or two resources tie.
    pub fn owner_of_log_group(&self, group: &str) -> Option<String> {
        let is_log_group = |name: &str| {
            let words = name_tokens(name);
            ["log", "group"].iter().all(|word| words.iter().any(|w| w == word))
        };
        if !is_log_group(group) {
            return None;
        }
        let mut owners: Vec<(usize, &String)> = self
            .names
            .iter()
            .filter(|name| !is_log_group(name) && !same_resource(name, group) && self.named_after(group, name))
            .map(|name| (system_words(name).len(), name))
            .filter(|(words, _)| *words > 0)
            .collect();
        owners.sort_by_key(|owner| std::cmp::Reverse(owner.0));
        match owners.as_slice() {
            [(most, owner), rest @ ..] if rest.first().is_none_or(|(next, _)| next < most) => Some((*owner).clone()),
            _ => None,
        }
    }

    /// The one known resource an AWS endpoint stands for: its first label names it, wrapped as AWS writes it
    /// (`vpc-orders-search-3kq….es.amazonaws.com` is the OpenSearch domain `orders-search`,
    /// `orders-db.c9x….rds.amazonaws.com` the database `orders-db`). None when none or several fit.
    pub fn resource_behind_endpoint(&self, host: &str) -> Option<String> {
        if !host.ends_with(".amazonaws.com") {
            return None;
        }
        let label = host.split('.').next()?;
        let fits: Vec<&String> = self
            .names
            .iter()
            .filter(|name| looks_like_resource(name) && !name.contains('.') && same_resource(label, name))
            .collect();
        match fits.as_slice() {
            [only] => Some((*only).clone()),
            _ => None,
        }
    }

    /// The known resources (not hosts) a text names as a whole name, other than `own` and what `own` is named after
    /// (a log line of `orders-api` that says `orders-api` names nothing else). A path within a named resource
    /// (`datalake/sessions/` in `datalake`) is that resource.
    pub fn resources_named_in(&self, text: &str, own: &str) -> Vec<String> {
        let named: Vec<&String> = self
            .names
            .iter()
            .filter(|name| {
                looks_like_resource(name) && !self.hosts.iter().any(|(host, _)| host.eq_ignore_ascii_case(name))
            })
            .filter(|name| mention_count(text, name) > 0)
            .filter(|name| !same_resource(name, own) && !self.named_after(own, name))
            .collect();
        let within_another = |name: &str| {
            named.iter().any(|other| name.strip_prefix(other.as_str()).is_some_and(|p| p.starts_with('/')))
        };
        named.iter().filter(|name| !within_another(name)).map(|name| (*name).clone()).collect()
    }

    /// Two names linked, directly or through the names each is an alias of.
    fn linked(&self, a: usize, b: usize) -> bool {
        let pair = |x: usize, y: usize| x == y || self.links.contains(&(x.min(y), x.max(y)));
        self.group(a).any(|x| self.group(b).any(|y| pair(x, y)))
    }

    /// A name's index, then the indices of the names it is an alias of.
    fn group(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let others = self.aliases.iter().filter_map(move |&(x, y)| match () {
            _ if x == i => Some(y),
            _ if y == i => Some(x),
            _ => None,
        });
        std::iter::once(i).chain(others)
    }
}

/// A (stemmed) name token too generic to relate names: `servic` is `service`.
fn is_generic(token: &str) -> bool {
    GENERIC_TOKENS.iter().any(|generic| stem(generic) == token)
}

/// The (stemmed) words of a name but the ones that say what kind of compute it is.
fn system_words(name: &str) -> BTreeSet<String> {
    const KIND_WORDS: [&str; 8] = ["service", "svc", "function", "fn", "handler", "lambda", "task", "container"];
    name_tokens(name).into_iter().filter(|t| !KIND_WORDS.iter().any(|k| stem(k) == *t)).collect()
}

/// The (stemmed) words of a name that say which system it belongs to.
fn distinctive_words(name: &str) -> BTreeSet<String> {
    name_tokens(name)
        .into_iter()
        // Tokens with digits are ids and hashes, not stems.
        .filter(|t| t.len() >= 3 && !is_generic(t) && !t.chars().any(|c| c.is_ascii_digit()))
        .collect()
}

/// Two names share their distinctive stem (`orders-api-role` and `orders-api`, `OrdersTable` and `orders`).
fn stems_related(a: &str, b: &str) -> bool {
    let (mut ta, mut tb) = (distinctive_words(a), distinctive_words(b));
    // Within one stack, the stack's name (`ImagesStack-` of an image service and of a search API alike) tells
    // nothing apart.
    if let (Some(stack), Some(other)) = (stack_prefix(a), stack_prefix(b))
        && stack.eq_ignore_ascii_case(other)
    {
        let shared = name_tokens(stack);
        ta.retain(|t| !shared.contains(t));
        tb.retain(|t| !shared.contains(t));
    }
    if ta.is_empty() || tb.is_empty() {
        return false;
    }
    let shared = ta.intersection(&tb).count();
    shared * 2 >= ta.len().min(tb.len()).max(1) && shared > 0 && (shared == ta.len() || shared == tb.len())
}

/// Kind words of the resources that do the work a sentence describes.
const COMPUTE_KINDS: [&str; 5] = ["service", "function", "worker", "job", "application"];

/// The resources a sentence refers back to as "the <kind>" without naming one ("The topic fans out …", "…
/// consumes the queue through …"): each the one of that kind the previous sentence named.
fn referred_back(sentence: &str, previous: &str) -> Vec<String> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let mut referred: Vec<String> = Vec::new();
    for (i, pair) in words.windows(2).enumerate().filter(|(_, pair)| pair[0].eq_ignore_ascii_case("the")) {
        let kind = pair[1].trim_end_matches(|c: char| !c.is_alphanumeric()).trim_end_matches("'s");
        let kind = kind.trim_end_matches("’s");
        let named_here = words.get(i + 2).is_some_and(|word| !names_in_text(word).is_empty());
        if let Some(name) = name_after_kind(previous, kind).filter(|name| !named_here && !referred.contains(name)) {
            referred.push(name);
        }
    }
    referred
}

/// The resource a sentence names right after a kind word ("the SNS topic orders-events" for `topic`), the last one.
fn name_after_kind(sentence: &str, kind: &str) -> Option<String> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    words
        .windows(2)
        .rev()
        .filter(|pair| pair[0].eq_ignore_ascii_case(kind))
        .find_map(|pair| names_in_text(pair[1]).into_iter().next())
}

/// The ids a sentence gives the names before them, as (name, id): "the REST API orders-api (stage v1, id
/// k3x9q2w7ab)". Calls that change a resource often name it by its id alone.
fn ids_given_in(sentence: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = sentence
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '\'' | '`'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '!' | '?')))
        .filter(|w| !w.is_empty())
        .collect();
    let looks_like_id = |w: &str| {
        w.len() >= 5
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && w.chars().any(|c| c.is_ascii_alphabetic())
    };
    let mut given = Vec::new();
    let mut last_name: Option<&str> = None;
    for (i, word) in words.iter().enumerate() {
        let is_id_word = matches!(word.trim_end_matches(':').to_ascii_lowercase().as_str(), "id" | "ids");
        if is_id_word && let (Some(name), Some(id)) = (last_name, words.get(i + 1).filter(|w| looks_like_id(w))) {
            given.push((name.to_string(), id.to_string()));
        } else if !names_in_text(word).is_empty() {
            last_name = Some(word);
        }
    }
    given
}

/// Names the sentence gives to credentials: the name right after a credential word ("the secret
/// refunds/geonova", "API key orders-api-key", "secret named prod/partner/token"). Secret and parameter names are
/// often paths, which are not resource names elsewhere.
fn credentials_named_in(sentence: &str) -> Vec<String> {
    let words: Vec<&str> = sentence
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '\'' | '`'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?')))
        .filter(|w| !w.is_empty())
        .collect();
    let is_credential_word = |w: &str| {
        let w = w.to_ascii_lowercase();
        CREDENTIAL_WORDS.contains(&w.as_str()) || w == "secrets" || w == "parameter"
    };
    let looks_named = |w: &str| {
        w.len() >= 3
            && w.contains(['/', '-', '_'])
            && w.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'))
            && w.chars().any(|c| c.is_ascii_alphabetic())
            && !w.contains("://")
    };
    (0..words.len())
        .filter(|&i| is_credential_word(words[i]))
        .filter_map(|i| words[i + 1..].iter().take(2).find(|w| looks_named(w)).map(|w| w.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_described_as_secrets_are_credential_stores() {
        let topology = Topology::from_architecture(
            "refunds-api calls geonova (https://api.geonova.net), with the API key read from the Secrets Manager \
             secret refunds/geonova. refunds-api writes to the table refunds-store.",
        );
        assert!(topology.is_credential_store("refunds/geonova"));
        assert!(topology.is_credential_store("orders-api-key"), "by its own name");
        assert!(!topology.is_credential_store("refunds-store"));
        assert!(!topology.is_credential_store("refunds-api"), "mentioned first, before any credential word");
    }

    #[test]
    fn sentences_and_stems_relate_names() {
        let topology = Topology::from_architecture(
            "Clients call the API orders-api, which invokes the function orders-fn. orders-fn keeps its data in \
             the table OrdersStore. A job, billing-sync, runs every minute.",
        );
        assert_eq!(topology.distance("orders-api", "orders-fn"), 1);
        assert_eq!(topology.distance("orders-api", "OrdersStore"), 1, "shares the stem orders");
        assert_eq!(topology.distance("orders-fn-role", "orders-fn"), 0, "one contains the other as a whole word");
        assert_eq!(topology.distance("billing-sync", "orders-api"), 3);
        assert_eq!(topology.distance("orders-fn", "ORDERS-FN"), 0);
        assert_eq!(
            topology.distance("/prod/reviews/feature-flags/tax", "prod-reviews-service"),
            1,
            "service is generic"
        );

        let topology = Topology::from_architecture(
            "The web service shop-web runs on ECS behind the load balancer shop-alb. It stores data in the database \
             catalog-db. The task runs with the role web-task-role. A job, billing-sync, runs every minute.",
        );
        assert_eq!(topology.distance("shop-web", "catalog-db"), 1, "'It' is the previous sentence's subject");
        assert_eq!(topology.distance("shop-web", "web-task-role"), 1, "so is 'The task'");
        assert_eq!(topology.distance("catalog-db", "billing-sync"), 3);

        let topology = Topology::from_architecture(
            "Clients reach the shop through the load balancer shop-alb in front of the ECS service shop-web. It reads \
             settings from the table shop-settings.",
        );
        assert_eq!(topology.distance("shop-web", "shop-settings"), 1, "'It' is the service, not the load balancer");

        let topology = Topology::from_architecture(
            "shop-web publishes events to the SNS topic order-events. The topic fans out to the queue billing-inbox.",
        );
        assert_eq!(topology.distance("order-events", "billing-inbox"), 1, "'The topic' is the one named before");
        let topology = Topology::from_architecture(
            "shop-web writes files to the S3 bucket shop-inbound. The bucket's event notification invokes shop-ocr.",
        );
        assert_eq!(topology.distance("shop-inbound", "shop-ocr"), 1, "'The bucket's' is the one named before");
        let topology = Topology::from_architecture(
            "shop-web sends jobs to the SQS queue shop-jobs. The Lambda function shop-renderer consumes the queue \
             through an event source mapping.",
        );
        assert_eq!(topology.distance("shop-jobs", "shop-renderer"), 1, "'the queue' mid-sentence too");
        let topology = Topology::from_architecture(
            "shop-web sends jobs to the SQS queue shop-jobs. The function shop-renderer reads the queue billing-jobs.",
        );
        assert!(topology.distance("shop-jobs", "shop-renderer") > 1, "a queue named anew is another one");
    }

    #[test]
    fn the_stack_two_generated_names_share_relates_nothing_but_names_them_for_others() {
        let topology = Topology::from_architecture("");
        let (images, search) = (
            "ImagesStack-ImageServiceServiceA21F5C26-XnGfGc3AaMtk",
            "ImagesStack-SearchApiService1E8A97EC-ebEimkINlzEw",
        );
        assert_eq!(topology.distance(images, search), 3);
        assert_eq!(topology.distance("WishlistsStack-HandlerFn0605DBD7-2UXq6iT879dz", "/wishlists/prod/flags/x"), 1);
    }

    #[test]
    fn log_groups_named_after_a_resource_belong_to_it() {
        let topology = Topology::from_architecture(
            "The API ShopStack-ShopApiService1A2B3C4D-YplhlgbCX3Uj runs on ECS next to the worker \
             ShopStack-ShopWorkerService5E6F7A8B-3zEkW4n9ZCOc. Both use the database shop-db.",
        );
        let worker_family = "ShopStack-ShopWorkerService5E6F";
        assert!(topology.named_after("ShopStack-ShopWorkerLogGroup0A1B2C3D-p0Q1", worker_family));
        assert!(!topology.named_after("ShopStack-ShopApiLogGroup4E5F6A7B-r2S3", worker_family));
        assert!(!topology.named_after("shop-db", worker_family));
    }

    #[test]
    fn a_generated_log_group_belongs_to_the_most_specific_resource_it_is_named_after() {
        let topology = Topology::from_architecture(
            "The API ShopStack-ShopApiService1A2B3C4D-YplhlgbCX3Uj runs on ECS behind the load balancer Shop-Shop-HEJLJHHQL9WE, \
             next to the worker ShopStack-ShopWorkerService5E6F7A8B-3zEkW4n9ZCOc. Both use the database shop-db. Logs: \
             ShopStack-ShopApiTaskDefwebLogGroup73BAC58E-XtItofBdC9H7, ShopStack-ShopWorkerTaskDefLogGroup0FCAEA88-RFn8wOlNPHGu.",
        );
        let owner = |group: &str| topology.owner_of_log_group(group);
        assert_eq!(
            owner("ShopStack-ShopApiTaskDefwebLogGroup73BAC58E-XtItofBdC9H7").as_deref(),
            Some("ShopStack-ShopApiService1A2B3C4D-YplhlgbCX3Uj")
        );
        assert_eq!(
            owner("ShopStack-ShopWorkerTaskDefLogGroup0FCAEA88-RFn8wOlNPHGu").as_deref(),
            Some("ShopStack-ShopWorkerService5E6F7A8B-3zEkW4n9ZCOc")
        );
        assert_eq!(owner("ShopStack-ShopApiService1A2B3C4D-YplhlgbCX3Uj"), None, "not a log group");
        assert_eq!(owner("BillingLogGroup1A2B-x"), None, "named after nothing known");
    }

    #[test]
    fn a_text_names_known_resources_other_than_its_own() {
        let topology = Topology::from_architecture(
            "The function orders-fn (log group /aws/lambda/orders-fn) writes to the table orders-store and calls \
             https://api.fxdesk.org.",
        );
        let named = |text: &str| topology.resources_named_in(text, "orders-fn");
        assert_eq!(named("ProvisionedThroughputExceededException on table orders-store"), ["orders-store"]);
        assert!(named("orders-fn: Rate exceeded").is_empty(), "its own name");
        assert!(named("POST https://api.fxdesk.org/v1 timed out").is_empty(), "a host is no resource");
        assert!(named("orders-store-archive is full").is_empty(), "a longer name is another resource");
        let mut topology = topology;
        topology.intern("orders-store/2026/");
        assert_eq!(
            topology.resources_named_in("SlowDown under s3://orders-store/2026/", "orders-fn"),
            ["orders-store"],
            "a path within it"
        );
        topology.intern("error");
        assert!(topology.resources_named_in("level=error throttled", "orders-fn").is_empty(), "a plain word");
    }

    #[test]
    fn an_id_the_architecture_gives_a_resource_is_that_resource() {
        let topology = Topology::from_architecture(
            "Partners call the REST API partner-api (API Gateway, stage v1, id qytoiptzxz), which proxies to the \
             function orders-fn. A job, billing-sync, runs every minute.",
        );
        assert_eq!(topology.distance("qytoiptzxz", "partner-api"), 0);
        assert_eq!(topology.distance("qytoiptzxz", "orders-fn"), 1, "named in the same sentence");
        assert_eq!(topology.distance("qytoiptzxz", "billing-sync"), 3);
        assert!(ids_given_in("the function orders-fn (id of the team)").is_empty(), "not an id");
    }

    #[test]
    fn remote_hosts_are_recognised_by_their_identifying_label() {
        let mut topology = Topology::from_architecture(
            "orders-fn calls the rate service fxdesk (https://api.fxdesk.org). billing-fn calls \
             https://ledger.internal.acme.example and https://identity.internal.acme.example.",
        );
        topology.add_host("score.riskly.ai");
        assert_eq!(topology.distance("orders-fn", "api.fxdesk.org"), 1);
        assert_eq!(topology.host_named_in("fxdesk call timed out", "orders-fn").as_deref(), Some("api.fxdesk.org"));
        assert_eq!(
            topology.host_named_in("POST https://score.riskly.ai/v1 failed", "x").as_deref(),
            Some("score.riskly.ai")
        );
        assert_eq!(
            topology.host_named_in("ledger call failed", "billing-fn").as_deref(),
            Some("ledger.internal.acme.example")
        );
        assert_eq!(topology.host_named_in("acme request failed", "billing-fn"), None, "a shared company label");
        assert_eq!(topology.host_named_in("fxdesk call timed out", "fxdesk-proxy"), None, "its own name");
        topology.add_host("status.riskly-partner.io");
        assert_eq!(topology.host_named_in("failed with status code 503", "x"), None, "a word any line says");
    }
}
