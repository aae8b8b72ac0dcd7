//! Why a job runs ([`Cause`]), and the list of causes a job carries between runs.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// What triggered a job: a webhook delivery, or one of the triggers that have none.
///
/// Stored (and serialised) as text, exactly as before this type existed: a delivery's id, or the
/// word `sweep`, `cli` or `sha`. GitHub's delivery ids are GUIDs, so they never collide with those
/// words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Cause {
    /// The webhook delivery with this `X-GitHub-Delivery` id.
    Delivery(String),
    /// The periodic sweep of open pull requests.
    Sweep,
    /// A person, through the command line.
    Cli,
    /// A commit's fan-out to its pull requests, when no delivery is known.
    Sha,
}

impl Cause {
    /// The stored text.
    pub fn as_str(&self) -> &str {
        match self {
            Cause::Delivery(id) => id,
            Cause::Sweep => "sweep",
            Cause::Cli => "cli",
            Cause::Sha => "sha",
        }
    }

    /// The delivery id, when a delivery is the cause.
    pub fn delivery_id(&self) -> Option<&str> {
        match self {
            Cause::Delivery(id) => Some(id),
            Cause::Sweep | Cause::Cli | Cause::Sha => None,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every text is a cause: the three words, or else a delivery id.
impl FromStr for Cause {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Cause, Infallible> {
        Ok(match text {
            "sweep" => Cause::Sweep,
            "cli" => Cause::Cli,
            "sha" => Cause::Sha,
            id => Cause::Delivery(id.to_owned()),
        })
    }
}

impl From<String> for Cause {
    fn from(text: String) -> Cause {
        match text.as_str() {
            "sweep" => Cause::Sweep,
            "cli" => Cause::Cli,
            "sha" => Cause::Sha,
            _ => Cause::Delivery(text),
        }
    }
}

impl From<&str> for Cause {
    fn from(text: &str) -> Cause {
        Cause::from(text.to_owned())
    }
}

impl From<Cause> for String {
    fn from(cause: Cause) -> String {
        match cause {
            Cause::Delivery(id) => id,
            other => other.as_str().to_owned(),
        }
    }
}

/// Compares the stored text, so a list of causes can be checked against plain strings.
impl PartialEq<str> for Cause {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Cause {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Cause {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

/// At most this many causes are kept per run: enough to correlate logs, bounded so a pull
/// request with a storm of events does not grow its row without limit.
pub const MAX_CAUSES: usize = 50;

/// Appends `extra` to `causes`, skipping duplicates and anything past [`MAX_CAUSES`].
///
/// The earliest causes are the ones kept: the first is what delivery-to-applied latency is
/// measured from, and later ones still trigger the job even when not listed.
pub(crate) fn merge<'a>(causes: &mut Vec<Cause>, extra: impl IntoIterator<Item = &'a Cause>) {
    for cause in extra {
        if causes.len() >= MAX_CAUSES {
            break;
        }
        if !causes.contains(cause) {
            causes.push(cause.clone());
        }
    }
}

/// Reads a stored JSON array of causes.
pub(crate) fn decode(json: &str, key: &str) -> Result<Vec<Cause>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what: format!("list of causes of job {key:?}"),
        detail: e.to_string(),
    })
}

/// Writes causes as a JSON array (portable: a TEXT column in SQLite, TEXT or JSONB elsewhere).
pub(crate) fn encode(causes: &[Cause]) -> String {
    // Serialising a list of strings cannot fail; the fallback only keeps the signature infallible.
    serde_json::to_string(causes).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(texts: &[&str]) -> Vec<Cause> {
        texts.iter().map(|t| Cause::from((*t).to_owned())).collect()
    }

    #[test]
    fn text_table() {
        let table = [
            ("sweep", Cause::Sweep),
            ("cli", Cause::Cli),
            ("sha", Cause::Sha),
            (
                "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                Cause::Delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958".into()),
            ),
            ("test", Cause::Delivery("test".into())),
            ("Sweep", Cause::Delivery("Sweep".into())),
            ("", Cause::Delivery(String::new())),
        ];
        for (text, cause) in table {
            assert_eq!(text.parse::<Cause>(), Ok(cause.clone()), "{text:?}");
            assert_eq!(Cause::from(text.to_owned()), cause, "{text:?}");
            assert_eq!(cause.to_string(), text);
            assert_eq!(String::from(cause.clone()), text);
            assert_eq!(
                serde_json::to_string(&cause).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
        assert_eq!(Cause::Delivery("d1".into()).delivery_id(), Some("d1"));
        assert!([Cause::Sweep, Cause::Cli, Cause::Sha].iter().all(|c| c.delivery_id().is_none()));
    }

    /// Any text reads back as itself, through `FromStr`/`Display` and through JSON, so stored
    /// rows written before the type existed keep their meaning.
    #[test]
    fn every_text_round_trips() {
        use rand::{Rng, SeedableRng};
        let alphabet: Vec<char> = "abcdefghswepclih-_0123456789 #/:\"é🦀".chars().collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..2_000 {
            let len = rng.random_range(0..12);
            let text: String =
                (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
            let cause: Cause = text.parse().unwrap();
            assert_eq!(cause.to_string(), text);
            assert_eq!(cause.to_string().parse::<Cause>().unwrap(), cause);
            let json = serde_json::to_string(&cause).unwrap();
            assert_eq!(json, serde_json::to_string(&text).unwrap());
            assert_eq!(serde_json::from_str::<Cause>(&json).unwrap(), cause);
        }
    }

    #[test]
    fn merge_deduplicates_and_keeps_order() {
        let mut causes = list(&["a"]);
        merge(&mut causes, &list(&["b", "a", "sweep", "b"]));
        assert_eq!(causes, ["a", "b", "sweep"]);
    }

    #[test]
    fn merge_keeps_the_first_fifty() {
        let ids: Vec<Cause> = (0..80).map(|i| Cause::Delivery(format!("d{i}"))).collect();
        let mut causes = Vec::new();
        merge(&mut causes, &ids);
        assert_eq!(causes.len(), MAX_CAUSES);
        assert_eq!(causes.first(), Some(&Cause::Delivery("d0".into())));
        assert_eq!(causes.last(), Some(&Cause::Delivery("d49".into())));
    }

    #[test]
    fn round_trip_and_corruption() {
        let causes = list(&["x", "sweep"]);
        assert_eq!(encode(&causes), r#"["x","sweep"]"#);
        assert_eq!(decode(&encode(&causes), "k").unwrap(), causes);
        let err = decode("not json", "o/r#1").unwrap_err();
        assert!(err.to_string().contains("o/r#1"), "{err}");
    }
}
