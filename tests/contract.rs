//! Contract tests: the ASL definition, the function crates, the error names and the tool names agree.

use std::collections::BTreeSet;

use fa2_tests::workspace;
use shared::contract::ToolName;
use shared::error::ERROR_TYPES;
use statemachine::{FA2_DEFINITION, StateMachine};

fn machine() -> StateMachine {
    StateMachine::parse(FA2_DEFINITION).expect("statemachine/fa2.asl.json parses and validates")
}

/// `ToolLogs` → `tool-logs`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn placeholder_names() -> BTreeSet<String> {
    machine()
        .task_resources()
        .iter()
        .map(|r| {
            r.strip_prefix("${")
                .and_then(|r| r.strip_suffix("FunctionArn}"))
                .unwrap_or_else(|| panic!("resource {r} is not a ${{NameFunctionArn}} placeholder"))
                .to_string()
        })
        .collect()
}

#[test]
fn every_task_placeholder_has_a_function_crate_and_every_loop_crate_a_placeholder() {
    let names = placeholder_names();
    for name in &names {
        let manifest = workspace().join("functions").join(kebab(name)).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        assert!(
            text.contains(&format!("name = \"{}\"", kebab(name))),
            "{} names its package {}",
            manifest.display(),
            kebab(name)
        );
    }
    let crates: BTreeSet<String> = std::fs::read_dir(workspace().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let expected: BTreeSet<String> = names.iter().map(|n| kebab(n)).collect();
    // slack-events starts executions; it is not a state of the loop.
    let loop_crates: BTreeSet<String> = crates.into_iter().filter(|c| c != "slack-events").collect();
    assert_eq!(loop_crates, expected);
}

#[test]
fn every_error_name_in_the_definition_is_one_we_raise_or_a_service_name() {
    let ours: BTreeSet<&str> = ERROR_TYPES.iter().copied().collect();
    for name in machine().error_equals_names() {
        let known = ours.contains(name.as_str()) || name.starts_with("States.") || name.starts_with("Lambda.");
        assert!(known, "ErrorEquals names {name:?}, which is neither in ERROR_TYPES nor a States./Lambda. error");
    }
    for name in ERROR_TYPES.iter().filter(|n| **n != "Fa2.InvalidInput") {
        let used = machine().error_equals_names().iter().any(|n| n == name);
        let caught_by_all = machine().error_equals_names().iter().any(|n| n == "States.ALL");
        assert!(used || caught_by_all, "{name} is neither retried nor caught");
    }
}

#[test]
fn the_tool_choice_routes_every_tool_to_its_state() {
    let definition: serde_json::Value = serde_json::from_str(FA2_DEFINITION).unwrap();
    let route = &definition["States"]["Tools"]["ItemProcessor"]["States"]["RouteTool"];
    let routes: BTreeSet<(String, String)> = route["Choices"]
        .as_array()
        .expect("RouteTool has Choices")
        .iter()
        .map(|c| (c["StringEquals"].as_str().unwrap().to_string(), c["Next"].as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> =
        ToolName::ALL.iter().map(|t| (t.as_str().to_string(), t.state_name().to_string())).collect();
    assert_eq!(routes, expected);
}

#[test]
fn every_task_retries_transient_errors_with_jitter_and_catches_everything() {
    let definition: serde_json::Value = serde_json::from_str(FA2_DEFINITION).unwrap();
    let mut tasks = Vec::new();
    collect_tasks(&definition["States"], &mut tasks);
    assert!(tasks.len() >= 10, "found {} tasks", tasks.len());
    for (name, task) in tasks {
        let retries = task["Retry"].as_array().unwrap_or_else(|| panic!("{name} has no Retry"));
        assert!(
            retries.iter().any(|r| r["ErrorEquals"].as_array().unwrap().iter().any(|e| e == "Fa2.Transient")
                && r["JitterStrategy"] == "FULL"
                && r["BackoffRate"].as_f64().unwrap_or(1.0) > 1.0),
            "{name} retries Fa2.Transient with backoff and full jitter"
        );
        let catches = task["Catch"].as_array().unwrap_or_else(|| panic!("{name} has no Catch"));
        assert!(
            catches.iter().any(|c| c["ErrorEquals"].as_array().unwrap().iter().any(|e| e == "States.ALL")),
            "{name} catches States.ALL"
        );
    }
}

fn collect_tasks<'a>(states: &'a serde_json::Value, out: &mut Vec<(String, &'a serde_json::Value)>) {
    for (name, state) in states.as_object().into_iter().flatten() {
        if state["Type"] == "Task" {
            out.push((name.clone(), state));
        }
        if let Some(inner) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
            collect_tasks(&inner["States"], out);
        }
    }
}
