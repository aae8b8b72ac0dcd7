//! Configuration: the typed model, its built-in defaults, and loading of layered YAML files.

mod audit;
mod commit_messages;
mod coverage;
mod extras;
pub mod guard;
mod load;
mod locate;
mod model;
mod release;

pub use audit::*;
pub use commit_messages::*;
pub use coverage::*;
pub use extras::*;
pub use load::*;
pub use model::*;
pub use release::*;
