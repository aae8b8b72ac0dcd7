//! Configuration: the typed model, its built-in defaults, and loading of layered YAML files.

mod coverage;
mod extras;
mod load;
mod locate;
mod model;

pub use coverage::*;
pub use extras::*;
pub use load::*;
pub use model::*;
