//! Names for simulated systems: business domains, naming conventions (plain, env-prefixed, CDK, camel),
//! companies, people, regions and external providers. Varied on purpose: the analyzer is judged on names it never saw.

use super::random::{SimRng, alnum, chance, lower_alnum, pick, upper_hex};

/// A business domain a workload serves ("orders": the `orders-api`, the `ord_…` ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domain {
    pub plural: &'static str,
    pub singular: &'static str,
    pub id_prefix: &'static str,
}

pub const DOMAINS: &[Domain] = &[
    Domain { plural: "orders", singular: "order", id_prefix: "ord" },
    Domain { plural: "checkout", singular: "checkout", id_prefix: "chk" },
    Domain { plural: "payments", singular: "payment", id_prefix: "pay" },
    Domain { plural: "invoices", singular: "invoice", id_prefix: "inv" },
    Domain { plural: "shipments", singular: "shipment", id_prefix: "shp" },
    Domain { plural: "customers", singular: "customer", id_prefix: "cus" },
    Domain { plural: "subscriptions", singular: "subscription", id_prefix: "sub" },
    Domain { plural: "reports", singular: "report", id_prefix: "rpt" },
    Domain { plural: "bookings", singular: "booking", id_prefix: "bkg" },
    Domain { plural: "quotes", singular: "quote", id_prefix: "qte" },
    Domain { plural: "claims", singular: "claim", id_prefix: "clm" },
    Domain { plural: "tickets", singular: "ticket", id_prefix: "tkt" },
    Domain { plural: "deliveries", singular: "delivery", id_prefix: "dlv" },
    Domain { plural: "returns", singular: "return", id_prefix: "ret" },
    Domain { plural: "refunds", singular: "refund", id_prefix: "rfd" },
    Domain { plural: "coupons", singular: "coupon", id_prefix: "cpn" },
    Domain { plural: "carts", singular: "cart", id_prefix: "crt" },
    Domain { plural: "profiles", singular: "profile", id_prefix: "prf" },
    Domain { plural: "reviews", singular: "review", id_prefix: "rvw" },
    Domain { plural: "appointments", singular: "appointment", id_prefix: "apt" },
    Domain { plural: "accounts", singular: "account", id_prefix: "acct" },
    Domain { plural: "listings", singular: "listing", id_prefix: "lst" },
    Domain { plural: "documents", singular: "document", id_prefix: "doc" },
    Domain { plural: "contracts", singular: "contract", id_prefix: "ctr" },
    Domain { plural: "transfers", singular: "transfer", id_prefix: "trf" },
    Domain { plural: "rewards", singular: "reward", id_prefix: "rwd" },
    Domain { plural: "policies", singular: "policy", id_prefix: "pol" },
    Domain { plural: "enrollments", singular: "enrollment", id_prefix: "enr" },
    Domain { plural: "leads", singular: "lead", id_prefix: "lead" },
    Domain { plural: "vouchers", singular: "voucher", id_prefix: "vch" },
    Domain { plural: "rentals", singular: "rental", id_prefix: "rnt" },
    Domain { plural: "parcels", singular: "parcel", id_prefix: "pcl" },
    Domain { plural: "wishlists", singular: "wishlist", id_prefix: "wl" },
    Domain { plural: "members", singular: "member", id_prefix: "mbr" },
    Domain { plural: "donations", singular: "donation", id_prefix: "don" },
    Domain { plural: "estimates", singular: "estimate", id_prefix: "est" },
    Domain { plural: "prescriptions", singular: "prescription", id_prefix: "rx" },
];

impl Domain {
    /// `orders` → `Orders`
    pub fn title(&self) -> String {
        title_case(self.plural)
    }

    pub fn singular_title(&self) -> String {
        title_case(self.singular)
    }
}

pub fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// `payment-webhook` → `PaymentWebhook`
pub fn camel(words: &str) -> String {
    words.split(['-', '_', ' ']).map(title_case).collect()
}

