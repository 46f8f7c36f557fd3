//! Lambda `Think` (ASL state `Think`, `${ThinkFunctionArn}`): asks the brain for the next step of the loop. Wiring only; see `shared::edges::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edges::lambda::serve_think().await
}
