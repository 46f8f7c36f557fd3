//! Online log template mining: a Drain-style miner that turns raw log records (plain text, JSON, multi-line stack
//! traces) into stable template ids with `<*>` for the variable parts, in one pass and bounded memory.
//!
//! A record goes through three steps:
//! 1. Its text: a JSON record is reduced to its level, message and error type/message (or, with no message, its
//!    `key=value` fields); a multi-line record to its first line plus the exception type found below it.
//! 2. Its tokens: split on whitespace, variable parts masked by a hand-written scanner (numbers, hex, UUIDs, IPs and
//!    ports, timestamps, paths, URLs, e-mails, ARNs, random ids, `key=value` values); tokens already seen unmasked
//!    skip the scanner.
//! 3. Its cluster: a masked record seen before joins the cluster it joined then. Otherwise, clusters are bucketed by
//!    level, token count and leading words; the record joins the most similar cluster whose constant words all agree
//!    with it, or starts a new one. Two records that differ in a plain word (`VM Started` / `VM Paused`, `GET` /
//!    `POST`) are different events, which is how the corrected Loghub labels see them; values with digits or
//!    punctuation differ freely.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::LazyLock;

use memchr::memmem;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What a variable part of a template looks like.
pub const WILDCARD: &str = "<*>";

/// Tuning of the miner; `MinerConfig::default()` is the one generic configuration used everywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct MinerConfig {
    /// Share of a template's constant tokens a record must repeat to join it (Drain's similarity threshold).
    pub similarity: f64,
    /// Leading tokens that route a record to its candidate clusters (Drain's depth minus two).
    pub routing_tokens: usize,
    /// Clusters kept at most; beyond it the least recently used are forgotten.
    pub max_clusters: usize,
    /// Tokens of a record considered at most.
    pub max_tokens: usize,
    /// Bytes of a record's text considered at most.
    pub max_bytes: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig { similarity: 0.6, routing_tokens: 3, max_clusters: 4_096, max_tokens: 96, max_bytes: 2_048 }
    }
}

/// A template's identity: stable for the miner's lifetime (never reused, even after the template is forgotten).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TemplateId(u64);

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.0)
    }
}

/// Severity of a record, from a JSON level field, a level word near the start of the text or an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    #[default]
    Unknown,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unknown => "",
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }

    /// True for warnings and worse.
    pub fn is_problem(self) -> bool {
        self >= Level::Warn
    }

    /// A level name in any case (`error`, `WARNING`, `Info`), or a pino/bunyan number as text (`50`).
    pub fn parse(name: &str) -> Option<Level> {
        const NAMES: [(&str, Level); 18] = [
            ("trace", Level::Trace),
            ("debug", Level::Debug),
            ("fine", Level::Debug),
            ("info", Level::Info),
            ("information", Level::Info),
            ("notice", Level::Info),
            ("warn", Level::Warn),
            ("warning", Level::Warn),
            ("error", Level::Error),
            ("err", Level::Error),
            ("severe", Level::Error),
            ("fatal", Level::Fatal),
            ("critical", Level::Fatal),
            ("crit", Level::Fatal),
            ("emerg", Level::Fatal),
            ("emergency", Level::Fatal),
            ("alert", Level::Fatal),
            ("panic", Level::Fatal),
        ];
        match name.parse::<u64>() {
            Ok(number) => Level::from_number(number),
            Err(_) => NAMES.iter().find(|(known, _)| name.eq_ignore_ascii_case(known)).map(|(_, level)| *level),
        }
    }

    /// pino/bunyan numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
    fn from_number(number: u64) -> Option<Level> {
        match number {
            10 => Some(Level::Trace),
            20 => Some(Level::Debug),
            30 => Some(Level::Info),
            40 => Some(Level::Warn),
            50 => Some(Level::Error),
            60 => Some(Level::Fatal),
            _ => None,
        }
    }

    /// A level word as it appears in plain-text logs: upper case (`ERROR`) or capitalised (`Warning`) only, so that
    /// an ordinary `error` inside a sentence is not taken for one.
    fn from_word(word: &str) -> Option<Level> {
        let bytes = word.as_bytes();
        let shaped = (3..=11).contains(&bytes.len())
            && bytes[0].is_ascii_uppercase()
            && (bytes[1..].iter().all(u8::is_ascii_uppercase) || bytes[1..].iter().all(u8::is_ascii_lowercase));
        if shaped { Level::parse(word) } else { None }
    }

    /// The level an HTTP status implies: 5xx error, 4xx warning, anything else information.
    fn from_status(status: u64) -> Option<Level> {
        match status {
            500..=599 => Some(Level::Error),
            400..=499 => Some(Level::Warn),
            100..=399 => Some(Level::Info),
            _ => None,
        }
    }
}

/// One mined template.
#[derive(Debug, Clone)]
struct Cluster {
    tokens: Vec<Box<str>>,
    /// Per token: a plain word that a record must repeat exactly to join.
    words: Vec<bool>,
    text: String,
    level: Level,
    bucket: u64,
    size: u64,
    last_used: u64,
}

/// A masked record already mined, and the cluster it joined.
#[derive(Debug)]
struct KnownRecord {
    level: Level,
    masked: Box<str>,
    id: TemplateId,
}

/// A token of the record being mined: a span of the masked text.
#[derive(Debug, Clone, Copy)]
struct Token {
    start: u32,
    end: u32,
    word: bool,
}

/// The streaming template miner. Memory is bounded by `max_clusters` whatever the number of records.
#[derive(Debug, Default)]
pub struct TemplateMiner {
    config: MinerConfig,
    clusters: FastMap<TemplateId, Cluster>,
    buckets: FastMap<u64, Vec<TemplateId>>,
    /// Masked record (by hash) → the cluster it joined last time, which skips the similarity search for repeated
    /// records: most records repeat one seen before once their variables are masked.
    exact: FastMap<u64, KnownRecord>,
    /// Bytes of masked text held by `exact`, which bounds its memory along with its length.
    exact_bytes: usize,
    next_id: u64,
    tick: u64,
    /// Reused buffers: the record's text, its masked tokens, rendered JSON fields.
    text: String,
    masked: String,
    tokens: Vec<Token>,
    /// Raw tokens that masking leaves as they are (most words of most records) → whether each is a plain word: a
    /// hash lookup instead of classifying every byte again. Variable tokens are not kept (they rarely repeat).
    constant_tokens: FastMap<Box<str>, bool>,
}

impl TemplateMiner {
    pub fn new(config: MinerConfig) -> Self {
        TemplateMiner { config, ..TemplateMiner::default() }
    }

    /// Mine one record (a log message, possibly JSON or multi-line) and return its template.
    pub fn add(&mut self, message: &str) -> TemplateId {
        self.tick += 1;
        let level = self.prepare(message);
        tokenize(&self.text, self.config.max_tokens, &mut self.constant_tokens, &mut self.masked, &mut self.tokens);
        let exact_key = self.exact_key(level);
        if let Some(known) = self.exact.get(&exact_key)
            && known.level == level
            && *known.masked == *self.masked
            && let Some(cluster) = self.clusters.get_mut(&known.id)
        {
            // The very same masked record joined this cluster before, and clusters only ever generalise: it fits
            // without comparing tokens.
            cluster.size += 1;
            cluster.last_used = self.tick;
            return known.id;
        }
        let bucket = self.bucket_key(level);
        let id = match self.best_match(bucket) {
            Some(id) => {
                self.generalize(id);
                id
            }
            None => self.create(level, bucket),
        };
        // 4 MiB holds the masked records of tens of thousands of typical lines.
        const MAX_EXACT_BYTES: usize = 4 << 20;
        if self.exact.len() >= self.config.max_clusters.saturating_mul(8).max(64) || self.exact_bytes >= MAX_EXACT_BYTES
        {
            self.forget_exact();
        }
        self.exact_bytes += self.masked.len();
        let known = KnownRecord { level, masked: self.masked.as_str().into(), id };
        if let Some(replaced) = self.exact.insert(exact_key, known) {
            self.exact_bytes -= replaced.masked.len();
        }
        id
    }

