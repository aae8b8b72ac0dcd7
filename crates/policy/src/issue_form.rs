//! Issue templates as data: what a repository's `.github/ISSUE_TEMPLATE/` files ask of an issue.
//! An issue form (`*.yml`) asks its fields (those with `validations.required: true` must be
//! filled); a Markdown template asks its headings. GitHub writes an issue made from a form as one
//! `### <label>` section per field, with `_No response_` for a field left empty, which is how the
//! rule finds the template an issue came from and what it left out.
//!
//! The audit (`plasma-audit`) judges whether a template is valid; this module only reads what a
//! valid one asks, and skips what it cannot read.

use yaml_serde::Value;

/// Front matter of a Markdown template: the text between the first two `---` lines, and the body
/// after it; `None` when the file does not start with `---` or never closes it.
pub fn front_matter(text: &str) -> Option<(&str, &str)> {
    let first = text.find('\n')?;
    if text[..first].trim_end() != "---" {
        return None;
    }
    let rest = &text[first + 1..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// Whether the template is a form or Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    /// A YAML issue form.
    Form,
    /// A Markdown template.
    Markdown,
}

/// One field a template asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateField {
    /// The label (a form field's `attributes.label`, or a Markdown heading's text).
    pub label: String,
    /// Whether the issue must fill it.
    pub required: bool,
    /// For required checkboxes: the option labels that must be ticked.
    pub required_options: Vec<String>,
}

/// What one template asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueTemplate {
    /// Path in the repository.
    pub path: String,
    /// `name`.
    pub name: String,
    /// Form or Markdown.
    pub kind: TemplateKind,
    /// Labels the template applies.
    pub labels: Vec<String>,
    /// The title it starts issues with (`[Bug]: `), if any.
    pub title_prefix: Option<String>,
    /// Fields (forms) or headings (Markdown), in order.
    pub fields: Vec<TemplateField>,
    /// Markdown only: the template's own text under each heading, so an untouched section is
    /// recognised as empty.
    pub placeholders: Vec<(String, String)>,
}

/// Most templates read per repository, fields per template and bytes per template: a hostile
/// repository cannot make an issue's judgement large.
pub const MAX_TEMPLATES: usize = 50;
const MAX_FIELDS: usize = 100;
const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// Whether a path is an issue template GitHub reads (not `config.yml`).
pub fn is_template_path(path: &str) -> bool {
    let Some(name) = path.strip_prefix(".github/ISSUE_TEMPLATE/") else { return false };
    let lower = name.to_ascii_lowercase();
    !name.contains('/')
        && [".md", ".yml", ".yaml"].iter().any(|e| lower.ends_with(e))
        && !matches!(lower.as_str(), "config.yml" | "config.yaml")
}

/// Reads one template; `None` when it cannot be read (the audit reports why).
pub fn parse(path: &str, text: &str) -> Option<IssueTemplate> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return None;
    }
    if path.to_ascii_lowercase().ends_with(".md") {
        parse_markdown(path, text)
    } else {
        parse_form(path, text)
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// `labels:` as a list or a comma-separated string.
fn labels_of(v: &Value) -> Vec<String> {
    match v.get("labels") {
        Some(Value::Sequence(items)) => {
            items.iter().filter_map(Value::as_str).map(|s| s.trim().to_string()).collect()
        }
        Some(Value::String(s)) => {
            s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
        }
        _ => Vec::new(),
    }
}

fn parse_form(path: &str, text: &str) -> Option<IssueTemplate> {
    let v: Value = yaml_serde::from_str(text).ok()?;
    let body = v.get("body")?.as_sequence()?;
    let mut fields = Vec::new();
    for item in body.iter().take(MAX_FIELDS) {
        let ty = item.get("type").and_then(Value::as_str).unwrap_or("");
        if ty == "markdown" {
            continue;
        }
        let Some(attrs) = item.get("attributes") else { continue };
        let Some(label) = str_of(attrs, "label") else { continue };
        let required = item
            .get("validations")
            .and_then(|v| v.get("required"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let required_options = if ty == "checkboxes" {
            attrs
                .get("options")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter(|o| o.get("required").and_then(Value::as_bool) == Some(true))
                .filter_map(|o| str_of(o, "label"))
                .map(|s| s.trim().to_string())
                .collect()
        } else {
            Vec::new()
        };
        fields.push(TemplateField {
            label: label.trim().to_string(),
            required: required || !required_options.is_empty(),
            required_options,
        });
    }
    Some(IssueTemplate {
        path: path.to_string(),
        name: str_of(&v, "name").unwrap_or(path).trim().to_string(),
        kind: TemplateKind::Form,
        labels: labels_of(&v),
        title_prefix: str_of(&v, "title").map(str::to_string),
        fields,
        placeholders: Vec::new(),
    })
}

fn parse_markdown(path: &str, text: &str) -> Option<IssueTemplate> {
    let (front, body) = front_matter(text)?;
    let v: Value = yaml_serde::from_str(front).ok()?;
    let sections = sections(body);
    let fields = sections
        .iter()
        .take(MAX_FIELDS)
        .map(|(label, _)| TemplateField {
            label: label.clone(),
            required: true,
            required_options: Vec::new(),
        })
        .collect();
    Some(IssueTemplate {
        path: path.to_string(),
        name: str_of(&v, "name").unwrap_or(path).trim().to_string(),
        kind: TemplateKind::Markdown,
        labels: labels_of(&v),
        title_prefix: str_of(&v, "title").map(str::to_string),
        fields,
        placeholders: sections,
    })
}

/// The ATX headings (`#` to `######`) of a Markdown text outside code fences, each with the text
/// under it up to the next heading.
pub fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
        } else if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
        } else if let Some(title) = heading(t) {
            out.push((title, String::new()));
            continue;
        }
        if let Some((_, content)) = out.last_mut() {
            content.push_str(line);
            content.push('\n');
        }
    }
    out
}

