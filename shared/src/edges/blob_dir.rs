//! A directory used as the blob store: offline runs keep raw tool outputs and reports here, as S3 would.

use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;

use crate::error::{Fa2Error, Result};
use crate::ports::BlobStore;

/// Blobs as files under `root`; a key `runs/r1/report.json` is the file `root/runs/r1/report.json`.
#[derive(Debug, Clone)]
pub struct DirBlobStore {
    root: PathBuf,
}

impl DirBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirBlobStore { root: root.into() }
    }

    /// The file a key maps to; keys must be relative and stay inside the root.
    pub fn path_of(&self, key: &str) -> Result<PathBuf> {
        let relative = Path::new(key);
        let safe = !key.is_empty() && relative.components().all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(Fa2Error::invalid(format!("blob key {key:?} must be a relative path without '..'")));
        }
        Ok(self.root.join(relative))
    }
}

#[async_trait]
impl BlobStore for DirBlobStore {
    fn locate(&self, key: &str) -> String {
        self.root.join(key).display().to_string()
    }

    async fn put(&self, key: &str, body: Vec<u8>, _content_type: &str) -> Result<String> {
        let path = self.path_of(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| Fa2Error::Upstream(format!("cannot create {}: {e}", parent.display())))?;
        }
        tokio::fs::write(&path, body)
            .await
            .map_err(|e| Fa2Error::Upstream(format!("cannot write {}: {e}", path.display())))?;
        Ok(path.display().to_string())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let path = self.path_of(key)?;
        tokio::fs::read(&path).await.map_err(|e| Fa2Error::Upstream(format!("cannot read {}: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_then_get_round_trips_and_rejects_escaping_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirBlobStore::new(dir.path());
        let reference = store.put("runs/r1/a.json", b"{}".to_vec(), "application/json").await.unwrap();
        assert!(reference.ends_with("runs/r1/a.json"));
        assert_eq!(store.get("runs/r1/a.json").await.unwrap(), b"{}");
        assert!(store.put("../x", vec![], "text/plain").await.is_err());
        assert!(store.get("/etc/passwd").await.is_err());
        assert!(store.get("runs/none").await.is_err());
    }
}
