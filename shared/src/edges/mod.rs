//! Adapters behind the ports: the AWS ones (`aws`) and the offline ones (incident bundle, directory blob store).

pub mod aws;
pub mod blob_dir;
pub mod bundle;
pub mod filter_pattern;
pub mod lambda;
pub mod output_dir;
