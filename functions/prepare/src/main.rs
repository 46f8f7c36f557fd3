//! Lambda `Prepare` (ASL state `Prepare`, `${PrepareFunctionArn}`): validates the execution input and builds the run context. Wiring only; see `shared::edges::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_prepare().await
}
