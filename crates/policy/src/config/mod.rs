//! Configuration: the typed model, its built-in defaults, and loading of layered YAML files.

mod extras;
pub mod guard;
mod load;
mod locate;
mod model;

pub use extras::*;
pub use load::*;
pub use model::*;
