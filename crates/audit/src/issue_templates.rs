//! Issue templates: the process's four (`bug`, `feature`, `task`, `adr-change`) under
//! `.github/ISSUE_TEMPLATE/`, each either Markdown with YAML front matter (`name`, `about`) or a
//! YAML issue form (`name`, `description`, `body` with valid items), and `config.yml` valid when
//! present. GitHub silently drops a template it cannot parse, so each problem is an error.

use std::collections::BTreeSet;

use yaml_serde::Value;

use super::{Checkout, line_of, place, yaml_error};
use plasma_config::report::RepoFinding;

/// The directory GitHub reads.
pub const DIR: &str = ".github/ISSUE_TEMPLATE/";
/// The template names the process requires.
pub const REQUIRED: [&str; 4] = ["bug", "feature", "task", "adr-change"];

/// A required template is missing.
pub const MISSING: &str = "issue-template-missing";
/// A template or form that GitHub would reject.
pub const INVALID: &str = "issue-template-invalid";
/// `config.yml` problems.
pub const CONFIG: &str = "issue-template-config";

const ITEM_TYPES: [&str; 5] = ["markdown", "textarea", "input", "dropdown", "checkboxes"];

/// Whether the audit reads `path`.
pub fn wanted(path: &str) -> bool {
    path.strip_prefix(DIR).is_some_and(|rest| {
        !rest.contains('/')
            && [".md", ".yml", ".yaml"].iter().any(|e| rest.to_ascii_lowercase().ends_with(e))
    })
}

/// The template file name's stem, lowercased, `_` as `-`.
fn stem(path: &str) -> Option<String> {
    let name = path.strip_prefix(DIR)?;
    let (stem, _) = name.rsplit_once('.')?;
    Some(stem.to_ascii_lowercase().replace('_', "-"))
}

/// All issue template findings.
pub fn check(checkout: &Checkout) -> Vec<RepoFinding> {
    let templates: Vec<&String> = checkout.paths.iter().filter(|p| wanted(p)).collect();
    let mut findings = Vec::new();
    for name in REQUIRED {
        let found = templates.iter().any(|p| {
            stem(p)
                .is_some_and(|s| s != "config" && (s == name || s.starts_with(&format!("{name}-"))))
        });
        if !found {
            findings.push(RepoFinding::error(
                MISSING,
                format!("No `{name}` issue template under `{DIR}`; the process requires bug, feature, task and adr-change."),
                format!("Add `{DIR}{name}.yml` as an issue form (`plasma-ops audit --fix` writes one)."),
            ));
        }
    }
    for path in templates {
        let Some(text) = checkout.text(path) else { continue };
        let lower = path.to_ascii_lowercase();
        if stem(path).as_deref() == Some("config") && !lower.ends_with(".md") {
            findings.extend(check_config(path, text));
        } else if lower.ends_with(".md") {
            findings.extend(check_markdown(path, text));
        } else {
            findings.extend(check_form(path, text));
        }
    }
    findings
}

fn invalid(path: &str, message: String, hint: &str) -> RepoFinding {
    RepoFinding::error(INVALID, message, hint).at(path)
}

