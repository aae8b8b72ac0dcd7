//! Configuration: the typed model, its built-in defaults, and loading of layered YAML files.

mod model;

pub use model::*;