/// How a team names its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamingStyle {
    /// `orders-api`, `orders-table`
    Plain,
    /// `prd-orders-api`, `prd-orders`
    EnvPrefix(&'static str),
    /// `orders-api-prod`
    EnvSuffix(&'static str),
    /// `OrdersStack-OrdersApiHandlerA1B2C3D4-xYz12AbCdEfG`
    Cdk,
    /// `OrdersApi`, `OrdersTable`
    Camel,
}

impl NamingStyle {
    pub fn random(rng: &mut SimRng) -> NamingStyle {
        match super::random::weighted(rng, &[3.0, 2.0, 1.0, 2.0, 1.0]) {
            0 => NamingStyle::Plain,
            1 => NamingStyle::EnvPrefix(pick::<&str>(rng, &["prd", "prod", "live", "p"])),
            2 => NamingStyle::EnvSuffix(pick::<&str>(rng, &["prod", "production", "live"])),
            3 => NamingStyle::Cdk,
            _ => NamingStyle::Camel,
        }
    }

    /// The environment word a team would use in parameter paths and alarm names.
    /// A style by its command-line name (`plain`, `env-prefix`, `env-suffix`, `cdk`, `camel`).
    pub fn parse(name: &str) -> Option<NamingStyle> {
        Some(match name {
            "plain" => NamingStyle::Plain,
            "env-prefix" => NamingStyle::EnvPrefix("prd"),
            "env-suffix" => NamingStyle::EnvSuffix("prod"),
            "cdk" => NamingStyle::Cdk,
            "camel" => NamingStyle::Camel,
            _ => return None,
        })
    }

    pub fn env_word(&self) -> &'static str {
        match self {
            NamingStyle::EnvPrefix(env) | NamingStyle::EnvSuffix(env) => env,
            _ => "prod",
        }
    }
}

/// Generates resource names in one style, with the CDK hash suffixes where that style has them.
#[derive(Debug, Clone)]
pub struct Namer {
    pub style: NamingStyle,
}

fn cdk_suffix(rng: &mut SimRng) -> String {
    format!("{}-{}", upper_hex(rng, 8), alnum(rng, 12))
}

impl Namer {
    /// A generic resource name: `base` is hyphenated words (`orders-api`), `kind` the CDK construct word (`Handler`).
    pub fn name(&self, rng: &mut SimRng, stack: &str, base: &str, kind: &str) -> String {
        match &self.style {
            NamingStyle::Plain => base.to_string(),
            NamingStyle::EnvPrefix(env) => format!("{env}-{base}"),
            NamingStyle::EnvSuffix(env) => format!("{base}-{env}"),
            NamingStyle::Cdk => format!("{}Stack-{}{}{}", camel(stack), camel(base), kind, cdk_suffix(rng)),
            NamingStyle::Camel => format!("{}{}", camel(base), kind),
        }
    }

    pub fn function(&self, rng: &mut SimRng, stack: &str, base: &str) -> String {
        match &self.style {
            NamingStyle::Camel => camel(base),
            _ => self.name(rng, stack, base, "Handler"),
        }
    }

    pub fn table(&self, rng: &mut SimRng, domain: &Domain) -> String {
        match &self.style {
            NamingStyle::Plain => {
                if chance(rng, 0.5) {
                    format!("{}-table", domain.plural)
                } else {
                    domain.plural.to_string()
                }
            }
            NamingStyle::EnvPrefix(env) => format!("{env}-{}", domain.plural),
            NamingStyle::EnvSuffix(env) => format!("{}-{env}", domain.plural),
            NamingStyle::Cdk => format!("{}Stack-{}Table{}", domain.title(), domain.title(), cdk_suffix(rng)),
            NamingStyle::Camel => format!("{}Table", domain.title()),
        }
    }

    /// API names are logical names even under CDK (`OrdersApi`).
    pub fn api(&self, domain: &Domain) -> String {
        match &self.style {
            NamingStyle::Plain => format!("{}-api", domain.plural),
            NamingStyle::EnvPrefix(env) => format!("{env}-{}-api", domain.plural),
            NamingStyle::EnvSuffix(env) => format!("{}-api-{env}", domain.plural),
            NamingStyle::Cdk | NamingStyle::Camel => format!("{}Api", domain.title()),
        }
    }

