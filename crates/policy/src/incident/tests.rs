use super::*;
use crate::snapshot::ActorKind;

const OPENED: &str = "2026-12-01T10:00:00Z";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn rules() -> IncidentRules {
    IncidentRules::new(&IncidentsConfig::default()).unwrap()
}

fn facts() -> IncidentFacts {
    IncidentFacts {
        repository: "plasma-engine/gateway".into(),
        number: 7,
        title: "Gateway down".into(),
        author: Actor::user("alice"),
        labels: vec!["incident".into(), "sev2".into()],
        assignees: vec![],
        state: PrState::Open,
        state_reason: None,
        created_at: ts(OPENED),
        closed_at: None,
        closed_by: None,
        first_assigned_at: None,
        first_response_at: None,
        postmortem: None,
        reopened: vec![],
        our_login: "plasma-ops[bot]".into(),
    }
}

fn closed(mut f: IncidentFacts, at: &str, by: &str) -> IncidentFacts {
    f.state = PrState::Closed;
    f.state_reason = Some("completed".into());
    f.closed_at = Some(ts(at));
    let kind = if by.ends_with("[bot]") { ActorKind::Bot } else { ActorKind::User };
    f.closed_by = Some(Actor { login: by.into(), kind });
    f
}

fn messages(d: &IncidentDecision) -> Vec<String> {
    d.findings.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect()
}

#[test]
fn severity_table() {
    let r = rules();
    let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(r.severity(&l(&["incident", "SEV1"])), SeverityLabels::One("sev1".into()));
    assert_eq!(r.severity(&l(&["incident"])), SeverityLabels::Missing);
    assert_eq!(
        r.severity(&l(&["sev3", "sev1"])),
        SeverityLabels::Several(vec!["sev1".into(), "sev3".into()])
    );
    assert!(r.is_incident(&l(&["Incident"])));
    assert!(!r.is_incident(&l(&["bug"])));
    assert!(r.is_waived(&l(&["postmortem:waived"])));
}

#[test]
fn deadline_is_opened_plus_the_configured_time() {
    assert_eq!(rules().ack_deadline(ts(OPENED)), ts("2026-12-01T10:30:00Z"));
    let cfg = IncidentsConfig { acknowledge_within: "2h".into(), ..Default::default() };
    let r = IncidentRules::new(&cfg).unwrap();
    assert_eq!(r.ack_deadline(ts(OPENED)), ts("2026-12-01T12:00:00Z"));
}

#[test]
fn bad_configuration_is_located() {
    let mut cfg = IncidentsConfig {
        acknowledge_within: "soon".into(),
        severities: vec![],
        label: " ".into(),
        ..Default::default()
    };
    cfg.postmortem.template = "../etc/passwd".into();
    cfg.postmortem.links = vec!["https://x/{nope}".into()];
    cfg.postmortem.labelled_links = vec!["https://github.com/{org}/issues".into()];
    let keys: Vec<String> =
        IncidentRules::new(&cfg).unwrap_err().into_iter().map(|e| e.key).collect();
    assert_eq!(
        keys,
        [
            "incidents.label",
            "incidents.severities",
            "incidents.postmortem.template",
            "incidents.acknowledge_within",
            "incidents.postmortem.links[0]",
            "incidents.postmortem.labelled_links[0]"
        ]
    );
}

#[test]
fn link_detection_table() {
    let r = rules();
    let pm = |u: &str| LinkCandidate::Postmortem(u.into());
    let cases: Vec<(&str, Vec<LinkCandidate>)> = vec![
        (
            "see https://github.com/plasma-engine/docs/blob/main/docs/postmortems/2026-12-01-gateway.md.",
            vec![pm(
                "https://github.com/plasma-engine/docs/blob/main/docs/postmortems/2026-12-01-gateway.md",
            )],
        ),
        (
            "[pm](https://github.com/Plasma-Engine/gateway/blob/abc123/docs/postmortems/x.md#timeline)",
            vec![pm("https://github.com/Plasma-Engine/gateway/blob/abc123/docs/postmortems/x.md")],
        ),
        ("https://github.com/other-org/x/blob/main/docs/postmortems/a.md", vec![]),
        ("https://github.com/plasma-engine/x/blob/main/docs/notes/a.md", vec![]),
        (
            "<https://github.com/plasma-engine/gateway/discussions/42>",
            vec![pm("https://github.com/plasma-engine/gateway/discussions/42")],
        ),
        (
            "tracked in https://github.com/plasma-engine/ops/issues/9?x=1 and https://github.com/plasma-engine/ops/pull/10",
            vec![
                LinkCandidate::NeedsLabel {
                    url: "https://github.com/plasma-engine/ops/issues/9".into(),
                    repo: "plasma-engine/ops".into(),
                    number: 9,
                },
                LinkCandidate::NeedsLabel {
                    url: "https://github.com/plasma-engine/ops/pull/10".into(),
                    repo: "plasma-engine/ops".into(),
                    number: 10,
                },
            ],
        ),
        ("no links here, only http:// and https://", vec![]),
        ("https://github.com/plasma-engine/ops/issues/notanumber", vec![]),
    ];
    for (text, want) in cases {
        assert_eq!(r.link_candidates("plasma-engine", text), want, "{text}");
    }
}

