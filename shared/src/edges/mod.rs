//! Adapters behind the ports: the offline ones (incident bundle, directory blob store); AWS ones join later.

pub mod blob_dir;
pub mod bundle;
pub mod lambda;
pub mod output_dir;
