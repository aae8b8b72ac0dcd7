//! What a webhook payload tells the report, reduced to a few small facts with GitHub's times
//! (never the time the delivery arrived), and how the facts of many deliveries assemble into
//! [`ReportInput`]'s pull requests, board moves and tags. The store keeps these facts after the
//! deliveries themselves are pruned, so eight weeks of trend outlive a seven-day retention.
//!
//! Payloads are untrusted: a missing or malformed field drops that fact, never the report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input::{BoardMove, LabelChange, Millis, Pull, Review, Reviewer, Tag};

/// One fact from one delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    /// A pull request as a `pull_request` event showed it.
    Pull {
        /// `owner/name`.
        repo: String,
        /// Number.
        number: u64,
        /// Title.
        title: String,
        /// Author login.
        author: String,
        /// The head branch.
        head: String,
        /// `created_at`.
        opened_at: Millis,
        /// `merged_at`.
        merged_at: Option<Millis>,
        /// `closed_at`.
        closed_at: Option<Millis>,
        /// `updated_at`: the latest state wins.
        updated_at: Millis,
    },
    /// A label added or removed.
    Label {
        /// `owner/name`.
        repo: String,
        /// Number.
        number: u64,
        /// The change.
        #[serde(flatten)]
        change: LabelChange,
    },
    /// A review submitted.
    Review {
        /// `owner/name`.
        repo: String,
        /// Number.
        number: u64,
        /// The review.
        #[serde(flatten)]
        review: Review,
    },
    /// A card's single-select field (the board's column) set.
    Board {
        /// The organisation owning the project.
        org: String,
        /// The move.
        #[serde(flatten)]
        change: BoardMove,
    },
    /// A tag: a release published, or a tag pushed.
    Tag {
        /// The tag.
        #[serde(flatten)]
        tag: Tag,
    },
    /// Commits pushed to a branch: the earliest commit time.
    Push {
        /// `owner/name`.
        repo: String,
        /// The branch.
        branch: String,
        /// The earliest commit timestamp of the push.
        first_commit_at: Millis,
    },
}

impl Fact {
    /// The repository the fact is about (`None` for a board move, which belongs to an
    /// organisation's project).
    pub fn repo(&self) -> Option<&str> {
        match self {
            Fact::Pull { repo, .. }
            | Fact::Label { repo, .. }
            | Fact::Review { repo, .. }
            | Fact::Push { repo, .. } => Some(repo),
            Fact::Tag { tag } => Some(&tag.repo),
            Fact::Board { .. } => None,
        }
    }

    /// GitHub's time of the event the fact records.
    pub fn at(&self) -> Millis {
        match self {
            Fact::Pull { updated_at, .. } => *updated_at,
            Fact::Label { change, .. } => change.at,
            Fact::Review { review, .. } => review.at,
            Fact::Board { change, .. } => change.at,
            Fact::Tag { tag } => tag.at,
            Fact::Push { first_commit_at, .. } => *first_commit_at,
        }
    }

    /// The organisation (the repository's owner, or the project's).
    pub fn org(&self) -> Option<&str> {
        match self {
            Fact::Board { org, .. } => Some(org),
            other => other.repo().and_then(|r| r.split_once('/')).map(|(o, _)| o),
        }
    }
}

/// The events whose payloads hold facts.
pub const EVENTS: [&str; 5] =
    ["pull_request", "pull_request_review", "projects_v2_item", "release", "push"];