    fn forget_exact(&mut self) {
        self.exact.clear();
        self.exact_bytes = 0;
    }

    /// The current template text (`<*>` for variables); "" for an unknown or forgotten id.
    pub fn template(&self, id: TemplateId) -> &str {
        self.clusters.get(&id).map(|c| c.text.as_str()).unwrap_or("")
    }

    /// The level of a template's records.
    pub fn level(&self, id: TemplateId) -> Level {
        self.clusters.get(&id).map(|c| c.level).unwrap_or_default()
    }

    /// Records mined into a template so far.
    pub fn count(&self, id: TemplateId) -> u64 {
        self.clusters.get(&id).map(|c| c.size).unwrap_or(0)
    }

    /// Templates currently kept.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// Fill `self.text` with what is mined of `message` and return its level.
    fn prepare(&mut self, message: &str) -> Level {
        self.text.clear();
        let message = message.trim();
        if let Some((prefix, json)) = split_json(message) {
            let mut de = serde_json::Deserializer::from_str(json);
            let mut fields = JsonFields::default();
            let parsed = JsonSeed { fields: &mut fields, rendered: &mut self.masked }.deserialize(&mut de);
            if parsed.is_ok() && de.end().is_ok() {
                return self.prepare_json(prefix, &fields);
            }
        }
        let (head, exceptions) = head_and_exception(message);
        push_clipped(&mut self.text, head, self.config.max_bytes);
        for exception in exceptions.into_iter().flatten() {
            self.text.push(' ');
            push_clipped(&mut self.text, exception, self.config.max_bytes);
        }
        level_in_text(head).or_else(|| access_log_status(head).and_then(Level::from_status)).unwrap_or_default()
    }

    fn prepare_json(&mut self, prefix: &str, fields: &JsonFields<'_>) -> Level {
        let mut prefix_level = None;
        for word in words(prefix) {
            let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
            match Level::from_word(bare) {
                Some(level) => prefix_level = Some(level),
                None if !word.chars().any(|c| c.is_ascii_digit()) && !bare.is_empty() => {
                    self.text.push_str(word);
                    self.text.push(' ');
                }
                None => {}
            }
        }
        let budget = self.config.max_bytes;
        let message = fields.message.as_deref().map(known_line).unwrap_or("");
        push_clipped(&mut self.text, message, budget);
        let record_event = fields.record_type.as_deref().filter(|_| fields.event_detail.is_some());
        let event = fields.event_type.as_deref().or(record_event).filter(|_| fields.message.is_none());
        if let Some(event) = event {
            self.prepare_event(event, fields.event_detail.as_ref());
        }
        if let Some(kind) = fields.error_type.as_deref().map(first_line).filter(|k| !message.contains(k)) {
            self.text.push(' ');
            push_clipped(&mut self.text, kind, budget);
            self.text.push(':');
        }
        if let Some(detail) = fields.error_message.as_deref().map(known_line).filter(|d| !message.contains(d)) {
            self.text.push(' ');
            push_clipped(&mut self.text, detail, budget);
        }
        if fields.message.is_none() && event.is_none() && fields.error_type.is_none() && fields.error_message.is_none()
        {
            push_clipped(&mut self.text, &self.masked, budget);
        }
        let event_error = event.is_some()
            && fields.event_detail.as_ref().is_some_and(|d| d.states.iter().any(|(key, _)| key == EVENT_ERROR_KEY));
        let has_error = fields.error_type.is_some() || fields.error_message.is_some() || event_error;
        // A status in the record and the level its writer gave it (Lambda's `ERROR` for `console.error`): the more
        // severe of the two, since a 400 an upstream answered can be the writer's error.
        let status_level = fields.status.and_then(Level::from_status);
        fields.level.or(status_level.max(prefix_level)).or(has_error.then_some(Level::Error)).unwrap_or_default()
    }

    /// An EventBridge event reads as its type, the states it reports and why: "ECS Task State Change
    /// lastStatus=STOPPED stopCode=TaskFailedToStart CannotPullContainerError: … not found".
    fn prepare_event(&mut self, event: &str, detail: Option<&EventDetail<'_>>) {
        let budget = self.config.max_bytes;
        push_clipped(&mut self.text, first_line(event), budget);
        let Some(detail) = detail else { return };
        for (key, value) in &detail.states {
            self.text.push(' ');
            push_clipped(&mut self.text, &format!("{key}={value}"), budget);
        }
        if let Some(reason) = detail.reason.as_deref().map(known_line) {
            self.text.push(' ');
            push_clipped(&mut self.text, reason, budget);
        }
    }

    fn token(&self, index: usize) -> &str {
        let token = self.tokens[index];
        &self.masked[token.start as usize..token.end as usize]
    }

    /// The masked text holds the tokens separated by spaces, so hashing it in one go hashes the token sequence.
    fn exact_key(&self, level: Level) -> u64 {
        let mut hasher = FxHasher::default();
        level.hash(&mut hasher);
        hasher.write(self.masked.as_bytes());
        hasher.finish()
    }

    /// Records can only join clusters of the same level, length and leading words: the bucket says which.
    fn bucket_key(&self, level: Level) -> u64 {
        let mut hasher = FxHasher::default();
        level.hash(&mut hasher);
        self.tokens.len().hash(&mut hasher);
        for (index, token) in self.tokens.iter().take(self.config.routing_tokens).enumerate() {
            if token.word { self.token(index).hash(&mut hasher) } else { WILDCARD.hash(&mut hasher) }
        }
        hasher.finish()
    }

    fn best_match(&self, bucket: u64) -> Option<TemplateId> {
        let candidates = self.buckets.get(&bucket)?;
        let mut best: Option<(f64, usize, TemplateId)> = None;
        for id in candidates {
            let Some(cluster) = self.clusters.get(id) else { continue };
            let Some((similarity, params)) = self.similarity(cluster) else { continue };
            let better = best.is_none_or(|(s, p, _)| similarity > s || (similarity == s && params > p));
            if similarity >= self.config.similarity && better {
                best = Some((similarity, params, *id));
            }
        }
        best.map(|(_, _, id)| id)
    }

    /// Share of the cluster's constant tokens the record repeats, and the cluster's variable count; `None` when a
    /// constant word differs (a different event) or the shapes differ.
    fn similarity(&self, cluster: &Cluster) -> Option<(f64, usize)> {
        if cluster.tokens.len() != self.tokens.len() {
            return None;
        }
        let (mut same, mut params) = (0usize, 0usize);
        for (index, template) in cluster.tokens.iter().enumerate() {
            let template = template.as_ref();
            if template == WILDCARD {
                params += 1;
            } else if template == self.token(index) {
                same += 1;
            } else if cluster.words[index] && self.tokens[index].word {
                return None;
            }
        }
        let constants = cluster.tokens.len() - params;
        let similarity = if constants == 0 { 1.0 } else { same as f64 / constants as f64 };
        Some((similarity, params))
    }

    /// Turn the tokens where the record differs from the template into variables.
    fn generalize(&mut self, id: TemplateId) {
        let tick = self.tick;
        let Some(cluster) = self.clusters.get_mut(&id) else { return };
        cluster.size += 1;
        cluster.last_used = tick;
        let mut changed = false;
        for (index, template) in cluster.tokens.iter_mut().enumerate() {
            let token = self.tokens[index];
            let record = &self.masked[token.start as usize..token.end as usize];
            if template.as_ref() != WILDCARD && template.as_ref() != record {
                *template = WILDCARD.into();
                cluster.words[index] = false;
                changed = true;
            }
        }
        if changed {
            cluster.text = cluster.tokens.join(" ");
        }
    }