#[test]
fn many_links_are_bounded() {
    let text = "https://github.com/plasma-engine/a/discussions/1 ".repeat(10_000);
    assert_eq!(rules().link_candidates("plasma-engine", &text).len(), MAX_LINKS_PER_TEXT);
}

#[test]
fn markers_round_trip() {
    let at = ts("2026-12-01T11:00:00Z");
    let body = format!(
        "text\n{}\n{}",
        reopen_marker(at, "bob"),
        "<!-- plasma-ops:incident-reopen closed_at=garbage -->"
    );
    assert_eq!(reopen_marks([body.as_str()]), vec![ReopenMark { closed_at: at, by: "bob".into() }]);
    assert!(reopen_marks(["<!-- plasma-ops:incident-reopen closed_at=2026"]).is_empty());
}

#[test]
fn owner_and_events_over_time() {
    let r = rules();
    let before = decide(&facts(), &r, ts("2026-12-01T10:10:00Z"));
    assert_eq!(messages(&before), ["incident-owner: an assignee is due by 2026-12-01T10:30:00Z"]);
    assert_eq!(before.events.len(), 1);
    let after = decide(&facts(), &r, ts("2026-12-01T10:31:00Z"));
    assert!(messages(&after)[0].contains("no assignee 30m after"), "{:?}", messages(&after));
    assert_eq!(after.findings[0].severity, plasma_config::Severity::Error);
    assert_eq!(
        after.events[1],
        IncidentEvent::Unacknowledged {
            at: ts("2026-12-01T10:30:00Z"),
            severity: Some("sev2".into())
        }
    );
    // A comment by someone else acknowledges; it does not make an owner.
    let mut f = facts();
    f.first_response_at = Some(ts("2026-12-01T10:05:00Z"));
    let d = decide(&f, &r, ts("2026-12-01T11:00:00Z"));
    assert_eq!(d.record.acknowledged_at, Some(ts("2026-12-01T10:05:00Z")));
    assert_eq!(d.events.iter().map(IncidentEvent::kind).collect::<Vec<_>>(), ["opened"]);
    assert!(messages(&d)[0].starts_with("incident-owner"));
    // The earlier of assignment and response counts.
    f.first_assigned_at = Some(ts("2026-12-01T10:02:00Z"));
    f.assignees = vec!["bob".into()];
    let d = decide(&f, &r, ts("2026-12-01T11:00:00Z"));
    assert_eq!(d.record.acknowledged_at, Some(ts("2026-12-01T10:02:00Z")));
    assert!(d.findings.is_empty(), "{:?}", messages(&d));
}

#[test]
fn severity_findings() {
    let r = rules();
    let mut f = facts();
    f.assignees = vec!["bob".into()];
    f.labels = vec!["incident".into()];
    let d = decide(&f, &r, ts(OPENED));
    assert_eq!(messages(&d), ["incident-severity: the incident has no severity label"]);
    assert_eq!(d.record.severity, None);
    f.labels = vec!["incident".into(), "sev3".into(), "sev1".into()];
    let d = decide(&f, &r, ts(OPENED));
    assert!(messages(&d)[0].contains("2 severity labels (sev1, sev3)"));
    assert_eq!(d.record.severity.as_deref(), Some("sev1"));
}