fn heading(line: &str) -> Option<String> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| title.to_string())
}

/// The text of a section with HTML comments removed and whitespace trimmed: what a person wrote.
pub fn written(content: &str) -> String {
    let mut out = String::new();
    let mut rest = content;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const BUG_FORM: &str = "name: Bug report\ndescription: d\ntitle: \"[Bug]: \"\nlabels: [bug, needs-review]\nbody:\n  - type: markdown\n    attributes:\n      value: Thanks\n  - type: textarea\n    id: what\n    attributes:\n      label: What happened?\n    validations:\n      required: true\n  - type: input\n    id: version\n    attributes:\n      label: Version\n  - type: checkboxes\n    id: terms\n    attributes:\n      label: Code of conduct\n      options:\n        - label: I agree\n          required: true\n        - label: Optional\n";

    #[test]
    fn a_form_asks_its_fields() {
        let t = parse(".github/ISSUE_TEMPLATE/bug.yml", BUG_FORM).unwrap();
        assert_eq!(t.name, "Bug report");
        assert_eq!(t.kind, TemplateKind::Form);
        assert_eq!(t.labels, ["bug", "needs-review"]);
        assert_eq!(t.title_prefix.as_deref(), Some("[Bug]: "));
        let f: Vec<(&str, bool)> =
            t.fields.iter().map(|f| (f.label.as_str(), f.required)).collect();
        assert_eq!(f, [("What happened?", true), ("Version", false), ("Code of conduct", true)]);
        assert_eq!(t.fields[2].required_options, ["I agree"]);
    }

    #[test]
    fn a_markdown_template_asks_its_headings() {
        let text = "---\nname: Task\nabout: a task\nlabels: task, phase-0\ntitle: \"[Task] \"\n---\n## Goal\n<!-- what -->\n\n```\n## not a heading\n```\n## Done when\n- [ ] x\n";
        let t = parse(".github/ISSUE_TEMPLATE/task.md", text).unwrap();
        assert_eq!(t.kind, TemplateKind::Markdown);
        assert_eq!(t.labels, ["task", "phase-0"]);
        let f: Vec<&str> = t.fields.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(f, ["Goal", "Done when"]);
        assert_eq!(written(&t.placeholders[0].1), "```\n## not a heading\n```");
    }

    #[test]
    fn unreadable_templates_are_skipped() {
        for (path, text) in [
            ("a.yml", "name: [x"),
            ("a.yml", "name: x\n"),
            ("a.md", "no front matter"),
            ("a.md", "---\nname: x\n"),
            ("a.md", "---\nname: [x\n---\n"),
        ] {
            assert_eq!(parse(path, text), None, "{text}");
        }
        assert_eq!(parse("a.yml", &"x".repeat(MAX_TEMPLATE_BYTES + 1)), None);
    }

    #[test]
    fn template_paths() {
        for (p, want) in [
            (".github/ISSUE_TEMPLATE/bug.yml", true),
            (".github/ISSUE_TEMPLATE/Task.MD", true),
            (".github/ISSUE_TEMPLATE/config.yml", false),
            (".github/ISSUE_TEMPLATE/sub/bug.yml", false),
            (".github/ISSUE_TEMPLATE/notes.txt", false),
            ("docs/bug.yml", false),
        ] {
            assert_eq!(is_template_path(p), want, "{p}");
        }
    }

    #[test]
    fn headings_and_comments() {
        assert_eq!(heading("### What happened?"), Some("What happened?".into()));
        assert_eq!(heading("## Title ##"), Some("Title".into()));
        assert_eq!(heading("#hashtag"), None);
        assert_eq!(heading("####### seven"), None);
        assert_eq!(heading("#"), None);
        assert_eq!(written(" <!-- a --> b <!-- c"), "b");
        assert_eq!(front_matter("---\r\nname: x\r\n---\r\nbody"), Some(("name: x\r\n", "body")));
        assert_eq!(front_matter("---  \nname: x\n---\n"), Some(("name: x\n", "")));
        assert_eq!(front_matter("--- x\nname: x\n---\n"), None);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(path in "[a-z]{1,5}\\.(yml|md)", text in "\\PC{0,300}") {
            let _ = parse(&path, &text);
            let _ = sections(&text);
            let _ = written(&text);
        }
    }
}