    pub fn role(&self, rng: &mut SimRng, stack: &str, function: &str, base: &str) -> String {
        match &self.style {
            NamingStyle::Cdk => format!("{}Stack-{}HandlerServiceRole{}", camel(stack), camel(base), cdk_suffix(rng)),
            NamingStyle::Camel => format!("{function}Role"),
            _ => format!("{function}-role"),
        }
    }

    /// RDS identifiers are lower case whatever the style.
    pub fn database(&self, rng: &mut SimRng, domain: &Domain, engine_word: &str) -> String {
        match &self.style {
            NamingStyle::Plain => format!("{}-{}", domain.plural, pick(rng, &["db", engine_word, "database"])),
            NamingStyle::EnvPrefix(env) => format!("{env}-{}-{engine_word}", domain.plural),
            NamingStyle::EnvSuffix(env) => format!("{}-db-{env}", domain.plural),
            NamingStyle::Cdk => {
                format!(
                    "{}stack-{}database{}-{}",
                    domain.plural,
                    domain.plural,
                    upper_hex(rng, 8).to_lowercase(),
                    lower_alnum(rng, 12)
                )
            }
            NamingStyle::Camel => format!("{}-db", domain.plural),
        }
    }

    /// Load balancer names are at most 32 characters; CDK truncates its logical ids.
    pub fn load_balancer(&self, rng: &mut SimRng, domain: &Domain) -> String {
        match &self.style {
            NamingStyle::Cdk => {
                let short: String = domain.title().chars().take(5).collect();
                format!("{short}-{short}-{}", upper_hex(rng, 12))
            }
            NamingStyle::Camel => format!("{}Alb", domain.title()),
            _ => self.name(rng, domain.plural, &format!("{}-alb", domain.plural), ""),
        }
    }

    pub fn queue(&self, rng: &mut SimRng, domain: &Domain, purpose: &str) -> String {
        match &self.style {
            NamingStyle::Cdk => {
                format!("{}Stack-{}{}Queue{}", domain.title(), domain.title(), camel(purpose), cdk_suffix(rng))
            }
            NamingStyle::Camel => format!("{}{}Queue", domain.title(), camel(purpose)),
            _ => self.name(rng, domain.plural, &format!("{}-{purpose}", domain.plural), ""),
        }
    }

    pub fn dead_letter_queue(&self, rng: &mut SimRng, domain: &Domain, queue: &str) -> String {
        match &self.style {
            NamingStyle::Cdk => format!("{}Stack-{}DeadLetterQueue{}", domain.title(), domain.title(), cdk_suffix(rng)),
            NamingStyle::Camel => format!("{queue}Dlq"),
            _ => format!("{queue}-dlq"),
        }
    }
}

/// An organisation: the email domain of its people and the names of its automation roles.
#[derive(Debug, Clone)]
pub struct Company {
    pub slug: &'static str,
    pub email_domain: String,
    pub ci_role: String,
    pub ci_session: String,
    pub iac_role: String,
    pub monitoring_role: String,
    pub sso_hash: String,
    pub java_package: String,
}

const COMPANIES: &[&str] = &[
    "acme",
    "juniper",
    "orbit",
    "northwind",
    "kestrel",
    "bluefin",
    "tandem",
    "copperleaf",
    "lumen",
    "harbor",
    "quill",
    "mosaic",
    "pinecone",
    "vantage",
    "saltbox",
    "meridian",
];

impl Company {
    /// A company whose automation matches its infrastructure-as-code tool (`Terraform`, `CDK`, `CloudFormation`).
    pub fn random(rng: &mut SimRng, iac: &str) -> Company {
        let slug = *pick(rng, COMPANIES);
        let ci_role =
            pick(rng, &["{c}-ci-deployer", "gha-oidc-deploy", "github-actions-deploy", "{c}-deploy-pipeline"])
                .replace("{c}", slug);
        let iac_role = if iac == "Terraform" {
            pick(rng, &["{c}-terraform", "terraform-apply", "atlantis-terraform"]).replace("{c}", slug)
        } else {
            format!("cdk-hnb659fds-cfn-exec-role-{}", super::random::digits(rng, 12))
        };
        let monitoring_role = pick(
            rng,
            &["DatadogAWSIntegrationRole", "grafana-cloudwatch-reader", "NewRelicInfrastructure-Integrations"],
        )
        .to_string();
        Company {
            slug,
            email_domain: format!("{slug}.example"),
            ci_session: pick(rng, &["GitHubActions", "deploy", "gha-{n}", "codepipeline-{n}"])
                .replace("{n}", &super::random::digits(rng, 10)),
            ci_role,
            iac_role,
            monitoring_role,
            sso_hash: super::random::hex(rng, 16),
            java_package: format!("com.{slug}"),
        }
    }
}

