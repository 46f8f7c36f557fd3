//! One async fn per Lambda of the loop. Each takes its typed input, calls ports, returns its typed output; the
//! function binaries and the local runner call exactly these.

pub mod finalize;
pub mod notify;
pub mod observe;
pub mod prepare;
pub mod think;
pub mod tool;

pub use finalize::finalize;
pub use notify::{Notification, notify};
pub use observe::observe;
pub use prepare::{ExecutionRef, PrepareRequest, prepare};
pub use think::{ThinkRequest, think};
pub use tool::tool;
