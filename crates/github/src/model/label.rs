//! Labels.

use serde::Deserialize;

/// A label: of a repository (`GET .../labels`), or attached to an issue or pull request (REST
/// answers and webhook payloads alike, and the `label` of a `labeled` or `unlabeled` event).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Label {
    /// Name.
    pub name: String,
    /// Colour, hex without `#`; both payload kinds send it, but plasma-ops does not need it.
    #[serde(default)]
    pub color: Option<String>,
    /// Description; `null` when the label has none.
    #[serde(default)]
    pub description: Option<String>,
}