pub const PEOPLE: &[&str] = &[
    "alice", "bob", "carol", "dmitri", "emma", "hiro", "jamal", "keiko", "maria", "olga", "pedro", "wen", "li", "sam",
    "tomas", "fatima", "ravi", "nina", "yuki", "omar", "grace", "ines", "kofi", "lena", "mateo", "priya", "sven",
];

pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "sa-east-1",
    "ca-central-1",
];

/// An external HTTP API a workload depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    /// How the team calls it in code and logs (`paylane`).
    pub name: &'static str,
    pub host: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    /// What it does, for the architecture text (`payment provider`).
    pub purpose: &'static str,
    /// The log message of a successful call.
    pub success: &'static str,
}

pub const PROVIDERS: &[Provider] = &[
    Provider {
        name: "paylane",
        host: "api.paylane.io",
        method: "POST",
        path: "/v1/charges",
        purpose: "payment provider",
        success: "charge authorized",
    },
    Provider {
        name: "geonova",
        host: "api.geonova.net",
        method: "GET",
        path: "/v2/geocode",
        purpose: "geocoding service",
        success: "address geocoded",
    },
    Provider {
        name: "shipwise",
        host: "rates.shipwise.com",
        method: "POST",
        path: "/v3/rates",
        purpose: "shipping-rate provider",
        success: "shipping rates fetched",
    },
    Provider {
        name: "mailjolt",
        host: "api.mailjolt.com",
        method: "POST",
        path: "/v3/mail/send",
        purpose: "transactional email provider",
        success: "email queued",
    },
    Provider {
        name: "taxwell",
        host: "api.taxwell.io",
        method: "POST",
        path: "/v1/calculate",
        purpose: "tax calculation service",
        success: "tax calculated",
    },
    Provider {
        name: "riskly",
        host: "score.riskly.ai",
        method: "POST",
        path: "/v2/score",
        purpose: "fraud-scoring service",
        success: "risk score received",
    },
    Provider {
        name: "fxdesk",
        host: "api.fxdesk.org",
        method: "GET",
        path: "/latest",
        purpose: "currency-rate service",
        success: "fx rates refreshed",
    },
    Provider {
        name: "addressly",
        host: "verify.addressly.co",
        method: "POST",
        path: "/v1/verify",
        purpose: "address-validation service",
        success: "address verified",
    },
];

/// Internal services reached over private DNS (`ledger.internal.acme.example`).
pub const INTERNAL_SERVICES: &[&str] =
    &["ledger", "inventory", "pricing", "identity", "catalog", "entitlements", "search"];

pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Mobile Safari/537.36",
    "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230901.001)",
    "okhttp/4.12.0",
    "axios/1.6.8",
    "python-requests/2.31.0",
    "Amazon CloudFront",
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn cdk_names_carry_hash_suffixes() {
        let mut rng = SimRng::seed_from_u64(5);
        let namer = Namer { style: NamingStyle::Cdk };
        let name = namer.function(&mut rng, "orders", "orders-api");
        assert!(name.starts_with("OrdersStack-OrdersApiHandler"), "{name}");
        let suffix = name.rsplit('-').next().unwrap();
        assert_eq!(suffix.len(), 12);
    }

    #[test]
    fn plain_and_prefixed_names() {
        let mut rng = SimRng::seed_from_u64(5);
        let domain = DOMAINS[0];
        assert_eq!(Namer { style: NamingStyle::Plain }.function(&mut rng, "orders", "orders-api"), "orders-api");
        assert_eq!(Namer { style: NamingStyle::EnvPrefix("prd") }.api(&domain), "prd-orders-api");
        assert_eq!(Namer { style: NamingStyle::Camel }.function(&mut rng, "orders", "orders-api"), "OrdersApi");
    }
}
