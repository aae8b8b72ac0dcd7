use proptest::prelude::*;

use super::*;
use plasma_config::{DispatchConfig, DispatchMode, DispatchRule};

fn default() -> Dispatcher {
    Dispatcher::new(&DispatchConfig::default()).unwrap()
}

fn rule(label: &str, globs: &[&str], mode: DispatchMode) -> DispatchRule {
    DispatchRule { label: label.into(), globs: globs.iter().map(|g| g.to_string()).collect(), mode }
}

fn config(classifiers: Option<&str>, rules: Vec<DispatchRule>, fallback: &str) -> DispatchConfig {
    DispatchConfig {
        classifiers: classifiers.map(str::to_string),
        rules,
        fallback: fallback.into(),
        ..DispatchConfig::default()
    }
}

/// Checks a table of `path -> labels` against a dispatcher, through both the explaining and the
/// allocation-free path.
fn check(d: &Dispatcher, table: &[(&str, &[&str])]) {
    let mut scratch = d.scratch();
    for (path, want) in table {
        let got = d.classify(path);
        assert_eq!(got.labels, *want, "{path}: {}", got.rule);
        let fast: Vec<&str> =
            d.classify_into(path, &mut scratch).iter().map(|&l| d.label_name(l)).collect();
        assert_eq!(fast, *want, "{path} (classify_into)");
    }
}

#[test]
fn old_substring_misclassifications_are_gone() {
    check(
        &default(),
        &[
            ("docs/devops/x.md", &["agent:docs"]),
            ("src/shops/cart.ts", &["agent:javascript"]),
            ("plasma-engine-content/app/main.py", &["agent:python"]),
            (".github/workflows/reusable-security.yml", &["agent:infra"]),
            ("Dockerfile", &["agent:infra"]),
            ("package.json", &["agent:javascript"]),
        ],
    );
}

#[test]
fn default_rules_by_area() {
    check(
        &default(),
        &[
            // Terraform
            ("main.tf", &["agent:infra"]),
            ("envs/prod/terraform.tfvars", &["agent:infra"]),
            ("live/prod/terragrunt.hcl", &["agent:infra"]),
            ("deploy/terraform/modules/vpc/variables.json", &["agent:infra"]),
            ("deploy/terraform/README.md", &["agent:infra", "agent:docs"]),
            // Helm and containers
            ("charts/api/values.yaml", &["agent:infra"]),
            ("deploy/helm/templates/deployment.yaml", &["agent:infra"]),
            ("services/api/Chart.yaml", &["agent:infra"]),
            ("services/api/Dockerfile.dev", &["agent:infra"]),
            ("docker-compose.override.yml", &["agent:infra"]),
            ("k8s/base/kustomization.yaml", &["agent:infra"]),
            (".github/actions/setup/action.yml", &["agent:infra"]),
            // Languages
            ("services/brain/pyproject.toml", &["agent:python"]),
            ("requirements-dev.txt", &["agent:python"]),
            ("web/src/App.tsx", &["agent:javascript"]),
            ("web/tsconfig.base.json", &["agent:javascript"]),
            // Docs: an extension anywhere, or anything under a docs directory, never a substring
            ("README.md", &["agent:docs"]),
            ("docs/architecture.png", &["agent:docs"]),
            ("services/api/docs/setup.txt", &["agent:docs"]),
            ("documentation/setup.txt", &["agent:general"]),
            ("mydocs/setup.txt", &["agent:general"]),
            // Runbooks and ops
            ("runbooks/deploy.md", &["agent:docs", "agent:ops"]),
            ("ops/runbooks/restart.sh", &["agent:ops"]),
            ("ansible/playbooks/site.yml", &["agent:ops"]),
            ("team/on-call/rota.csv", &["agent:ops"]),
            ("devops/scripts/x.sh", &["agent:general"]),
            // Content
            ("content/blog/launch.mdx", &["agent:docs", "agent:content"]),
            ("site/marketing/banner.png", &["agent:content"]),
            ("contents/x.txt", &["agent:general"]),
            // Security
            ("SECURITY.md", &["agent:docs", "agent:security"]),
            ("security/policy.yaml", &["agent:security"]),
            ("org/policies/branch.rego", &["agent:security"]),
            (".trivyignore", &["agent:security"]),
            ("src/security_utils.py", &["agent:python"]),
            // Several rules at once keep rule order
            ("services/api/docs/conf.py", &["agent:python", "agent:docs"]),
            // Fallback
            ("Makefile", &["agent:general"]),
            ("Cargo.toml", &["agent:general"]),
            // Case-sensitive, as git is
            ("readme.MD", &["agent:general"]),
            ("dockerfile", &["agent:general"]),
        ],
    );
}

