//! Lambda `Observe` (ASL state `Observe`, `${ObserveFunctionArn}`): folds a cycle's tool results into the notebook. Wiring only; see `shared::edges::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_observe().await
}
