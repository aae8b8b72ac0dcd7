//! Webhook payload parsing: the event name comes from the input (its first byte picks one of the
//! names GitHub sends, or none, so `snapshot_from_payload` guesses it), the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

const EVENTS: [&str; 12] = [
    "pull_request",
    "pull_request_review",
    "check_run",
    "check_suite",
    "status",
    "issues",
    "issue_comment",
    "push",
    "installation",
    "installation_repositories",
    "ping",
    "star",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let event = EVENTS.get(usize::from(pick) % (EVENTS.len() + 1));
    if let Some(event) = event
        && let Ok(parsed) = plasma_github::parse_event(event, body)
    {
        // Everything the ingress asks of a parsed event must hold up too.
        let _ = parsed.action();
        let _ = parsed.repository().map(|r| r.owner_and_name());
        let _ = parsed.installation_id();
        let _ = parsed.pull_request_numbers();
        let _ = parsed.head_sha();
        let _ = plasma_github::pr_snapshot(&parsed);
        let _ = plasma_github::issue_snapshot(&parsed);
    }
    let _ = plasma_github::snapshot_from_payload(event.copied(), body);
});