#[test]
fn explanations_name_the_rule_and_glob() {
    let d = default();
    let f = d.classify("docs/devops/x.md");
    // The docs rule matches twice (`**/*.md` and `docs/**`); it is named once, by its first glob.
    assert_eq!(f.rule, r#"dispatch.rules[3] "**/*.md" -> agent:docs"#);
    assert_eq!(
        f.matches,
        vec![RuleMatch {
            source: "dispatch.rules[3]".into(),
            label: "agent:docs".into(),
            glob: Some("**/*.md".into()),
        }]
    );
    let f = d.classify("SECURITY.md");
    assert_eq!(
        f.rule,
        r#"dispatch.rules[3] "**/*.md" -> agent:docs; dispatch.rules[6] "**/SECURITY.md" -> agent:security"#
    );
    let f = d.classify("Makefile");
    assert_eq!(f.rule, "dispatch.fallback -> agent:general");
    assert_eq!(
        f.matches,
        vec![RuleMatch {
            source: "dispatch.fallback".into(),
            label: "agent:general".into(),
            glob: None
        }]
    );
}

#[test]
fn star_stays_within_one_segment() {
    // `\!` is how a glob starts with a literal `!` (a bare `!` is refused, see below).
    let globs = ["src/*.rs", "\\!lit/*"];
    let d = Dispatcher::new(&config(None, vec![rule("rs", &globs, DispatchMode::Additive)], ""))
        .unwrap();
    check(
        &d,
        &[("src/lib.rs", &["rs"]), ("src/a/b.rs", &[]), ("lib.rs", &[]), ("!lit/x", &["rs"])],
    );
}

#[test]
fn exclusive_rule_stops_classification() {
    let d = Dispatcher::new(&config(
        None,
        vec![
            rule("agent:docs", &["**/*.md"], DispatchMode::Additive),
            rule("agent:vendor", &["vendor/**"], DispatchMode::Exclusive),
            rule("agent:javascript", &["**/*.js"], DispatchMode::Additive),
            rule("agent:docs", &["**/*.txt"], DispatchMode::Additive),
        ],
        "agent:general",
    ))
    .unwrap();
    check(
        &d,
        &[
            ("vendor/lib/x.js", &["agent:vendor"]),
            // Rules before the exclusive one still apply.
            ("vendor/README.md", &["agent:docs", "agent:vendor"]),
            ("src/x.js", &["agent:javascript"]),
            // Two rules giving one label: the label once, both rules explained.
            ("notes.md.txt", &["agent:docs"]),
            ("x.bin", &["agent:general"]),
        ],
    );
    let f = d.classify("vendor/README.md");
    assert_eq!(f.matches.len(), 2);
    assert_eq!(f.matches[1].source, "dispatch.rules[1]");
}

#[test]
fn same_label_from_two_rules_is_given_once() {
    let d = Dispatcher::new(&config(
        None,
        vec![
            rule("a", &["**/*.md"], DispatchMode::Additive),
            rule("b", &["docs/**"], DispatchMode::Additive),
            rule("a", &["docs/**"], DispatchMode::Additive),
        ],
        "",
    ))
    .unwrap();
    check(&d, &[("docs/x.md", &["a", "b"])]);
    assert_eq!(d.classify("docs/x.md").matches.len(), 3);
}

#[test]
fn classifiers_are_exclusive_segment_prefixes_evaluated_first() {
    let cfg = DispatchConfig {
        classifiers: Some(" infra = infra , services/api/=agent:api,".into()),
        ..DispatchConfig::default()
    };
    let d = Dispatcher::new(&cfg).unwrap();
    check(
        &d,
        &[
            ("infra/main.tf", &["agent:infra"]),
            ("infra/README.md", &["agent:infra"]),
            ("infra", &["agent:infra"]),
            // Segments, never substrings.
            ("infrastructure/x.py", &["agent:python"]),
            ("src/infra/x.py", &["agent:python"]),
            ("services/api/app.py", &["agent:api"]),
            ("services/apigw/app.py", &["agent:python"]),
            ("services/api", &["agent:api"]),
        ],
    );
    assert_eq!(
        d.classify("services/api/app.py").rule,
        r#"dispatch.classifiers[1] "services/api=agent:api" -> agent:api"#
    );
    assert_eq!(d.classify("infra/x").matches[0].glob.as_deref(), Some("infra/**"));
}

#[test]
fn classifier_prefixes_are_literal() {
    let cfg = config(Some("src/[x]=weird,a*=star,!x=bang"), vec![], "");
    let d = Dispatcher::new(&cfg).unwrap();
    check(
        &d,
        &[
            ("src/[x]/y", &["agent:weird"]),
            ("src/x/y", &[]),
            ("a*/b", &["agent:star"]),
            ("ab/c", &[]),
            ("!x/y", &["agent:bang"]),
        ],
    );
}

#[test]
fn labels_lists_everything_including_fallback() {
    assert_eq!(
        default().labels(),
        [
            "agent:content",
            "agent:docs",
            "agent:general",
            "agent:infra",
            "agent:javascript",
            "agent:ops",
            "agent:python",
            "agent:security",
        ]
    );
    let d = Dispatcher::new(&config(Some("x=y"), vec![rule("b", &[], DispatchMode::Additive)], ""))
        .unwrap();
    assert_eq!(d.labels(), ["agent:y", "b"]);
    assert_eq!(d.label_count(), 2);
    assert_eq!(d.label_index("b").map(|l| d.label_name(l)), Some("b"));
    assert_eq!(d.label_index("nope"), None);
}

#[test]
fn empty_fallback_means_no_label() {
    let d = Dispatcher::new(&config(
        None,
        vec![rule("docs", &["docs/**"], DispatchMode::Additive)],
        "",
    ))
    .unwrap();
    let f = d.classify("Makefile");
    assert!(f.labels.is_empty() && f.matches.is_empty());
    assert_eq!(f.rule, "no rule matched and dispatch.fallback is empty");
}

#[test]
fn classify_all_counts_files_per_label_in_input_order() {
    let d = default();
    let report = d.classify_all(["README.md", "src/a.ts", "docs/b.ts", "Makefile"]);
    assert_eq!(
        report.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["README.md", "src/a.ts", "docs/b.ts", "Makefile"]
    );
    assert_eq!(report.labels, ["agent:docs", "agent:general", "agent:javascript"]);
    assert_eq!(
        report.counts,
        BTreeMap::from([
            ("agent:docs".to_string(), 2),
            ("agent:general".to_string(), 1),
            ("agent:javascript".to_string(), 2),
        ])
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["files"][1]["labels"][0], "agent:javascript");
}

#[test]
fn config_errors_name_the_key_the_value_and_the_fix() {
    let long = "a".repeat(MAX_GLOB_LEN + 1);
    let cases: Vec<(DispatchConfig, &str)> = vec![
        (
            config(None, vec![rule("x", &["ok/**", "src/[a"], DispatchMode::Additive)], ""),
            "dispatch.rules[0].globs[1]: invalid glob \"src/[a\"",
        ),
        (
            config(
                None,
                vec![
                    rule("x", &["ok"], DispatchMode::Additive),
                    rule("y", &["", "b"], DispatchMode::Additive),
                ],
                "",
            ),
            "dispatch.rules[1].globs[0] is an empty glob",
        ),
        (
            config(None, vec![rule("x", &[long.as_str()], DispatchMode::Additive)], ""),
            "dispatch.rules[0].globs[0]: a glob of 1001 bytes",
        ),
        (
            config(None, vec![rule("", &["a"], DispatchMode::Additive)], ""),
            "dispatch.rules[0].label is empty",
        ),
        (config(None, vec![], "  "), "dispatch.fallback is blank"),
        (
            config(None, vec![rule("x", &["**/*.md", "!docs/**"], DispatchMode::Additive)], ""),
            "dispatch.rules[0].globs[1]: \"!docs/**\" starts with `!`, which is not negation here",
        ),
        (
            config(Some("infra=infra,docs"), vec![], ""),
            "dispatch.classifiers: entry [1] at column 13 (\"docs\"): missing `=`",
        ),
        (
            config(None, vec![rule("x", &vec!["a"; MAX_GLOBS + 1], DispatchMode::Additive)], ""),
            "dispatch: 1001 globs in total",
        ),
        (config(Some(&"a=b,".repeat(501)), vec![], ""), "dispatch: 1002 globs in total"),
        (
            config(None, vec![rule("x", &[], DispatchMode::Additive); MAX_RULES + 1], ""),
            "dispatch: 1001 rules",
        ),
        (
            config(None, vec![rule("x", &vec![long.as_str(); 70], DispatchMode::Additive)], ""),
            "dispatch.rules[0].globs[0]: a glob of 1001 bytes",
        ),
        (
            config(
                None,
                vec![rule("x", &vec![&long[..MAX_GLOB_LEN]; 66], DispatchMode::Additive)],
                "",
            ),
            "dispatch: 66000 bytes of globs in total, more than the limit of 65536",
        ),
    ];
    for (cfg, want) in cases {
        let msg = Dispatcher::new(&cfg).unwrap_err().to_string();
        assert!(msg.starts_with(want), "got {msg:?}\nwant prefix {want:?}");
    }

    // Untrusted values are quoted, but not at any length.
    let msg = Dispatcher::new(&config(
        None,
        vec![rule("x", &[long.as_str()], DispatchMode::Additive)],
        "",
    ))
    .unwrap_err()
    .to_string();
    assert!(msg.len() < 300, "{msg}");
    assert!(msg.contains("shorten it"), "{msg}");
}

#[test]
fn limits_are_inclusive() {
    let globs: Vec<String> = (0..MAX_GLOBS).map(|i| format!("d{i}/**")).collect();
    let globs: Vec<&str> = globs.iter().map(String::as_str).collect();
    let d = Dispatcher::new(&config(None, vec![rule("x", &globs, DispatchMode::Additive)], ""))
        .unwrap();
    check(&d, &[("d999/a", &["x"]), ("d1000/a", &[])]);
    let long = format!("{}/**", "a".repeat(MAX_GLOB_LEN - 3));
    assert!(
        Dispatcher::new(&config(None, vec![rule("x", &[&long], DispatchMode::Additive)], ""))
            .is_ok()
    );
}

#[test]
fn dispatcher_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Dispatcher>();
}