fn parse_yaml(
    path: &str,
    text: &str,
    rule: &str,
    line_offset: u32,
) -> Result<Value, Box<RepoFinding>> {
    yaml_serde::from_str::<Value>(text).map_err(|e| {
        let (loc, msg) = yaml_error(&e);
        let loc = loc.map(|(l, c)| (l + line_offset, c));
        Box::new(place(
            RepoFinding::error(
                rule,
                format!("Not valid YAML: {msg}."),
                "Fix the YAML at this line; GitHub ignores a file it cannot parse.",
            )
            .at(path),
            loc,
        ))
    })
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// Markdown template: front matter between `---` lines with `name` and `about`.
pub fn check_markdown(path: &str, text: &str) -> Vec<RepoFinding> {
    let hint = "Start the file with front matter: `---`, `name: ...`, `about: ...`, `---`.";
    // The split is the one the issue-template rule reads templates with.
    if text.lines().next().map(str::trim_end) != Some("---") {
        return vec![
            invalid(
                path,
                "The Markdown template has no YAML front matter, so GitHub does not offer it."
                    .into(),
                hint,
            )
            .line(1),
        ];
    }
    let Some((front, _)) = plasma_policy::issue_form::front_matter(text) else {
        return vec![
            invalid(path, "The front matter is never closed with `---`.".into(), hint).line(1),
        ];
    };
    let v = match parse_yaml(path, front, INVALID, 1) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    ["name", "about"]
        .iter()
        .filter(|k| str_field(&v, k).is_none())
        .map(|k| {
            invalid(
                path,
                format!("The front matter has no `{k}`; GitHub requires `name` and `about`."),
                hint,
            )
            .line(1)
        })
        .collect()
}

/// YAML issue form: `name`, `description`, `body` with typed items and unique ids.
pub fn check_form(path: &str, text: &str) -> Vec<RepoFinding> {
    let v = match parse_yaml(path, text, INVALID, 0) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    let mut out = Vec::new();
    for key in ["name", "description"] {
        if str_field(&v, key).is_none() {
            out.push(invalid(path, format!("The issue form has no `{key}`; GitHub requires `name`, `description` and `body`."), "Add the key at the top level of the form."));
        }
    }
    let Some(body) = v.get("body").and_then(Value::as_sequence).filter(|b| !b.is_empty()) else {
        out.push(invalid(
            path,
            "The issue form has no `body` list of fields.".into(),
            "Add `body:` with at least one `textarea` or `input` item.",
        ));
        return out;
    };
    let mut ids = BTreeSet::new();
    let mut inputs = 0;
    for (i, item) in body.iter().enumerate() {
        let n = i + 1;
        let ty = item.get("type").and_then(Value::as_str).unwrap_or("");
        let id = item.get("id").and_then(Value::as_str);
        let line = id.and_then(|id| line_of(text, 1, &format!("id: {id}")));
        let at = |f: RepoFinding| match line {
            Some(l) => f.line(l),
            None => f,
        };
        if !ITEM_TYPES.contains(&ty) {
            out.push(at(invalid(path, format!("Body item {n} has type `{ty}`; GitHub accepts markdown, textarea, input, dropdown and checkboxes."), "Set `type:` to one of the five form element types.")));
            continue;
        }
        if ty != "markdown" {
            inputs += 1;
        }
        let attrs = item.get("attributes");
        let need = match ty {
            "markdown" => "value",
            _ => "label",
        };
        if attrs.and_then(|a| str_field(a, need)).is_none() {
            out.push(at(invalid(
                path,
                format!("Body item {n} (`{ty}`) has no `attributes.{need}`."),
                "Add the attribute; GitHub rejects the form without it.",
            )));
        }
        if matches!(ty, "dropdown" | "checkboxes")
            && attrs
                .and_then(|a| a.get("options"))
                .and_then(Value::as_sequence)
                .is_none_or(|o| o.is_empty())
        {
            out.push(at(invalid(
                path,
                format!("Body item {n} (`{ty}`) has no `attributes.options`."),
                "List at least one option.",
            )));
        }
        if let Some(id) = id {
            if id.is_empty()
                || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                out.push(at(invalid(path, format!("Body item {n} has id `{id}`; ids may hold only letters, digits, `-` and `_`."), "Rename the id.")));
            } else if !ids.insert(id.to_string()) {
                out.push(at(invalid(
                    path,
                    format!("Body item {n} repeats the id `{id}`; ids must be unique in a form."),
                    "Give each item its own id.",
                )));
            }
        }
    }
    if inputs == 0 {
        out.push(invalid(path, "The issue form has no textarea, input, dropdown or checkboxes item; GitHub requires at least one field people fill in.".into(), "Add a `textarea` or `input` item."));
    }
    out
}

