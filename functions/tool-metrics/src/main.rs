//! Lambda `ToolMetrics` (ASL state `ToolMetrics`, `${ToolMetricsFunctionArn}`): reads CloudWatch metrics for one tool call. Wiring only; see `shared::edges::lambda`.

use shared::contract::ToolName;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_tool(ToolName::Metrics).await
}
