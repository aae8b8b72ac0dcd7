//! `plasma-ops incidents` over a store the service would have written: the JSON the issue's
//! interface names, the window and organisation filters, and usage errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use plasma_store::IncidentRow;

const MIN: i64 = 60_000;

fn row(repo: &str, number: i64, opened: i64) -> IncidentRow {
    IncidentRow {
        repo: repo.into(),
        number,
        title: format!("incident {number}"),
        severity: Some("sev1".into()),
        state: "open".into(),
        opened_at: opened,
        acknowledged_at: None,
        resolved_at: None,
        ack_deadline: opened + 30 * MIN,
        deadline_checked: false,
        postmortem: None,
    }
}

fn incidents(db: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .arg("incidents")
        .args(args)
        .env("PLASMA_OPS_DATABASE_URL", db)
        .env_remove("PLASMA_OPS_CONFIG_FILE")
        .env("NO_COLOR", "1")
        .output()
        .expect("run plasma-ops");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn incidents_as_json_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let now = jiff::Timestamp::now().as_millisecond() / 1000 * 1000;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = plasma_store::open(&db).await.unwrap();
        let mut resolved = row("plasma-engine/gateway", 7, now - 180 * MIN);
        resolved.state = "resolved".into();
        resolved.acknowledged_at = Some(now - 176 * MIN);
        resolved.resolved_at = Some(now - 90 * MIN);
        resolved.postmortem =
            Some("https://github.com/plasma-engine/docs/blob/main/docs/postmortems/a.md".into());
        store.record_incident(&resolved, &[], now).await.unwrap();
        store
            .record_incident(&row("plasma-engine/brain", 8, now - 10 * MIN), &[], now)
            .await
            .unwrap();
        let mut dismissed = row("plasma-engine/brain", 9, now - 5 * MIN);
        dismissed.state = "dismissed".into();
        store.record_incident(&dismissed, &[], now).await.unwrap();
        store.record_incident(&row("elsewhere/x", 1, now - 20 * MIN), &[], now).await.unwrap();
        store
            .record_incident(&row("plasma-engine/old", 2, now - 100 * 86_400_000), &[], now)
            .await
            .unwrap();
        store.close().await;
    });

    let (code, out, err) = incidents(&db, &["--org", "plasma-engine", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = v["incidents"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{out}");
    let first = &list[0];
    assert_eq!(first["repo"], "plasma-engine/gateway");
    assert_eq!(first["number"], 7);
    assert_eq!(first["state"], "resolved");
    assert_eq!(first["time_to_acknowledge_s"], 240);
    assert_eq!(first["time_to_restore_s"], 5400);
    assert!(first["postmortem"].as_str().unwrap().contains("docs/postmortems/"));
    let mut keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "acknowledged_at",
            "number",
            "opened_at",
            "postmortem",
            "repo",
            "resolved_at",
            "severity",
            "state",
            "time_to_acknowledge_s",
            "time_to_restore_s",
            "title"
        ]
    );
    assert_eq!(list[1]["state"], "open");
    assert_eq!(list[1]["acknowledged_at"], serde_json::Value::Null);
    assert_eq!(v["summary"]["sev1"]["incidents"], 2);
    assert_eq!(v["summary"]["sev1"]["time_to_restore"]["median_s"], 5400);

    let (code, out, _) = incidents(&db, &["--since", "1h"]);
    assert_eq!(code, 0);
    assert!(out.contains("plasma-engine/brain#8 [sev1] incident 8 — open"), "{out}");
    assert!(out.contains("elsewhere/x#1"), "{out}");
    assert!(!out.contains("gateway#7") && !out.contains("#9"), "{out}");
    assert!(out.contains("postmortem missing"), "{out}");

    let (code, _, err) = incidents(&db, &["--since", "soon"]);
    assert_eq!(code, 2);
    assert!(err.contains("--since `soon` is not a duration"), "{err}");
    let (code, _, err) = incidents(&db, &["--org", "a/b"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an organisation name"), "{err}");
}