    fn create(&mut self, level: Level, bucket: u64) -> TemplateId {
        let id = TemplateId(self.next_id);
        self.next_id += 1;
        let tokens: Vec<Box<str>> = (0..self.tokens.len()).map(|i| self.token(i).into()).collect();
        let cluster = Cluster {
            text: tokens.join(" "),
            words: self.tokens.iter().map(|t| t.word).collect(),
            tokens,
            level,
            bucket,
            size: 1,
            last_used: self.tick,
        };
        self.clusters.insert(id, cluster);
        self.buckets.entry(bucket).or_default().push(id);
        if self.clusters.len() > self.config.max_clusters.max(1) {
            self.forget_least_recent();
        }
        id
    }

    /// Forget the least recently used tenth of the clusters at once, so that eviction costs O(1) per record.
    fn forget_least_recent(&mut self) {
        let keep = self.config.max_clusters.max(1) * 9 / 10;
        let mut ages: Vec<(u64, TemplateId)> = self.clusters.iter().map(|(id, c)| (c.last_used, *id)).collect();
        let forget = ages.len().saturating_sub(keep.max(1));
        if forget == 0 {
            return;
        }
        ages.select_nth_unstable(forget - 1);
        for (_, id) in &ages[..forget] {
            if let Some(cluster) = self.clusters.remove(id)
                && let Some(bucket) = self.buckets.get_mut(&cluster.bucket)
            {
                bucket.retain(|other| other != id);
                if bucket.is_empty() {
                    self.buckets.remove(&cluster.bucket);
                }
            }
        }
        self.forget_exact();
    }
}

fn push_clipped(out: &mut String, text: &str, max_bytes: usize) {
    let room = max_bytes.saturating_sub(out.len());
    let mut end = room.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&text[..end]);
}

fn first_line(text: &str) -> &str {
    text.trim().split(['\n', '\r']).next().unwrap_or("").trim()
}

/// The line a (possibly multi-line) text field is known by: a Python traceback's exception line, else the first.
fn known_line(text: &str) -> &str {
    head_and_exception(text.trim()).0.trim()
}

/// A record that is a JSON object, possibly after a short plain prefix (`<time>\t<request id>\tERROR\t{...}`).
fn split_json(message: &str) -> Option<(&str, &str)> {
    const MAX_PREFIX: usize = 256;
    if !message.ends_with('}') {
        return None;
    }
    let start = message.as_bytes().iter().take(MAX_PREFIX + 1).position(|&b| b == b'{')?;
    Some((&message[..start], &message[start..]))
}

/// The lines a multi-line record is known by: its head line; below a head that names no exception, the first
/// exception line; and the root cause, the last `Caused by:` line (a pool timeout caused by a connect timeout).
fn head_and_exception(message: &str) -> (&str, [Option<&str>; 2]) {
    const MAX_LINES: usize = 64;
    if memchr::memchr2(b'\n', b'\r', message.as_bytes()).is_none() {
        return (message, [None, None]);
    }
    let mut lines = message.split(['\n', '\r']).map(str::trim_end).filter(|line| !line.trim().is_empty());
    let Some(first) = lines.next() else { return ("", [None, None]) };
    if first.starts_with("Traceback (most recent call last)") {
        // Python puts the exception last, after the frames, which are indented.
        let last = lines.take(MAX_LINES).filter(|line| !line.starts_with(char::is_whitespace)).last();
        return (last.unwrap_or(first), [None, None]);
    }
    let named = first.split_whitespace().any(|word| exception_name(word).is_some());
    let mut exception = None;
    let mut root_cause = None;
    for line in lines.take(MAX_LINES) {
        let line = line.trim_start();
        let cause = line.strip_prefix("Caused by:").map(str::trim_start);
        let text = cause.unwrap_or(line);
        if exception_name(text.split([':', ' ']).next().unwrap_or("")).is_none() {
            continue;
        }
        if cause.is_some() {
            root_cause = Some(text);
        } else if exception.is_none() && !named {
            exception = Some(text);
        }
    }
    let exception = exception.or_else(|| root_cause.take().filter(|_| !named));
    (first, [exception, root_cause])
}

/// `word` if it names an exception type (`KeyError`, `java.lang.NullPointerException`, `botocore.errorfactory.X`).
fn exception_name(word: &str) -> Option<&str> {
    let word = word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_'));
    let last = word.rsplit('.').next().unwrap_or(word);
    let named =
        last.len() > 5 && ["Error", "Exception", "Fault", "Throwable"].iter().any(|suffix| last.ends_with(suffix));
    let identifier = || word.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$'));
    (named && identifier()).then_some(word)
}

/// A level word among the first tokens of a plain-text record (`[ERROR]`, `WARN`, `level=error`).
fn level_in_text(text: &str) -> Option<Level> {
    const SCAN: usize = 6;
    words(text).take(SCAN).find_map(|word| {
        let word = word.trim_matches(|c: char| c.is_ascii_punctuation() && c != '=');
        match word.split_once('=') {
            Some((key, value)) if key.eq_ignore_ascii_case("level") || key.eq_ignore_ascii_case("severity") => {
                Level::parse(value)
            }
            Some(_) => None,
            None => Level::from_word(word),
        }
    })
}

/// The status of an access log line in the common (Apache, nginx) format: the number after the quoted request
/// (`"GET /x HTTP/1.1" 502 17`).
fn access_log_status(text: &str) -> Option<u64> {
    let after_protocol = &text[find_http_protocol(text)? + 1..];
    let mut words = words(after_protocol);
    words.next().filter(|protocol| protocol.ends_with('"'))?;
    words.next()?.parse().ok()
}

/// Where ` HTTP/` starts in `text`. Runs on nearly every plain-text record, so the searcher is built once
/// (`str::find(&str)` sets one up per call, which costs more than the search).
fn find_http_protocol(text: &str) -> Option<usize> {
    static PROTOCOL: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b" HTTP/"));
    PROTOCOL.find(text.as_bytes())
}

/// Split `text` into masked tokens: `masked` holds their text separated by spaces, `tokens` their spans and whether
/// each is a word. `constant_tokens` remembers the raw tokens masking leaves unchanged (see `TemplateMiner::constant_tokens`).
fn tokenize(
    text: &str,
    max_tokens: usize,
    constant_tokens: &mut FastMap<Box<str>, bool>,
    masked: &mut String,
    tokens: &mut Vec<Token>,
) {
    // Bounds the cache's memory: a vocabulary is a few thousand words, longer tokens are mostly values.
    const MAX_CACHED_TOKENS: usize = 16_384;
    const MAX_CACHED_LEN: usize = 64;
    masked.clear();
    tokens.clear();
    let mut after_number = false;
    for raw in words(text).take(max_tokens) {
        if !tokens.is_empty() {
            masked.push(' ');
        }
        let start = masked.len() as u32;
        let word = match constant_tokens.get(raw) {
            Some(&word) => {
                masked.push_str(raw);
                word
            }
            None => {
                let word = mask_token(raw, masked);
                if raw.len() <= MAX_CACHED_LEN && &masked[start as usize..] == raw {
                    if constant_tokens.len() >= MAX_CACHED_TOKENS {
                        constant_tokens.clear();
                    }
                    constant_tokens.insert(raw.into(), word);
                }
                word
            }
        };
        let token = &masked[start as usize..];
        // A unit after a number (`12 KB`, `3 ms`) varies with the number.
        let word = word && !(after_number && is_unit(token));
        after_number = token == WILDCARD;
        tokens.push(Token { start, end: masked.len() as u32, word });
    }
}

