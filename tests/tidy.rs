//! Tidy: repository-wide rules that keep the code readable and the zones honest (ARCHITECTURE.md, invariants).

use std::path::{Path, PathBuf};

use fa2_tests::workspace;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().to_string();
        if path.is_dir() && !matches!(name.as_str(), "target" | "node_modules" | "cdk.out" | ".git") {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The non-test code of a file: everything before its `#[cfg(test)]` module, without comment lines.
fn production_code(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn sources(under: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&workspace().join(under), &mut files);
    files.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

#[test]
fn every_rust_file_starts_with_a_doc_line() {
    for dir in ["shared", "statemachine", "functions", "cli", "tests"] {
        for (path, text) in sources(dir) {
            assert!(text.starts_with("//!"), "{} must start with a //! line saying what it is for", path.display());
        }
    }
}

#[test]
fn domain_and_contract_do_no_io() {
    for zone in ["shared/src/domain", "shared/src/contract"] {
        for (path, text) in sources(zone) {
            let code = production_code(&text);
            for forbidden in ["tokio::", "std::fs", "aws_sdk_", "std::net", "reqwest", "Utc::now()", "std::env"] {
                assert!(!code.contains(forbidden), "{} uses {forbidden}: the domain zone is pure", path.display());
            }
        }
    }
}

#[test]
fn only_config_reads_the_environment() {
    for dir in ["shared", "functions", "cli", "statemachine"] {
        for (path, text) in sources(dir) {
            let code = production_code(&text);
            let reads = code.contains("env::var(") || code.contains("env::var_os(");
            assert!(!reads || path.ends_with("shared/src/config.rs"), "{} reads environment variables", path.display());
        }
    }
}

#[test]
fn function_crates_only_wire() {
    for (path, text) in sources("functions") {
        let lines = text.lines().count();
        assert!(lines <= 40, "{} has {lines} lines: a function crate wires, shared decides", path.display());
    }
}
