//! One async fn per Lambda (stub).