/// The whitespace-separated words of `text` (a hand-rolled `split_ascii_whitespace`, which profiles slower).
fn words(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        (at > start).then(|| &text[start..at])
    })
}

fn is_unit(token: &str) -> bool {
    const UNITS: [&str; 20] = [
        "b", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib", "bytes", "ms", "us", "ns", "s", "sec", "secs", "min",
        "mins", "h", "%",
    ];
    let token = token.trim_end_matches([',', ';', '.', ')']);
    UNITS.iter().any(|unit| token.eq_ignore_ascii_case(unit))
}

/// Append `raw` with its variable parts masked; true when it is a plain word (a constant a record must repeat).
fn mask_token(raw: &str, out: &mut String) -> bool {
    let (lead, core, trail) = split_punctuation(raw);
    if core.is_empty() {
        out.push_str(raw);
        return false;
    }
    out.push_str(lead);
    let word = mask_core(core, out);
    out.push_str(trail);
    word
}

fn mask_core(core: &str, out: &mut String) -> bool {
    let shape = Shape::of(core);
    if shape.is_whole_variable(core) {
        out.push_str(WILDCARD);
        return false;
    }
    if let Some((key, value)) = shape.equals.and_then(|at| key_value(core, at)) {
        out.push_str(key);
        out.push('=');
        out.push_str(if is_variable_value(value) { WILDCARD } else { value });
        return false;
    }
    if shape.separated {
        mask_atoms(core, out);
        return false;
    }
    if shape.is_variable_atom(core) {
        out.push_str(WILDCARD);
        return false;
    }
    out.push_str(core);
    shape.is_word()
}

/// Wrapping punctuation (`(`, `"`, `],`, `):` ...) around a token's core; all ASCII, so byte offsets are safe.
fn split_punctuation(raw: &str) -> (&str, &str, &str) {
    let bytes = raw.as_bytes();
    let start =
        bytes.iter().position(|b| !matches!(b, b'(' | b'[' | b'{' | b'<' | b'"' | b'\'' | b'`')).unwrap_or(bytes.len());
    let end = bytes[start..]
        .iter()
        .rposition(|b| {
            !matches!(b, b')' | b']' | b'}' | b'>' | b'"' | b'\'' | b'`' | b',' | b';' | b':' | b'.' | b'!' | b'?')
        })
        .map_or(start, |at| start + at + 1);
    (&raw[..start], &raw[start..end], &raw[end..])
}

/// What one pass over a token's core finds.
#[derive(Debug, Default)]
struct Shape {
    digits: usize,
    letters: bool,
    /// Any character besides ASCII letters and digits.
    symbols: bool,
    /// Only letters, digits and the inner punctuation of words (`- . ' / $ * +`).
    word_chars: bool,
    /// Holds separators between atoms (`:` `,` `(` `=` ... or a run of dots).
    separated: bool,
    equals: Option<usize>,
    at_sign: Option<usize>,
    url: bool,
}

impl Shape {
    /// One table lookup per byte (see `BYTE_CLASS`); only the rare bytes whose position matters (`.` `=` `@` `:`)
    /// leave the fast path. It runs over every byte of every token not already known as a constant.
    fn of(core: &str) -> Shape {
        let bytes = core.as_bytes();
        let mut shape = Shape::default();
        let mut seen = 0u8;
        for (index, &byte) in bytes.iter().enumerate() {
            let class = BYTE_CLASS[usize::from(byte)];
            seen |= class;
            shape.digits += usize::from(class & DIGIT != 0);
            if class & POSITIONAL == 0 {
                continue;
            }
            match byte {
                // A run of dots separates (`instruction......0`), a single dot does not (`java.lang`, `1.5`).
                b'.' => shape.separated |= bytes.get(index + 1) == Some(&b'.'),
                b'=' if shape.equals.is_none() => shape.equals = Some(index),
                b'@' if shape.at_sign.is_none() => shape.at_sign = Some(index),
                b':' if bytes[index + 1..].starts_with(b"//") => shape.url = true,
                _ => {}
            }
        }
        shape.letters = seen & LETTER != 0;
        shape.symbols = seen & SYMBOL != 0;
        shape.word_chars = seen & NOT_WORD == 0;
        shape.separated |= seen & SEPARATOR != 0;
        shape
    }

    /// Values that are variable as a whole even without digits: URLs, paths, e-mail addresses, ARNs.
    fn is_whole_variable(&self, core: &str) -> bool {
        let bytes = core.as_bytes();
        let email = self.at_sign.is_some_and(|at| at > 0 && bytes[at + 1..].contains(&b'.'));
        let located = match bytes {
            [b'/', second, ..] => second.is_ascii_alphanumeric() || matches!(second, b'_' | b'.' | b'~' | b'$' | b'{'),
            [b'.', b'/', ..] | [b'.', b'.', b'/', ..] | [b'~', b'/', ..] | [b'a', b'r', b'n', b':', ..] => true,
            [drive, b':', b'\\', ..] => drive.is_ascii_alphabetic(),
            _ => false,
        };
        self.url || email || located
    }

    /// A value rather than a name: digits (but a short name with one digit, `ee0`, `EC2`, `utf8`, is a name), or a
    /// random-looking id.
    fn is_variable_atom(&self, atom: &str) -> bool {
        if self.digits == 0 {
            return is_random_id(atom);
        }
        let short_name = self.digits == 1
            && atom.len() <= 6
            && !self.symbols
            && atom.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
        !short_name
    }

    /// A plain word (`Started`, `java.lang.Error`, `N/A`, `z+`), which a record must repeat to join a template.
    fn is_word(&self) -> bool {
        self.letters && self.word_chars
    }
}

fn key_value(core: &str, equals: usize) -> Option<(&str, &str)> {
    let key = &core[..equals];
    let valid_key = key.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    valid_key.then(|| (key, &core[equals + 1..]))
}

/// A `key=value` value is variable with digits, as a URL, e-mail or ARN, or when random-looking; a path without
/// digits is a route (`path=/orders/{id}`).
fn is_variable_value(value: &str) -> bool {
    let shape = Shape::of(value);
    let located = shape.url || value.starts_with("arn:") || shape.at_sign.is_some();
    !value.is_empty() && (shape.digits > 0 || located || is_random_id(value) || value.contains(['=', ',']))
}

/// Mask the digit-bearing or random-looking atoms of a token (atoms are separated by `:` `,` `(` `[` ... ), keeping
/// the separators; a token that is only masked atoms and separators (an IP and port, a timestamp) becomes one `<*>`.
fn mask_atoms(core: &str, out: &mut String) {
    let start = out.len();
    let (mut kept, mut masked) = (false, false);
    let bytes = core.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let separator_at = |i: usize| is_separator(bytes[i]) || (bytes[i] == b'.' && bytes.get(i + 1) == Some(&b'.'));
        let atom_end = (at..bytes.len()).find(|&i| separator_at(i)).unwrap_or(bytes.len());
        if atom_end == at {
            let separator_end =
                (at..bytes.len()).find(|&i| !is_separator(bytes[i]) && bytes[i] != b'.').unwrap_or(bytes.len());
            out.push_str(&core[at..separator_end]);
            at = separator_end;
            continue;
        }
        let atom = &core[at..atom_end];
        if Shape::of(atom).is_variable_atom(atom) {
            out.push_str(WILDCARD);
            masked = true;
        } else {
            out.push_str(atom);
            kept = true;
        }
        at = atom_end;
    }
    if masked && !kept {
        out.truncate(start);
        out.push_str(WILDCARD);
    }
}

fn is_separator(byte: u8) -> bool {
    BYTE_CLASS[usize::from(byte)] & SEPARATOR != 0
}

