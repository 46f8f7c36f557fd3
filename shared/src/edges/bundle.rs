//! The incident bundle (`../shared/spec/incident-bundle.md`): loading it with errors that name file and line, and
//! the offline adapters that answer the ports' questions from it (stub until the bundle adapters land).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Fa2Error, Result};
use crate::ports::{LogEvent, MetricSeries};

/// One knowledge-base document of a bundle (`knowledge/*.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeDoc {
    pub name: String,
    pub text: String,
}

/// A loaded incident bundle. `answer.json` is never read.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dir: PathBuf,
    pub input: Value,
    pub environment: Value,
    pub logs: Vec<LogEvent>,
    pub metrics: Vec<MetricSeries>,
    pub cloudtrail: Vec<Value>,
    pub traces: Vec<Value>,
    pub knowledge: Vec<KnowledgeDoc>,
}

impl Bundle {
    /// Loads a bundle directory; a bad file gives an error naming the file (and line, for JSONL).
    pub fn load(dir: &Path) -> Result<Bundle> {
        Err(Fa2Error::invalid(format!("{}: bundle loading is not implemented yet", dir.display())))
    }
}
