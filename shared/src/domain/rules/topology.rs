//! The system's shape as far as the rules brain can know it: which resource names belong together (mentioned in
//! one sentence of the architecture description, sharing a name stem, or one being the other's role or log group).

use std::collections::BTreeSet;

use crate::domain::evidence::terms::name_tokens;
use crate::domain::resources::{names_in_text, same_resource};

/// Resource names and which pairs are related.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    names: Vec<String>,
    links: BTreeSet<(usize, usize)>,
}

/// Name tokens too generic to relate two resources on their own.
const GENERIC_TOKENS: [&str; 18] = [
    "api", "apis", "role", "table", "function", "handler", "service", "stack", "lambda", "prod", "prd", "live", "dev",
    "stage", "queue", "db", "access", "logs",
];

impl Topology {
    /// Builds the topology from the architecture text; names in one sentence are linked.
    pub fn from_architecture(text: &str) -> Topology {
        let mut topology = Topology::default();
        for sentence in text.split(". ") {
            let names: Vec<usize> = names_in_text(sentence).iter().map(|n| topology.intern(n)).collect();
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

    fn link(&mut self, a: usize, b: usize) {
        if a != b {
            self.links.insert((a.min(b), a.max(b)));
        }
    }

    /// Every known name.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| same_resource(n, name))
    }

    /// How close two resources are: 0 the same, 1 directly related, 2 related through one other, 3 unrelated.
    pub fn distance(&self, a: &str, b: &str) -> u32 {
        if same_resource(a, b) {
            return 0;
        }
        if stems_related(a, b) {
            return 1;
        }
        let (Some(ia), Some(ib)) = (self.index(a), self.index(b)) else { return 3 };
        if self.linked(ia, ib) {
            return 1;
        }
        let through = (0..self.names.len()).any(|k| self.linked(ia, k) && self.linked(k, ib));
        if through { 2 } else { 3 }
    }

    fn linked(&self, a: usize, b: usize) -> bool {
        a == b || self.links.contains(&(a.min(b), a.max(b)))
    }
}

/// Two names share their distinctive stem (`orders-api-role` and `orders-api`, `OrdersTable` and `orders`).
fn stems_related(a: &str, b: &str) -> bool {
    let distinctive = |name: &str| -> BTreeSet<String> {
        name_tokens(name)
            .into_iter()
            .filter(|t| t.len() >= 3 && !GENERIC_TOKENS.contains(&t.as_str()) && !t.chars().all(|c| c.is_ascii_digit()))
            .collect()
    };
    let (ta, tb) = (distinctive(a), distinctive(b));
    if ta.is_empty() || tb.is_empty() {
        return false;
    }
    let shared = ta.intersection(&tb).count();
    shared * 2 >= ta.len().min(tb.len()).max(1) && shared > 0 && (shared == ta.len() || shared == tb.len())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