// Bit flags of `BYTE_CLASS`.
const DIGIT: u8 = 1;
/// An ASCII letter, or any byte of a non-ASCII character (non-Latin scripts are words too).
const LETTER: u8 = 1 << 1;
/// Anything besides ASCII letters and digits.
const SYMBOL: u8 = 1 << 2;
/// A symbol that is not inner word punctuation (`- . ' / $ * +`): a token holding one is no plain word.
const NOT_WORD: u8 = 1 << 3;
/// Separates the atoms of a token (`:` `,` `(` `=` ...).
const SEPARATOR: u8 = 1 << 4;
/// A byte whose position `Shape::of` records (`.` `=` `@` `:`).
const POSITIONAL: u8 = 1 << 5;

/// What each byte is to `Shape::of`, as the flags above, so that classifying a token costs one lookup per byte.
const BYTE_CLASS: [u8; 256] = {
    let mut table = [SYMBOL | NOT_WORD; 256];
    let mut byte = 0usize;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = if b.is_ascii_digit() {
            DIGIT
        } else if b.is_ascii_alphabetic() {
            LETTER
        } else if b >= 0x80 {
            SYMBOL | LETTER
        } else if matches!(b, b'-' | b'.' | b'\'' | b'/' | b'$' | b'*' | b'+') {
            SYMBOL
        } else {
            SYMBOL | NOT_WORD
        };
        // `'` is both: inner punctuation of words (`don't`) and a separator of atoms (`'id'`).
        if matches!(
            b,
            b':' | b','
                | b';'
                | b'='
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'<'
                | b'>'
                | b'"'
                | b'\''
                | b'|'
                | b'@'
                | b'#'
        ) {
            table[byte] |= SEPARATOR;
        }
        if matches!(b, b'.' | b'=' | b'@' | b':') {
            table[byte] |= POSITIONAL;
        }
        byte += 1;
    }
    table
};

/// A digit-free random identifier (`jsvnuaSNkG`): a long run of letters whose case flips every couple of characters
/// and that has few vowels.
fn is_random_id(atom: &str) -> bool {
    const MIN_LEN: usize = 8;
    // No word is this long: a run of letters beyond it is encoded data.
    const MAX_WORD_LEN: usize = 64;
    // One pass per segment over bytes: splitting with a char pattern and counting in three passes profiled far slower.
    let random_segment = |bytes: &[u8]| {
        if bytes.len() < MIN_LEN || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return false;
        }
        if bytes.len() > MAX_WORD_LEN {
            return true;
        }
        let (mut runs, mut vowels) = (1, 0);
        for (index, &byte) in bytes.iter().enumerate() {
            runs += usize::from(index > 0 && byte.is_ascii_uppercase() != bytes[index - 1].is_ascii_uppercase());
            vowels += usize::from(matches!(byte.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u'));
        }
        // CamelCase names (`RequestId`, `BatchWriteItem`) flip case too, but read as words: vowels are common.
        runs >= 4 && bytes.len() * 2 <= runs * 5 && vowels * 10 <= bytes.len() * 3
    };
    atom.len() >= MIN_LEN && atom.as_bytes().split(|b| matches!(b, b'_' | b'-' | b'.')).any(random_segment)
}

/// What the miner keeps of a JSON record.
#[derive(Debug, Default)]
struct JsonFields<'a> {
    level: Option<Level>,
    status: Option<u64>,
    message: Option<Cow<'a, str>>,
    error_type: Option<Cow<'a, str>>,
    error_message: Option<Cow<'a, str>>,
    /// An EventBridge event (an ECS task or RDS state change forwarded to a log group): its `detail-type`, and
    /// what its `detail` says happened.
    event_type: Option<Cow<'a, str>>,
    event_detail: Option<EventDetail<'a>>,
    /// A record's own `type`: what it is about when its `details` say what happened (a Step Functions execution
    /// history event: `TaskFailed`, with the error and its cause).
    record_type: Option<Cow<'a, str>>,
}

/// Fields of a JSON record with no message are mined as `key=value` tokens, at most this many.
const MAX_RENDERED_FIELDS: usize = 16;

fn key_is(key: &str, names: &[&str]) -> bool {
    names.iter().any(|name| key.eq_ignore_ascii_case(name))
}

const LEVEL_KEYS: [&str; 8] = ["level", "severity", "levelname", "loglevel", "log_level", "lvl", "log.level", "@l"];
/// `event` is structlog's message key; `log` is Docker's and Fluent Bit's, and ElastiCache's engine log's (`Log`).
const MESSAGE_KEYS: [&str; 6] = ["msg", "message", "@m", "@message", "event", "log"];
const ERROR_TYPE_KEYS: [&str; 4] = ["errorType", "error_type", "exceptionType", "exception_type"];
const ERROR_MESSAGE_KEYS: [&str; 2] = ["errorMessage", "error_message"];
const ERROR_OBJECT_KEYS: [&str; 4] = ["err", "error", "exception", "cause"];
const STATUS_KEYS: [&str; 5] = ["status", "statusCode", "status_code", "httpStatus", "http_status"];

/// The envelope of an EventBridge event: what kind of event it is, and the event itself.
const EVENT_TYPE_KEY: &str = "detail-type";
const EVENT_DETAIL_KEY: &str = "detail";
/// A record with a `type` and `details` (Step Functions execution logs) reads as an event of that type.
const RECORD_TYPE_KEY: &str = "type";
const RECORD_DETAILS_KEY: &str = "details";
/// Fields of an event's `detail` that say what state something reached, and why (the first one present).
const EVENT_STATE_KEYS: [&str; 7] =
    ["lastStatus", "desiredStatus", "stopCode", "state", "status", "eventTypeCode", EVENT_ERROR_KEY];
const EVENT_REASON_KEYS: [&str; 9] = [
    "stoppedReason",
    "statusReason",
    "reason",
    "Message",
    "message",
    "errorMessage",
    "errorCode",
    "eventDescription",
    "cause",
];
/// The error an event reports (a failed Step Functions task's `Lambda.TooManyRequestsException`): it makes the
/// record an error.
const EVENT_ERROR_KEY: &str = "error";

/// Reads a JSON object's interesting fields into `fields` and renders its scalar fields into `rendered`.
struct JsonSeed<'f, 'a> {
    fields: &'f mut JsonFields<'a>,
    rendered: &'f mut String,
}

impl<'de, 'f> DeserializeSeed<'de> for JsonSeed<'f, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, 'f> Visitor<'de> for JsonSeed<'f, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.rendered.clear();
        let mut rendered_fields = 0;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key = key.as_ref();
            if key == EVENT_TYPE_KEY {
                self.fields.event_type = map.next_value::<Scalar<'de>>()?.into_text();
                continue;
            }
            if key == EVENT_DETAIL_KEY || (key == RECORD_DETAILS_KEY && self.fields.event_detail.is_none()) {
                self.fields.event_detail = Some(map.next_value::<EventDetail<'de>>()?);
                continue;
            }
            if key_is(key, &ERROR_OBJECT_KEYS) {
                let error = map.next_value::<ErrorValue<'de>>()?;
                self.fields.error_type = self.fields.error_type.take().or(error.kind);
                self.fields.error_message = self.fields.error_message.take().or(error.message);
                continue;
            }
            let value = map.next_value::<Scalar<'de>>()?;
            if key == RECORD_TYPE_KEY
                && let Scalar::Text(text) = &value
            {
                self.fields.record_type = Some(text.clone());
            }
            if key_is(key, &LEVEL_KEYS) {
                self.fields.level = self.fields.level.or_else(|| value.level());
            } else if key_is(key, &MESSAGE_KEYS) && self.fields.message.is_none() {
                self.fields.message = value.into_text();
            } else if key_is(key, &ERROR_TYPE_KEYS) {
                self.fields.error_type = value.into_text();
            } else if key_is(key, &ERROR_MESSAGE_KEYS) {
                self.fields.error_message = value.into_text();
            } else {
                if key_is(key, &STATUS_KEYS) {
                    self.fields.status = self.fields.status.or_else(|| value.number());
                }
                let unnamed = self.fields.message.is_none() && self.fields.error_message.is_none();
                if unnamed && rendered_fields < MAX_RENDERED_FIELDS && value.render(key, self.rendered) {
                    rendered_fields += 1;
                }
            }
        }
        Ok(())
    }
}

