//! Lambda `Notify` (ASL state `Notify`, `${NotifyFunctionArn}`): stores and publishes the report. Wiring only; see `shared::edges::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_notify().await
}