#[test]
fn scratch_from_another_dispatcher_works() {
    let small = Dispatcher::new(&config(None, vec![], "")).unwrap();
    let big = default();
    let mut scratch = small.scratch();
    let labels: Vec<&str> =
        big.classify_into("SECURITY.md", &mut scratch).iter().map(|&l| big.label_name(l)).collect();
    assert_eq!(labels, ["agent:docs", "agent:security"]);
}

fn arbitrary_path() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,60}",
        // Path-like strings hit the interesting parts of the globs more often.
        proptest::collection::vec(
            prop_oneof![
                Just("docs".to_string()),
                Just("infra".to_string()),
                Just("helm".to_string()),
                Just("a.md".to_string()),
                Just("x.py".to_string()),
                Just("".to_string()),
                Just(".".to_string()),
                "[a-z.é]{1,6}",
            ],
            0..6
        )
        .prop_map(|segs| segs.join("/")),
    ]
}

proptest! {
    #[test]
    fn classify_never_panics_and_is_deterministic(path in arbitrary_path()) {
        let d = default();
        let a = d.classify(&path);
        let b = d.classify(&path);
        prop_assert_eq!(&a, &b);
        prop_assert!(!a.labels.is_empty(), "the default config always has a fallback");
        let mut scratch = Scratch::default();
        let fast: Vec<String> =
            d.classify_into(&path, &mut scratch).iter().map(|&l| d.label_name(l).to_string()).collect();
        prop_assert_eq!(fast, a.labels);
    }

    #[test]
    fn arbitrary_classifiers_never_panic(classifiers in "[ a-z/=,:*\\[\\]{}é]{0,30}", path in arbitrary_path()) {
        let cfg = DispatchConfig { classifiers: Some(classifiers), ..DispatchConfig::default() };
        if let Ok(d) = Dispatcher::new(&cfg) {
            let f = d.classify(&path);
            prop_assert_eq!(&f, &d.classify(&path));
        }
    }

    #[test]
    fn classifier_prefix_never_matches_a_longer_segment(seg in "[a-z]{1,8}", extra in "[a-z0-9_-]{1,4}", rest in "[a-z/]{0,10}") {
        let cfg = config(Some(&format!("{seg}=x")), vec![], "");
        let d = Dispatcher::new(&cfg).unwrap();
        let longer = format!("{seg}{extra}/{rest}");
        prop_assert!(d.classify(&longer).labels.is_empty());
        let inside = format!("{seg}/{rest}");
        prop_assert_eq!(d.classify(&inside).labels, vec!["agent:x".to_string()]);
    }
}

#[test]
fn respelled_prefix_globs_classify_and_explain_as_written() {
    // Two `literal/**` globs switch on the respelling of respell.rs; nothing visible changes.
    let d = Dispatcher::new(&config(
        Some("infra=infra"),
        vec![
            rule("agent:docs", &["docs/**"], DispatchMode::Additive),
            rule("agent:ci", &[".github/workflows/**"], DispatchMode::Additive),
        ],
        "",
    ))
    .unwrap();
    check(
        &d,
        &[
            ("docs/a.md", &["agent:docs"]),
            ("docs", &[]),
            ("docsx/a", &[]),
            ("a/docs/b", &[]),
            (".github/workflows/ci.yml", &["agent:ci"]),
            ("infra/x", &["agent:infra"]),
            ("infra", &["agent:infra"]),
        ],
    );
    assert_eq!(d.classify("docs/a").rule, r#"dispatch.rules[0] "docs/**" -> agent:docs"#);
    assert_eq!(d.classify("infra/x").matches[0].glob.as_deref(), Some("infra/**"));
}
