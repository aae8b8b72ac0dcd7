//! The list of causes (delivery ids and `"sweep"`) a job carries between runs.

use crate::error::StoreError;

/// At most this many causes are kept per run: enough to correlate logs, bounded so a pull
/// request with a storm of events does not grow its row without limit.
pub const MAX_CAUSES: usize = 50;

/// Appends `extra` to `causes`, skipping duplicates and anything past [`MAX_CAUSES`].
///
/// The earliest causes are the ones kept: the first is what delivery-to-applied latency is
/// measured from, and later ones still trigger the job even when not listed.
pub(crate) fn merge<'a>(causes: &mut Vec<String>, extra: impl IntoIterator<Item = &'a str>) {
    for cause in extra {
        if causes.len() >= MAX_CAUSES {
            break;
        }
        if !causes.iter().any(|c| c == cause) {
            causes.push(cause.to_owned());
        }
    }
}

/// Reads a stored JSON array of causes.
pub(crate) fn decode(json: &str, key: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what: format!("list of causes of job {key:?}"),
        detail: e.to_string(),
    })
}

/// Writes causes as a JSON array (portable: a TEXT column in SQLite, TEXT or JSONB elsewhere).
pub(crate) fn encode(causes: &[String]) -> String {
    // Serialising a list of strings cannot fail; the fallback only keeps the signature infallible.
    serde_json::to_string(causes).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_deduplicates_and_keeps_order() {
        let mut causes = vec!["a".to_owned()];
        merge(&mut causes, ["b", "a", "sweep", "b"]);
        assert_eq!(causes, ["a", "b", "sweep"]);
    }

    #[test]
    fn merge_keeps_the_first_fifty() {
        let ids: Vec<String> = (0..80).map(|i| format!("d{i}")).collect();
        let mut causes = Vec::new();
        merge(&mut causes, ids.iter().map(String::as_str));
        assert_eq!(causes.len(), MAX_CAUSES);
        assert_eq!(causes.first().map(String::as_str), Some("d0"));
        assert_eq!(causes.last().map(String::as_str), Some("d49"));
    }

    #[test]
    fn round_trip_and_corruption() {
        let causes = vec!["x".to_owned(), "sweep".to_owned()];
        assert_eq!(decode(&encode(&causes), "k").unwrap(), causes);
        let err = decode("not json", "o/r#1").unwrap_err();
        assert!(err.to_string().contains("o/r#1"), "{err}");
    }
}
