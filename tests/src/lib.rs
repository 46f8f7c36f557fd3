//! Helpers shared by the integration tests: where the workspace and the incident bundles are, and the local AWS
//! emulator.

pub mod emulator;
pub mod fake_aws;

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Every incident bundle to run end to end: the repository's examples and, when present beside the repository,
/// the shared development incidents.
pub fn bundles() -> Vec<PathBuf> {
    let roots = [workspace().join("examples"), workspace().join("../shared/incidents")];
    let mut bundles: Vec<PathBuf> = roots
        .iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("input.json").is_file())
        .collect();
    bundles.sort();
    bundles
}

/// Copies a bundle without its `answer.json`, as evaluation does (the analyzer never reads it).
pub use fa2::eval::copy_without_answer;
