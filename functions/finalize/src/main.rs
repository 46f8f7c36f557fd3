//! Lambda `Finalize` (ASL state `Finalize`, `${FinalizeFunctionArn}`): concludes and assembles the report. Wiring only; see `shared::edges::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_finalize().await
}