/// A JSON value as far as the miner cares: text, a number, another scalar, or something nested (skipped).
enum Scalar<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    Other(&'static str),
    Nested,
}

impl<'a> Scalar<'a> {
    /// A level given by name or as a pino/bunyan number.
    fn level(&self) -> Option<Level> {
        match self {
            Scalar::Text(text) => Level::parse(text),
            Scalar::Number(_) => self.number().and_then(Level::from_number),
            _ => None,
        }
    }

    fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Text(text) => Some(text),
            Scalar::Number(number) => Some(Cow::Owned(number.to_string())),
            _ => None,
        }
    }

    fn number(&self) -> Option<u64> {
        match self {
            Scalar::Number(number) if number.fract() == 0.0 && *number >= 0.0 => Some(*number as u64),
            Scalar::Text(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// Append ` key=value` as one token (a value with spaces is a variable); false for nested values.
    fn render(&self, key: &str, out: &mut String) -> bool {
        let value = match self {
            Scalar::Text(text) if text.contains(char::is_whitespace) || text.is_empty() => WILDCARD,
            Scalar::Text(text) => text.as_ref(),
            Scalar::Number(_) => WILDCARD,
            Scalar::Other(other) => other,
            Scalar::Nested => return false,
        };
        if key.contains(char::is_whitespace) {
            return false;
        }
        out.push(' ');
        out.push_str(key);
        out.push('=');
        out.push_str(value);
        true
    }
}

impl<'de> serde::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v as f64))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other(if v { "true" } else { "false" }))
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other("null"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
}

/// What an EventBridge event's `detail` says: the states it reports (`lastStatus=STOPPED`) and why.
#[derive(Debug, Default)]
struct EventDetail<'a> {
    states: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    reason: Option<Cow<'a, str>>,
}

impl<'de> serde::Deserialize<'de> for EventDetail<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EventDetailVisitor)
    }
}

struct EventDetailVisitor;

impl<'de> Visitor<'de> for EventDetailVisitor {
    type Value = EventDetail<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an event detail object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventDetail<'de>, A::Error> {
        let mut detail = EventDetail::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let value = map.next_value::<Scalar<'de>>()?;
            if EVENT_STATE_KEYS.contains(&key.as_ref()) {
                if let Some(text) = value.into_text().filter(|t| !t.contains(char::is_whitespace)) {
                    detail.states.push((key, text));
                }
            } else if detail.reason.is_none() && EVENT_REASON_KEYS.contains(&key.as_ref()) {
                detail.reason = value.into_text();
            }
        }
        Ok(detail)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<EventDetail<'de>, A::Error> {
        ScalarVisitor.visit_seq(seq).map(|_| EventDetail::default())
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<EventDetail<'de>, E> {
        Ok(EventDetail::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<EventDetail<'de>, E> {
        Ok(EventDetail::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<EventDetail<'de>, E> {
        Ok(EventDetail::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<EventDetail<'de>, E> {
        Ok(EventDetail::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<EventDetail<'de>, E> {
        Ok(EventDetail::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<EventDetail<'de>, E> {
        Ok(EventDetail::default())
    }
    fn visit_unit<E>(self) -> Result<EventDetail<'de>, E> {
        Ok(EventDetail::default())
    }
}

/// An `err`/`error`/`exception` field: a message string, or an object with a type and a message.
#[derive(Default)]
struct ErrorValue<'a> {
    kind: Option<Cow<'a, str>>,
    message: Option<Cow<'a, str>>,
}

impl<'de> serde::Deserialize<'de> for ErrorValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ErrorVisitor)
    }
}

struct ErrorVisitor;