fn time(v: &Value) -> Option<Millis> {
    match v {
        Value::String(s) => s.parse::<jiff::Timestamp>().ok().map(jiff::Timestamp::as_millisecond),
        // `push` payloads carry `repository.pushed_at` as unix seconds.
        Value::Number(n) => n.as_i64().and_then(|s| s.checked_mul(1000)),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(|s| s.chars().take(300).collect())
}

/// The facts in one delivery of `event` with payload `body`.
pub fn extract(event: &str, body: &[u8]) -> Vec<Fact> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let repo = text(&v["repository"]["full_name"]);
    let action = v["action"].as_str().unwrap_or("");
    let mut out = Vec::new();
    match (event, repo) {
        ("pull_request", Some(repo)) => {
            let pr = &v["pull_request"];
            let Some(number) = pr["number"].as_u64() else { return out };
            let updated = time(&pr["updated_at"]);
            if let (Some(opened_at), Some(updated_at)) = (time(&pr["created_at"]), updated) {
                out.push(Fact::Pull {
                    repo: repo.clone(),
                    number,
                    title: text(&pr["title"]).unwrap_or_default(),
                    author: text(&pr["user"]["login"]).unwrap_or_default(),
                    head: text(&pr["head"]["ref"]).unwrap_or_default(),
                    opened_at,
                    merged_at: time(&pr["merged_at"]),
                    closed_at: time(&pr["closed_at"]),
                    updated_at,
                });
            }
            if let (Some(label), Some(at), "labeled" | "unlabeled") =
                (text(&v["label"]["name"]), updated, action)
            {
                let change = LabelChange { label, added: action == "labeled", at };
                out.push(Fact::Label { repo, number, change });
            }
        }
        ("pull_request_review", Some(repo)) if action == "submitted" => {
            let r = &v["review"];
            let (Some(number), Some(at), Some(login)) = (
                v["pull_request"]["number"].as_u64(),
                time(&r["submitted_at"]),
                text(&r["user"]["login"]),
            ) else {
                return out;
            };
            let bot = r["user"]["type"].as_str() == Some("Bot") || login.ends_with("[bot]");
            let reviewer = if login.starts_with("coderabbitai") {
                Reviewer::CodeRabbit
            } else if bot {
                Reviewer::OtherBot
            } else {
                Reviewer::Human
            };
            let state = r["state"].as_str().unwrap_or("").to_ascii_lowercase();
            out.push(Fact::Review { repo, number, review: Review { login, reviewer, state, at } });
        }
        ("projects_v2_item", _) if action == "edited" => {
            let fv = &v["changes"]["field_value"];
            let item = &v["projects_v2_item"];
            // GitHub names the new option (`to.name`) for single-select fields; without it the
            // column is unknown and the move is not counted.
            if let (Some("single_select"), Some(column), Some(id), Some(at), Some(org)) = (
                fv["field_type"].as_str(),
                text(&fv["to"]["name"]),
                text(&item["node_id"]),
                time(&item["updated_at"]),
                text(&v["organization"]["login"]),
            ) {
                out.push(Fact::Board { org, change: BoardMove { item: id, column, at } });
            }
        }
        ("release", Some(repo)) if action == "published" => {
            let r = &v["release"];
            if let (Some(name), Some(at)) = (text(&r["tag_name"]), time(&r["published_at"])) {
                out.push(Fact::Tag { tag: Tag { repo, name, at } });
            }
        }
        ("push", Some(repo)) => {
            let r = v["ref"].as_str().unwrap_or("");
            if let Some(name) = r.strip_prefix("refs/tags/") {
                if v["created"].as_bool() == Some(true)
                    && let Some(at) = time(&v["repository"]["pushed_at"])
                {
                    out.push(Fact::Tag {
                        tag: Tag { repo, name: name.chars().take(300).collect(), at },
                    });
                }
            } else if let Some(branch) = r.strip_prefix("refs/heads/") {
                let first = v["commits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(2048)
                    .filter_map(|c| time(&c["timestamp"]))
                    .min();
                if let Some(first_commit_at) = first {
                    out.push(Fact::Push {
                        repo,
                        branch: branch.chars().take(300).collect(),
                        first_commit_at,
                    });
                }
            }
        }
        _ => {}
    }
    out
}

/// What the facts of many deliveries add up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assembled {
    /// Pull requests, by repository and number.
    pub pulls: Vec<Pull>,
    /// Board moves.
    pub board: Vec<BoardMove>,
    /// Tags, one per (repository, name), at its earliest time.
    pub tags: Vec<Tag>,
}

