//! Configuration: the typed model, its built-in defaults, and loading of layered YAML files.

mod commit_messages;
mod extras;
mod load;
mod locate;
mod model;
mod release;

pub use commit_messages::*;
pub use extras::*;
pub use load::*;
pub use model::*;
pub use release::*;