impl<'de> Visitor<'de> for ErrorVisitor {
    type Value = ErrorValue<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an error message or object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorValue<'de>, A::Error> {
        let mut error = ErrorValue::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let value = map.next_value::<Scalar<'de>>()?;
            if key_is(&key, &["type", "name", "errorType", "code", "__type"]) {
                error.kind = error.kind.or_else(|| value.into_text());
            } else if key_is(&key, &["message", "errorMessage", "msg", "reason"]) {
                error.message = error.message.or_else(|| value.into_text());
            }
        }
        Ok(error)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ErrorValue<'de>, A::Error> {
        ScalarVisitor.visit_seq(seq).map(|_| ErrorValue::default())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<ErrorValue<'de>, E> {
        Ok(ErrorValue { kind: None, message: Some(Cow::Borrowed(v)) })
    }
    fn visit_str<E>(self, v: &str) -> Result<ErrorValue<'de>, E> {
        Ok(ErrorValue { kind: None, message: Some(Cow::Owned(v.to_string())) })
    }
    fn visit_bool<E>(self, _: bool) -> Result<ErrorValue<'de>, E> {
        Ok(ErrorValue::default())
    }
    fn visit_unit<E>(self) -> Result<ErrorValue<'de>, E> {
        Ok(ErrorValue::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<ErrorValue<'de>, E> {
        Ok(ErrorValue::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<ErrorValue<'de>, E> {
        Ok(ErrorValue::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<ErrorValue<'de>, E> {
        Ok(ErrorValue::default())
    }
}

/// FxHash (rustc's hasher): far faster than SipHash for the short keys hashed once per token here, and the keys
/// are not attacker-chosen in a way that matters (a collision only costs a similarity check).
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.hash
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn mined(line: &str) -> String {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let id = miner.add(line);
        miner.template(id).to_string()
    }

    #[test]
    fn variable_parts_are_masked_and_words_kept() {
        let cases = [
            ("Connected to 10.0.0.12:5432 in 35 ms", "Connected to <*> in <*> ms"),
            ("instance b9000564-fe1a-409b-b8cc-1e88b294cd1d resumed", "instance <*> resumed"),
            ("flags 0x1f on blk_-1608999687919862906 at 2026-02-16T14:36:49.715Z", "flags <*> on <*> at <*>"),
            ("read /var/lib/nova/instances/_base/a489 from https://example.com/x?y=1", "read <*> from <*>"),
            ("mail to ops@example.com by arn:aws:iam::123456789012:role/deployer", "mail to <*> by <*>"),
            ("user=alice id=42 path=/orders/{id} took=1.5s", "user=alice id=<*> path=/orders/{id} took=<*>"),
            ("sid:2 (n.round), [instance: 1e88b294cd1d] done.", "sid:<*> (n.round), [instance: <*>] done."),
            (
                "Cannot read properties of undefined (reading 'shippingAddress')",
                "Cannot read properties of undefined (reading 'shippingAddress')",
            ),
            ("id acct_jsvnuaSNkG via EC2 and S3 RequestId: x", "id <*> via EC2 and S3 RequestId: x"),
            ("program interrupt: illegal instruction......0", "program interrupt: illegal instruction......<*>"),
        ];
        for (line, template) in cases {
            assert_eq!(mined(line), template, "{line}");
        }
    }

    #[test]
    fn records_of_one_event_share_a_template_and_different_words_do_not() {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let first = miner.add("Took 1.52 seconds to spawn the instance on the hypervisor.");
        assert_eq!(miner.add("Took 0.98 seconds to spawn the instance on the hypervisor."), first);
        let destroy = miner.add("Took 0.50 seconds to destroy the instance on the hypervisor.");
        assert_ne!(destroy, first);
        assert_ne!(miner.add("VM Started (Lifecycle Event)"), miner.add("VM Paused (Lifecycle Event)"));
        assert_ne!(
            miner.add("10.1.1.1 \"GET /v2/servers HTTP/1.1\" status: 200"),
            miner.add("10.1.1.1 \"POST /v2/servers HTTP/1.1\" status: 200")
        );
        assert_eq!(miner.template(first), "Took <*> seconds to spawn the instance on the hypervisor.");
        assert_eq!(miner.count(first), 2);
        // A token that is not a plain word (`dynamodb:GetItem`) varies freely and the template generalises.
        let a = miner.add("denied dynamodb:GetItem on table orders");
        let b = miner.add("denied dynamodb:PutItem on table orders");
        assert_eq!(a, b);
        assert_eq!(miner.template(a), "denied <*> on table orders");
        assert_eq!(miner.len(), 7);
    }

    #[test]
    fn json_records_are_mined_on_their_message_and_keep_their_level() {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let lambda = "2026-02-16T14:36:49.715Z\t3461d247-aeff-426f-bcd0-1ef031eafb5a\tERROR\t{\"level\":\"error\",\
            \"msg\":\"failed to save\",\"requestId\":\"3461d247\",\"err\":{\"type\":\"ThrottlingException\",\
            \"message\":\"Rate exceeded\",\"stack\":\"ThrottlingException: Rate exceeded\\n    at x (/var/task/a.js:1:2)\"}}";
        let id = miner.add(lambda);
        assert_eq!(miner.template(id), "failed to save ThrottlingException: Rate exceeded");
        assert_eq!(miner.level(id), Level::Error);
        let invoke = miner.add("2026-02-16T14:36:49Z\t3461d247-aeff-426f-bcd0-1ef031eafb5a\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"connect ETIMEDOUT 10.0.0.1:443\",\"stack\":[\"Error: x\"]}");
        assert_eq!(miner.template(invoke), "Invoke Error: connect ETIMEDOUT <*>");
        assert_eq!(miner.level(invoke), Level::Error);
        let upstream_400 =
            miner.add("2026-02-16T14:36:49Z\t3461d247\tERROR\t{\"msg\":\"token exchange failed\",\"status\":400}");
        assert_eq!(miner.level(upstream_400), Level::Error, "the writer's own level, more severe than the status");
        let logged_502 = miner.add("2026-02-16T14:36:49Z\t3461d247\tINFO\t{\"msg\":\"proxied\",\"status\":502}");
        assert_eq!(miner.level(logged_502), Level::Error, "the status, more severe than the writer's level");
        let structlog = miner.add("{\"event\":\"failed to load\",\"level\":\"error\",\"exception\":\"Traceback (most recent call last):\\n  File \\\"a.py\\\", line 3, in find\\n    pool.connection()\\nOperationalError: (2003, \\\"Can't connect to MySQL server on 'db.example' (timed out)\\\")\"}");
        assert_eq!(
            miner.template(structlog),
            "failed to load OperationalError: (<*>, \"Can't connect to MySQL server on 'db.example' (timed out)\")"
        );
        let pino = miner.add("{\"level\":50,\"time\":1,\"msg\":\"db down\"}");
        assert_eq!((miner.template(pino), miner.level(pino)), ("db down", Level::Error));
        let engine =
            miner.add("{\"CacheClusterId\":\"c-001\",\"CacheNodeId\":\"0001\",\"Log\":\"* MASTER MODE enabled\"}");
        assert_eq!(miner.template(engine), "* MASTER MODE enabled");
        // Access logs have no message: their fields are the template, the HTTP status gives the level.
        let ok = miner.add("{\"requestId\":\"a1\",\"ip\":\"1.2.3.4\",\"httpMethod\":\"GET\",\"resourcePath\":\"/orders/{id}\",\"status\":\"200\"}");
        let failed = miner.add("{\"requestId\":\"b2\",\"ip\":\"5.6.7.8\",\"httpMethod\":\"GET\",\"resourcePath\":\"/orders/{id}\",\"status\":\"502\"}");
        assert_ne!(ok, failed);
        assert_eq!((miner.level(ok), miner.level(failed)), (Level::Info, Level::Error));
        assert_eq!(miner.template(failed), "requestId=<*> ip=<*> httpMethod=GET resourcePath=/orders/{id} status=<*>");
        // Not JSON after all: mined as text.
        let text = miner.add("WARN retrying {attempt 2}");
        assert_eq!((miner.template(text), miner.level(text)), ("WARN retrying {attempt <*>}", Level::Warn));
    }

    #[test]
    fn eventbridge_events_are_known_by_their_type_states_and_reason() {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let event = |id: &str, status: &str, reason: &str| {
            format!(
                "{{\"version\":\"0\",\"id\":\"{id}\",\"detail-type\":\"ECS Task State Change\",\"source\":\"aws.ecs\",\
                 \"resources\":[\"arn:aws:ecs:eu-west-1:1:task/c/{id}\"],\"detail\":{{\"containers\":[{{\"name\":\"app\"}}],\
                 \"lastStatus\":\"{status}\",\"group\":\"service:orders\"{reason}}}}}"
            )
        };
        let pull = ",\"stoppedReason\":\"CannotPullContainerError: ref 1.dkr.ecr.eu-west-1.amazonaws.com/orders:v7: not found\"";
        let failed = miner.add(&event("a1", "STOPPED", pull));
        let again = miner.add(&event("b2", "STOPPED", pull));
        let running = miner.add(&event("c3", "RUNNING", ""));
        assert_eq!(failed, again);
        assert_ne!(failed, running);
        assert_eq!(
            miner.template(failed),
            "ECS Task State Change lastStatus=STOPPED CannotPullContainerError: ref <*>:v7: not found"
        );
        assert_eq!(miner.template(running), "ECS Task State Change lastStatus=RUNNING");
    }

    #[test]
    fn step_functions_history_events_are_known_by_their_type_and_error() {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let record = |id: u32, kind: &str, details: &str| {
            format!(
                "{{\"id\":\"{id}\",\"type\":\"{kind}\",\"details\":{{{details}}},\"previous_event_id\":\"{}\",\
                 \"execution_arn\":\"arn:aws:states:eu-west-1:1:execution:Payouts:{id}ab\",\"redrive_count\":\"0\"}}",
                id - 1
            )
        };
        let throttled = "\"cause\":\"Rate Exceeded. (Service: Lambda, Status Code: 429)\",\
                         \"error\":\"Lambda.TooManyRequestsException\",\"resource\":\"invoke\"";
        let failed = miner.add(&record(10, "TaskFailed", throttled));
        let scheduled = miner.add(&record(9, "TaskScheduled", "\"resource\":\"invoke\",\"region\":\"eu-west-1\""));
        let again = miner.add(&record(14, "TaskScheduled", "\"resource\":\"invoke\",\"region\":\"eu-west-1\""));
        assert_ne!(failed, scheduled);
        assert_eq!(scheduled, again);
        assert_eq!(miner.level(failed), Level::Error);
        assert_ne!(miner.level(scheduled), Level::Error);
        assert!(miner.template(failed).starts_with("TaskFailed error=Lambda.TooManyRequestsException Rate Exceeded."));
    }

    #[test]
    fn a_stack_trace_is_one_record_known_by_its_first_line_and_exception() {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let java = |frame: &str| {
            format!(
                "java.lang.NullPointerException: order is null\n\tat com.shop.{frame}(Orders.java:42)\n\tat java.lang.Thread.run(Thread.java:750)"
            )
        };
        let first = miner.add(&java("Orders.save"));
        assert_eq!(miner.add(&java("Orders.load")), first);
        assert_eq!(miner.template(first), "java.lang.NullPointerException: order is null");
        let wrapped =
            miner.add("Request failed\n    at handler (index.js:3)\nCaused by: java.io.IOException: broken pipe");
        assert_eq!(miner.template(wrapped), "Request failed java.io.IOException: broken pipe");
        let pooled = miner.add(
            "ERROR c.a.Controller : failed to load\njava.sql.SQLTransientConnectionException: pool timed out\n\tat x.Pool.get(Pool.java:1)\nCaused by: org.postgresql.util.PSQLException: The connection attempt failed.\nCaused by: java.net.SocketTimeoutException: Connect timed out",
        );
        assert_eq!(
            miner.template(pooled),
            "ERROR c.a.Controller : failed to load java.sql.SQLTransientConnectionException: pool timed out \
             java.net.SocketTimeoutException: Connect timed out"
        );
        let python = miner.add(
            "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    main()\nKeyError: 'id'",
        );
        assert_eq!(miner.template(python), "KeyError: 'id'");
        let lambda_python = miner.add("[ERROR] ClientError: An error occurred (AccessDeniedException)\rTraceback (most recent call last):\r  File \"/var/task/app.py\", line 58");
        assert_eq!(miner.template(lambda_python), "[ERROR] ClientError: An error occurred (AccessDeniedException)");
        assert_eq!(miner.level(lambda_python), Level::Error);
    }

    #[test]
    fn cached_tokens_and_records_mine_as_fresh_ones() {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        // A unit after a number varies with it; the same token elsewhere is still a plain word.
        let took = miner.add("took 5 ms to start");
        assert_eq!(miner.add("took 7 s to start"), took);
        assert_eq!(miner.template(took), "took <*> <*> to start");
        assert_ne!(miner.add("ms timer started"), miner.add("s timer started"));
        // A record seen before joins its cluster again, even after the template generalised.
        assert_eq!(miner.add("took 5 ms to start"), took);
        assert_eq!(miner.count(took), 3);
    }

    #[test]
    fn memory_is_bounded_and_ids_are_never_reused() {
        let mut miner = TemplateMiner::new(MinerConfig { max_clusters: 10, ..MinerConfig::default() });
        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett"];
        let ids: Vec<TemplateId> =
            (0..100).map(|i| miner.add(&format!("{} {} failed", words[i % 10], words[i / 10]))).collect();
        assert!(miner.len() <= 10);
        let mut distinct = ids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 100);
        assert_eq!(miner.template(ids[0]), "");
        assert_eq!(miner.template(ids[99]), "juliett juliett failed");
        // A forgotten template that comes back gets a new id.
        assert_ne!(miner.add("alpha alpha failed"), ids[0]);
    }

    #[test]
    fn levels_are_read_from_names_numbers_and_text() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warn));
        assert_eq!(Level::parse("60"), Some(Level::Fatal));
        assert_eq!(Level::parse("verbose"), None);
        assert_eq!(level_in_text("2025-09-22 10:49:32.556 682f WARN  ApiHandler - x"), Some(Level::Warn));
        assert_eq!(level_in_text("[ERROR] boom"), Some(Level::Error));
        assert_eq!(level_in_text("ts=1 level=error msg=x"), Some(Level::Error));
        assert_eq!(level_in_text("an error occurred"), None);
        let access = "10.0.0.1 - - [16/Feb/2026:14:21:42 +0000] \"GET /orders/7 HTTP/1.1\" 502 17";
        assert_eq!(access_log_status(access), Some(502));
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let (failed, ok) = (miner.add(access), miner.add(&access.replace("502", "200")));
        assert_eq!((miner.level(failed), miner.level(ok)), (Level::Error, Level::Info));
        assert!(Level::Warn.is_problem() && !Level::Info.is_problem());
    }

    /// Grouping accuracy on Loghub-2k (the standard metric: a line is right when its predicted group holds exactly the
    /// lines of its true group), with the one default configuration. Skipped when the benchmark is absent.
    #[test]
    fn loghub_grouping_accuracy() {
        let Some(results) = loghub_accuracy() else { return };
        let mean = results.iter().map(|(_, ga)| ga).sum::<f64>() / results.len() as f64;
        for (set, ga) in &results {
            println!("{set}: GA {ga:.3}");
        }
        println!("mean GA {mean:.4}");
        assert_eq!(results.len(), 8);
        assert!(mean >= 0.97, "mean GA {mean:.4}");
        assert!(results.iter().all(|(_, ga)| *ga >= 0.9), "{results:?}");
    }

    /// Mining speed on the Loghub lines, release build: `cargo test --release -p shared --lib loghub_speed --
    /// --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn loghub_speed() {
        let lines: Vec<String> =
            loghub_sets().into_iter().flat_map(|(_, rows)| rows.into_iter().map(|(line, _)| line)).collect();
        if lines.is_empty() {
            return;
        }
        let mut best = 0.0f64;
        for _ in 0..5 {
            let started = std::time::Instant::now();
            let mut miner = TemplateMiner::new(MinerConfig::default());
            for _ in 0..5 {
                lines.iter().for_each(|line| {
                    std::hint::black_box(miner.add(line));
                });
            }
            best = best.max((5 * lines.len()) as f64 / started.elapsed().as_secs_f64());
        }
        println!("{best:.0} lines/s");
    }

    fn loghub_accuracy() -> Option<Vec<(String, f64)>> {
        let sets = loghub_sets();
        if sets.is_empty() {
            return None;
        }
        let results = sets
            .into_iter()
            .map(|(set, rows)| {
                let mut miner = TemplateMiner::new(MinerConfig::default());
                let predicted: Vec<TemplateId> = rows.iter().map(|(line, _)| miner.add(line)).collect();
                let truth: Vec<&str> = rows.iter().map(|(_, event)| event.as_str()).collect();
                (set, grouping_accuracy(&truth, &predicted))
            })
            .collect();
        Some(results)
    }

    fn grouping_accuracy(truth: &[&str], predicted: &[TemplateId]) -> f64 {
        let mut true_groups: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut predicted_groups: HashMap<TemplateId, Vec<usize>> = HashMap::new();
        for (line, (t, p)) in truth.iter().zip(predicted).enumerate() {
            true_groups.entry(t).or_default().push(line);
            predicted_groups.entry(*p).or_default().push(line);
        }
        let correct: usize = true_groups
            .values()
            .filter(|lines| predicted_groups[&predicted[lines[0]]] == **lines)
            .map(|lines| lines.len())
            .sum();
        correct as f64 / truth.len() as f64
    }

    /// (set name, [(content, event id)]) for each Loghub-2k CSV beside the workspace; empty when absent.
    fn loghub_sets() -> Vec<(String, Vec<(String, String)>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/loghub-2k");
        let sets = ["HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird", "OpenStack"];
        let Ok(_) = std::fs::read_dir(&dir) else {
            println!("Loghub-2k not found at {}: skipped", dir.display());
            return Vec::new();
        };
        sets.iter()
            .filter_map(|set| {
                let text = std::fs::read_to_string(dir.join(format!("{set}.csv"))).ok()?;
                let mut rows = csv_rows(&text).into_iter();
                let header = rows.next()?;
                let content = header.iter().position(|h| h == "Content")?;
                let event = header.iter().position(|h| h == "EventId")?;
                let rows =
                    rows.filter(|r| r.len() > content.max(event)).map(|r| (r[content].clone(), r[event].clone()));
                Some((set.to_string(), rows.collect()))
            })
            .collect()
    }

    /// RFC 4180 rows: quoted fields may hold commas, doubled quotes and newlines.
    fn csv_rows(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                (true, '"') => quoted = false,
                (true, _) => field.push(c),
                (false, '"') => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\n') => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                (false, '\r') => {}
                (false, _) => field.push(c),
            }
        }
        if !field.is_empty() || !row.is_empty() {
            row.push(field);
            rows.push(row);
        }
        rows
    }
}