/// Assembles facts (in any order, duplicates allowed) into pull requests, moves and tags.
pub fn assemble(facts: &[Fact]) -> Assembled {
    let mut pulls: BTreeMap<(String, u64), (Pull, Millis, String)> = BTreeMap::new();
    let mut board: Vec<BoardMove> = Vec::new();
    let mut tags: BTreeMap<(String, String), Millis> = BTreeMap::new();
    let mut pushes: BTreeMap<(String, String), Vec<Millis>> = BTreeMap::new();
    let entry =
        |pulls: &mut BTreeMap<(String, u64), (Pull, Millis, String)>, repo: &str, number: u64| {
            pulls
                .entry((repo.to_string(), number))
                .or_insert_with(|| {
                    let p = Pull { repo: repo.to_string(), number, ..Pull::default() };
                    (p, Millis::MIN, String::new())
                })
                .0
                .number
        };
    for f in facts {
        match f {
            Fact::Pull {
                repo,
                number,
                title,
                author,
                head,
                opened_at,
                merged_at,
                closed_at,
                updated_at,
            } => {
                entry(&mut pulls, repo, *number);
                if let Some((p, seen, branch)) = pulls.get_mut(&(repo.clone(), *number)) {
                    p.opened_at = Some(p.opened_at.map_or(*opened_at, |o| o.min(*opened_at)));
                    if *updated_at >= *seen {
                        *seen = *updated_at;
                        p.title.clone_from(title);
                        p.author.clone_from(author);
                        p.merged_at = *merged_at;
                        p.closed_at = *closed_at;
                        branch.clone_from(head);
                    }
                }
            }
            Fact::Label { repo, number, change } => {
                entry(&mut pulls, repo, *number);
                if let Some((p, _, _)) = pulls.get_mut(&(repo.clone(), *number))
                    && !p.labels.contains(change)
                {
                    p.labels.push(change.clone());
                }
            }
            Fact::Review { repo, number, review } => {
                entry(&mut pulls, repo, *number);
                if let Some((p, _, _)) = pulls.get_mut(&(repo.clone(), *number))
                    && !p.reviews.contains(review)
                {
                    p.reviews.push(review.clone());
                }
            }
            Fact::Board { change, .. } => {
                if !board.contains(change) {
                    board.push(change.clone());
                }
            }
            Fact::Tag { tag } => {
                let e = tags.entry((tag.repo.clone(), tag.name.clone())).or_insert(tag.at);
                *e = (*e).min(tag.at);
            }
            Fact::Push { repo, branch, first_commit_at } => {
                pushes.entry((repo.clone(), branch.clone())).or_default().push(*first_commit_at);
            }
        }
    }
    let pulls = pulls
        .into_values()
        .map(|(mut p, _, branch)| {
            // The first commit pushed to the pull request's branch before it closed.
            let end = p.closed_at.unwrap_or(Millis::MAX);
            p.first_commit_at = pushes
                .get(&(p.repo.clone(), branch))
                .and_then(|ts| ts.iter().copied().filter(|t| *t <= end).min());
            p.reviews.sort_by_key(|r| r.at);
            p.labels.sort_by_key(|l| l.at);
            p
        })
        .filter(|p| p.opened_at.is_some())
        .collect();
    board.sort_by(|a, b| (a.at, &a.item).cmp(&(b.at, &b.item)));
    let tags = tags.into_iter().map(|((repo, name), at)| Tag { repo, name, at }).collect();
    Assembled { pulls, board, tags }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const T0: Millis = 1_796_000_000_000;

    fn iso(ms: Millis) -> String {
        jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
    }

    fn pr_event(action: &str, number: u64, updated: Millis, extra: Value) -> Vec<u8> {
        let mut v = json!({
            "action": action,
            "repository": {"full_name": "plasma/engine"},
            "pull_request": {
                "number": number, "title": "Add cache", "user": {"login": "alice"},
                "head": {"ref": "feat/cache"}, "created_at": iso(T0), "updated_at": iso(updated),
                "merged_at": null, "closed_at": null
            }
        });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in e {
                o.insert(k.clone(), x.clone());
            }
        }
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn payloads_become_facts_with_githubs_times() {
        let labeled =
            pr_event("labeled", 7, T0 + 60_000, json!({"label": {"name": "agent:cursor"}}));
        let facts = extract("pull_request", &labeled);
        assert_eq!(facts.len(), 2);
        assert!(
            matches!(&facts[1], Fact::Label { change, .. } if change.added && change.at == T0 + 60_000)
        );

        let review = json!({
            "action": "submitted", "repository": {"full_name": "plasma/engine"},
            "pull_request": {"number": 7},
            "review": {"user": {"login": "coderabbitai[bot]", "type": "Bot"}, "state": "APPROVED",
                       "submitted_at": iso(T0 + 3_600_000)}
        });
        let facts = extract("pull_request_review", &serde_json::to_vec(&review).unwrap());
        assert!(matches!(&facts[0], Fact::Review { review, .. }
            if review.reviewer == Reviewer::CodeRabbit && review.state == "approved"));

        let moved = json!({
            "action": "edited", "organization": {"login": "plasma"},
            "changes": {"field_value": {"field_type": "single_select", "field_node_id": "F",
                        "to": {"id": "o2", "name": "In Progress"}}},
            "projects_v2_item": {"node_id": "PVTI_1", "updated_at": iso(T0)}
        });
        let facts = extract("projects_v2_item", &serde_json::to_vec(&moved).unwrap());
        assert_eq!(facts[0].org(), Some("plasma"));
        assert_eq!(facts[0].repo(), None);

        let release = json!({"action": "published", "repository": {"full_name": "plasma/engine"},
                             "release": {"tag_name": "v1.0.0", "published_at": iso(T0)}});
        assert_eq!(extract("release", &serde_json::to_vec(&release).unwrap()).len(), 1);
        let tag_push = json!({"ref": "refs/tags/v1.0.1", "created": true,
                              "repository": {"full_name": "plasma/engine", "pushed_at": T0 / 1000}});
        let facts = extract("push", &serde_json::to_vec(&tag_push).unwrap());
        assert!(matches!(&facts[0], Fact::Tag { tag } if tag.at == T0 && tag.name == "v1.0.1"));

        for junk in [&b"not json"[..], b"{}", b"[]", b"{\"repository\":{\"full_name\":1}}"] {
            for event in EVENTS {
                assert!(extract(event, junk).is_empty());
            }
        }
    }

    #[test]
    fn facts_assemble_whatever_their_order() {
        let push = json!({"ref": "refs/heads/feat/cache", "repository": {"full_name": "plasma/engine"},
                          "commits": [{"timestamp": iso(T0 - 7_200_000)}, {"timestamp": iso(T0 - 3_600_000)}]});
        let closed = {
            let mut b: Value =
                serde_json::from_slice(&pr_event("closed", 7, T0 + 9_000, json!({}))).unwrap();
            b["pull_request"]["merged_at"] = json!(iso(T0 + 9_000));
            b["pull_request"]["closed_at"] = json!(iso(T0 + 9_000));
            serde_json::to_vec(&b).unwrap()
        };
        let mut facts = Vec::new();
        facts.extend(extract("pull_request", &closed));
        facts.extend(extract("pull_request", &pr_event("opened", 7, T0, json!({}))));
        facts.extend(extract("push", &serde_json::to_vec(&push).unwrap()));
        // A redelivery adds nothing.
        facts.extend(extract(
            "pull_request",
            &pr_event("labeled", 7, T0 + 1, json!({"label": {"name": "x"}})),
        ));
        facts.extend(extract(
            "pull_request",
            &pr_event("labeled", 7, T0 + 1, json!({"label": {"name": "x"}})),
        ));
        let a = assemble(&facts);
        assert_eq!(a.pulls.len(), 1);
        let p = &a.pulls[0];
        assert_eq!(p.opened_at, Some(T0));
        assert_eq!(p.merged_at, Some(T0 + 9_000), "the latest state wins, whatever the order");
        assert_eq!(p.first_commit_at, Some(T0 - 7_200_000));
        assert_eq!(p.labels.len(), 1);
    }
}