#[test]
fn close_table() {
    let r = rules();
    let at = "2026-12-01T12:00:00Z";
    let base = || {
        let mut f = facts();
        f.assignees = vec!["bob".into()];
        f
    };
    // (name, facts, reopen?, comment?, state, finding contains)
    type Case = (&'static str, IncidentFacts, bool, bool, IncidentState, &'static str);
    let mut with_link = closed(base(), at, "bob");
    with_link.postmortem =
        Some("https://github.com/plasma-engine/docs/blob/main/docs/postmortems/a.md".into());
    let mut waived = closed(base(), at, "bob");
    waived.labels.push("postmortem:waived".into());
    let mut not_planned = closed(base(), at, "bob");
    not_planned.state_reason = Some("not_planned".into());
    let mut answered = closed(base(), at, "bob");
    answered.reopened = vec![ReopenMark { closed_at: ts(at), by: "bob".into() }];
    let mut bot_again = closed(base(), at, "stale[bot]");
    bot_again.reopened =
        vec![ReopenMark { closed_at: ts("2026-12-01T11:00:00Z"), by: "stale[bot]".into() }];
    let mut human_again = closed(base(), at, "bob");
    human_again.reopened =
        vec![ReopenMark { closed_at: ts("2026-12-01T11:00:00Z"), by: "bob".into() }];
    let mut no_reason = closed(base(), at, "bob");
    no_reason.state_reason = None;
    let cases: Vec<Case> = vec![
        (
            "no postmortem",
            closed(base(), at, "bob"),
            true,
            true,
            IncidentState::Open,
            "plasma-ops reopens it",
        ),
        ("no reason counts as completed", no_reason, true, true, IncidentState::Open, "reopens"),
        ("with a link", with_link, false, false, IncidentState::Resolved, ""),
        ("waived", waived, false, false, IncidentState::Resolved, "waived"),
        ("not planned", not_planned, false, false, IncidentState::Dismissed, ""),
        (
            "this close answered, still closed",
            answered,
            true,
            false,
            IncidentState::Open,
            "reopens",
        ),
        (
            "closed by ourselves",
            closed(base(), at, "plasma-ops[bot]"),
            false,
            false,
            IncidentState::Open,
            "itself",
        ),
        (
            "a bot closes again",
            bot_again,
            false,
            false,
            IncidentState::Open,
            "does not reopen a bot's close twice",
        ),
        ("a human closes again", human_again, true, true, IncidentState::Open, "reopens"),
        (
            "a bot's first close",
            closed(base(), at, "stale[bot]"),
            true,
            true,
            IncidentState::Open,
            "reopens",
        ),
    ];
    for (name, f, reopen, comment, state, finding) in cases {
        let d = decide(&f, &r, ts("2026-12-02T00:00:00Z"));
        assert_eq!(d.reopen.is_some(), reopen, "{name}");
        assert_eq!(d.reopen.as_ref().and_then(|r| r.comment.as_ref()).is_some(), comment, "{name}");
        assert_eq!(d.record.state, state, "{name}");
        let all = messages(&d).join("\n");
        assert!(all.contains(finding), "{name}: {all}");
        if state == IncidentState::Resolved {
            assert_eq!(d.record.resolved_at, Some(ts(at)), "{name}");
            assert_eq!(d.events.last().map(IncidentEvent::kind), Some("resolved"), "{name}");
        } else {
            assert_eq!(d.record.resolved_at, None, "{name}");
        }
    }
}

#[test]
fn the_reopen_comment_says_what_is_missing_and_how_to_waive() {
    let f = closed(facts(), "2026-12-01T12:00:00Z", "bob");
    let d = decide(&f, &rules(), ts("2026-12-02T00:00:00Z"));
    let body = d.reopen.and_then(|r| r.comment).unwrap_or_default();
    insta::assert_snapshot!(body);
    assert_eq!(
        reopen_marks([body.as_str()]),
        vec![ReopenMark { closed_at: ts("2026-12-01T12:00:00Z"), by: "bob".into() }]
    );
}

#[test]
fn reopened_and_still_missing_says_so() {
    let mut f = facts();
    f.assignees = vec!["bob".into()];
    f.reopened = vec![ReopenMark { closed_at: ts("2026-12-01T12:00:00Z"), by: "bob".into() }];
    let d = decide(&f, &rules(), ts("2026-12-02T00:00:00Z"));
    assert!(messages(&d)[0].contains("reopened because it was closed without a postmortem"));
    assert_eq!(IncidentState::parse(d.record.state.as_str()), Some(IncidentState::Open));
    assert_eq!(IncidentState::parse("nope"), None);
    assert_eq!(IncidentState::parse("dismissed").map(IncidentState::as_str), Some("dismissed"));
    assert_eq!(IncidentState::Resolved.as_str(), "resolved");
}
