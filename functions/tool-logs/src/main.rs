//! Lambda `ToolLogs` (ASL state `ToolLogs`, `${ToolLogsFunctionArn}`): runs one Logs Insights tool call. Wiring only; see `shared::edges::lambda`.

use shared::contract::ToolName;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_tool(ToolName::Logs).await
}
