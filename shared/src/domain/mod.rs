//! Pure decisions: no IO, no AWS SDK, no clock reads. Everything here is unit-tested on plain values.

pub mod budget;
pub mod evidence;
pub mod input;
pub mod render;
pub mod resources;
pub mod rules;
pub mod score;
pub mod validate;
