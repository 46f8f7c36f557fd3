//! Lambda `ToolXray` (ASL state `ToolXray`, `${ToolXrayFunctionArn}`): reads X-Ray traces for one tool call. Wiring only; see `shared::edges::lambda`.

use shared::contract::ToolName;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_tool(ToolName::Xray).await
}
