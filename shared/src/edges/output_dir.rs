//! The local notifier: writes `report.json` and `report.md` into an output directory for the person at the shell.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::contract::Report;
use crate::error::{Fa2Error, Result};
use crate::ports::Notifier;

#[derive(Debug, Clone)]
pub struct OutputDir {
    pub dir: PathBuf,
}

#[async_trait]
impl Notifier for OutputDir {
    async fn publish(&self, report: &Report, markdown: &str) -> Result<String> {
        let write_error =
            |e: std::io::Error| Fa2Error::Upstream(format!("cannot write to {}: {e}", self.dir.display()));
        tokio::fs::create_dir_all(&self.dir).await.map_err(write_error)?;
        let json = serde_json::to_vec_pretty(report).map_err(|e| Fa2Error::Upstream(format!("report JSON: {e}")))?;
        tokio::fs::write(self.dir.join("report.json"), json).await.map_err(write_error)?;
        tokio::fs::write(self.dir.join("report.md"), markdown).await.map_err(write_error)?;
        Ok(self.dir.join("report.json").display().to_string())
    }
}