/// `config.yml`: `blank_issues_enabled` (boolean) and `contact_links` (name, url, about).
pub fn check_config(path: &str, text: &str) -> Vec<RepoFinding> {
    let v = match parse_yaml(path, text, CONFIG, 0) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    let mut out = Vec::new();
    let Some(map) = v.as_mapping() else {
        if v.is_null() {
            return out;
        }
        return vec![
            RepoFinding::error(
                CONFIG,
                "`config.yml` is not a mapping.",
                "Use keys `blank_issues_enabled` and `contact_links`.",
            )
            .at(path),
        ];
    };
    for (k, val) in map {
        let key = k.as_str().unwrap_or("");
        let line = line_of(text, 1, &format!("{key}:"));
        let at = |f: RepoFinding| match line {
            Some(l) => f.at(path).line(l),
            None => f.at(path),
        };
        match key {
            "blank_issues_enabled" if !val.is_bool() => out.push(at(RepoFinding::error(
                CONFIG,
                "`blank_issues_enabled` must be true or false.",
                "Write `blank_issues_enabled: false`.",
            ))),
            "blank_issues_enabled" => {}
            "contact_links" => match val.as_sequence() {
                None => out.push(at(RepoFinding::error(
                    CONFIG,
                    "`contact_links` must be a list.",
                    "List links with `name`, `url` and `about`.",
                ))),
                Some(links) => {
                    for (i, link) in links.iter().enumerate() {
                        for f in ["name", "url", "about"] {
                            if str_field(link, f).is_none() {
                                out.push(at(RepoFinding::error(
                                    CONFIG,
                                    format!("Contact link {} has no `{f}`.", i + 1),
                                    "Each contact link needs `name`, `url` and `about`.",
                                )));
                            }
                        }
                        if let Some(url) = str_field(link, "url")
                            && !(url.starts_with("https://") || url.starts_with("http://"))
                        {
                            out.push(at(RepoFinding::error(
                                CONFIG,
                                format!(
                                    "Contact link {} has url `{url}`, not an http(s) URL.",
                                    i + 1
                                ),
                                "Use a full `https://` URL.",
                            )));
                        }
                    }
                }
            },
            other => out.push(at(RepoFinding::warning(
                CONFIG,
                format!("`config.yml` has the unknown key `{other}`; GitHub ignores it."),
                "Keep only `blank_issues_enabled` and `contact_links`.",
            ))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = "name: Bug\ndescription: d\nbody:\n  - type: textarea\n    id: what\n    attributes:\n      label: What\n";

    #[test]
    fn required_names_and_variants() {
        let c = Checkout::from_files([
            (".github/ISSUE_TEMPLATE/bug_report.yml", FORM),
            (".github/ISSUE_TEMPLATE/feature.yaml", FORM),
            (".github/ISSUE_TEMPLATE/ADR_change.yml", FORM),
        ]);
        let f = check(&c);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].finding.rule, MISSING);
        assert!(f[0].finding.message.contains("`task`"));
    }

    #[test]
    fn form_table() {
        for (text, expect) in [
            (FORM, vec![]),
            ("name: x\nbody: []\n", vec!["no `description`", "no `body`"]),
            (
                "name: x\ndescription: y\nbody:\n  - type: markdown\n    attributes:\n      value: hi\n",
                vec!["no textarea, input"],
            ),
            (
                "name: x\ndescription: y\nbody:\n  - type: text\n    id: a\n",
                vec!["type `text`", "no textarea, input"],
            ),
            (
                "name: x\ndescription: y\nbody:\n  - type: input\n    id: a b\n    attributes:\n      label: L\n",
                vec!["letters, digits"],
            ),
            (
                "name: x\ndescription: y\nbody:\n  - type: input\n    id: a\n    attributes:\n      label: L\n  - type: input\n    id: a\n    attributes:\n      label: M\n",
                vec!["repeats the id `a`"],
            ),
            (
                "name: x\ndescription: y\nbody:\n  - type: dropdown\n    id: d\n    attributes:\n      label: L\n",
                vec!["no `attributes.options`"],
            ),
            ("name: x\ndescription: y\nbody:\n  - type: input\n", vec!["no `attributes.label`"]),
            ("name: [x\n", vec!["Not valid YAML"]),
        ] {
            let got: Vec<String> =
                check_form("f.yml", text).into_iter().map(|f| f.finding.message).collect();
            assert_eq!(got.len(), expect.len(), "{text}: {got:?}");
            for (g, e) in got.iter().zip(&expect) {
                assert!(g.contains(e), "{text}: {g} lacks {e}");
            }
        }
    }

    #[test]
    fn yaml_errors_carry_line_and_column() {
        let f = check_form("f.yml", "name: x\ndescription: y\nbody: [\n");
        assert!(f[0].location.line.is_some() && f[0].location.column.is_some(), "{f:?}");
    }

    #[test]
    fn markdown_table() {
        for (text, n) in [
            ("---\nname: Bug\nabout: b\n---\nbody\n", 0),
            ("no front matter\n", 1),
            ("---\nname: Bug\n", 1),
            ("---\nname: Bug\n---\n", 1),
            ("---\nname: [\n---\n", 1),
        ] {
            assert_eq!(check_markdown("b.md", text).len(), n, "{text}");
        }
    }

    #[test]
    fn config_table() {
        for (text, n) in [
            (
                "blank_issues_enabled: false\ncontact_links:\n  - name: a\n    url: https://x\n    about: b\n",
                0,
            ),
            ("blank_issues_enabled: nope\n", 1),
            ("contact_links:\n  - name: a\n    url: ftp://x\n", 2),
            ("blank_issue_enabled: false\n", 1),
            ("", 0),
        ] {
            assert_eq!(check_config("c.yml", text).len(), n, "{text}");
        }
    }
}
