use plasma_config::{defaults_tree, rule_id};
use serde_json::Value;

use super::*;
use crate::compile_policy;

#[test]
fn every_rule_id_is_explained_once_in_its_order() {
    let ids: Vec<&str> = ALL.iter().map(|a| a.rule).collect();
    assert_eq!(ids, rule_id::ALL);
    assert!(about("title-format").is_some());
    assert!(about("no-such-rule").is_none());
}

/// The value at a dotted path of the built-in defaults.
fn at<'a>(tree: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(tree, |v, part| v.get(part))
}

#[test]
fn every_configuration_key_exists_and_scalar_defaults_are_the_built_in_ones() {
    let tree = defaults_tree();
    for a in ALL {
        for k in a.config {
            let value = at(&tree, k.key)
                .unwrap_or_else(|| panic!("{}: `{}` is not a configuration key", a.rule, k.key));
            let shown = k.default.trim_matches('"');
            match value {
                Value::String(s) => assert_eq!(s, shown, "{}: `{}`", a.rule, k.key),
                Value::Bool(_) | Value::Number(_) => {
                    assert_eq!(value.to_string(), shown, "{}: `{}`", a.rule, k.key)
                }
                Value::Array(items) => {
                    assert!(shown.starts_with('['), "{}: `{}` is a list", a.rule, k.key);
                    // Short lists of strings are shown in full: hold them to the defaults.
                    if items.iter().all(Value::is_string) && !shown.contains("...") {
                        for item in items.iter().filter_map(Value::as_str) {
                            if !k.key.ends_with(".checks") && !k.key.ends_with(".items") {
                                assert!(
                                    shown.contains(item),
                                    "{}: `{}` lacks {item}",
                                    a.rule,
                                    k.key
                                );
                            }
                        }
                    }
                }
                other => panic!("{}: `{}` is {other}", a.rule, k.key),
            }
        }
    }
}

/// The examples of the rules that judge one string are judged by those rules.
#[test]
fn the_string_rules_examples_pass_and_fail_as_they_say() {
    let policy = compile_policy(None, None).expect("defaults compile");
    let errors = |f: Vec<crate::Finding>, rule: &str| {
        f.iter().filter(|f| f.rule == rule && f.severity == crate::Severity::Error).count()
    };
    assert_eq!(errors(policy.check_title(super::super::title::ABOUT.passes), "title-format"), 0);
    assert!(errors(policy.check_title("Gateway bootstrap"), "title-format") > 0);
    assert_eq!(
        errors(
            policy.check_branch(
                "gateway/PE-12-bootstrap-fastapi",
                Some("plasma-engine/plasma-engine-gateway"),
                None
            ),
            "branch-name"
        ),
        0
    );
    assert!(errors(policy.check_branch("feature/bootstrap", None, None), "branch-name") > 0);
    assert_eq!(errors(policy.check_body(super::super::checklist::ABOUT.passes), "checklist"), 0);
    assert!(errors(policy.check_body("- [x] Tests run\n- [ ] Lint pass"), "checklist") > 0);
    let report = policy.dispatcher().classify_all(["services/api/main.py", "docs/notpython.txt"]);
    assert_eq!(report.files[0].labels, ["agent:python"]);
    assert_eq!(report.files[1].labels, ["agent:docs"]);
}
