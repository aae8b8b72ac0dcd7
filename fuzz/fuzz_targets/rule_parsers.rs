//! The title, branch and checklist parsers under the process's default configuration: the text of
//! a pull request is whatever its author typed.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plasma_config::Config;
use plasma_policy::rules::branch::BranchRule;
use plasma_policy::rules::checklist::{ChecklistRule, parse_tasks};
use plasma_policy::rules::title::TitleRule;

struct Rules {
    title: TitleRule,
    branch: BranchRule,
    checklist: ChecklistRule,
}

fn rules() -> Option<&'static Rules> {
    static RULES: OnceLock<Option<Rules>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let c = Config::default();
            Some(Rules {
                title: TitleRule::new(&c.title, &c.issue_key).ok()?,
                branch: BranchRule::new(&c.branches, &c.issue_key).ok()?,
                checklist: ChecklistRule::new(&c.checklist).ok()?,
            })
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(rules) = rules() else { return };
    let text = String::from_utf8_lossy(data);
    let parts = rules.title.parse(&text);
    let _ = rules.title.check(&text);
    let key = parts.map(|p| p.key);
    let _ = rules.branch.classify(&text);
    let _ = rules.branch.check(&text, Some("plasma-engine-gateway"), key.as_ref());
    let _ = rules.branch.check(&text, None, None);
    let _ = parse_tasks(&text);
    let _ = rules.checklist.check(&text);
});
