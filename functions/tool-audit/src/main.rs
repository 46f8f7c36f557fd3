//! Lambda `ToolAudit` (ASL state `ToolAudit`, `${ToolAuditFunctionArn}`): looks up CloudTrail changes for one tool call. Wiring only; see `shared::edges::lambda`.

use shared::contract::ToolName;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_tool(ToolName::Audit).await
}
