//! Lambda `ToolKb` (ASL state `ToolKb`, `${ToolKbFunctionArn}`): retrieves runbooks from the knowledge base for one tool call. Wiring only; see `shared::edges::lambda`.

use shared::contract::ToolName;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_tool(ToolName::Kb).await
}
