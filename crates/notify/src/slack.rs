//! Slack incoming webhooks: a Block Kit message with a plain-text fallback, `Retry-After` on 429
//! honoured, and Slack's permanent refusals (a revoked webhook, an archived channel) told apart
//! from failures worth retrying.

use std::time::Duration;

use plasma_config::{NotifyEvent, SlackTarget};
use serde_json::{Value, json};

use crate::env::{Env, Secret, read_secret_file};
use crate::error::SendError;
use crate::message::Message;

/// Slack truncates a section's text at 3000 characters and a header at 150; longer input is cut
/// here so the request is never refused for its length.
const MAX_SECTION: usize = 3000;
const MAX_HEADER: usize = 150;

/// The JSON body posted to the webhook: `text` is the fallback notifications and screen readers
/// use; `blocks` is what Slack shows.
pub fn body(target: &SlackTarget, message: &Message) -> Value {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(&message.title, MAX_HEADER), "emoji": false}}),
        json!({"type": "section", "text": {"type": "plain_text", "text": cut(&message.text, MAX_SECTION), "emoji": false}}),
    ];
    if !message.fields.is_empty() {
        // Slack allows ten fields per section.
        let fields: Vec<Value> = message
            .fields
            .iter()
            .take(10)
            .map(|(k, v)| json!({"type": "plain_text", "text": cut(&format!("{k}: {v}"), 2000), "emoji": false}))
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(url) = &message.url {
        blocks.push(json!({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open on GitHub"}, "url": url}
        ]}));
    }
    let mut context =
        vec![json!({"type": "mrkdwn", "text": format!("`{}` · plasma-ops", message.event)})];
    if let Some(at) = &message.occurred_at {
        context.push(json!({"type": "plain_text", "text": at}));
    }
    blocks.push(json!({"type": "context", "elements": context}));
    let fallback = match &message.url {
        Some(url) => format!("{}\n{}\n{url}", message.title, message.text),
        None => format!("{}\n{}", message.title, message.text),
    };
    let mut body = json!({"text": fallback, "blocks": blocks, "unfurl_links": false});
    if let Some(channel) = channel_for(target, message.event) {
        body["channel"] = Value::String(channel.to_owned());
    }
    body
}

/// The channel for an event: `channels[event]`, else `channel`, else the webhook's own.
fn channel_for(target: &SlackTarget, event: NotifyEvent) -> Option<&str> {
    target.channels.get(&event).or(target.channel.as_ref()).map(String::as_str)
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The webhook URL from the variable or file the target names.
pub fn webhook_url(target: &SlackTarget, env: &Env) -> Result<Secret, SendError> {
    match (&target.webhook_url_env, &target.webhook_url_file) {
        (Some(var), None) => env.var(var).map(Secret::new).ok_or_else(|| {
            SendError::permanent(format!(
                "the environment variable {var} that holds the Slack webhook URL is not set in \
                 the service's environment; set it and retry"
            ))
        }),
        (None, Some(path)) => read_secret_file(path).map_err(SendError::permanent),
        _ => Err(SendError::permanent(
            "the Slack target needs exactly one of webhook_url_env and webhook_url_file",
        )),
    }
}

/// Posts `message`. A 429 carries Slack's `Retry-After`; 4xx answers other than 408/429 are
/// permanent (the webhook was revoked, the channel archived, the payload refused); 5xx and
/// connection failures are retried.
pub async fn send(
    http: &reqwest::Client,
    target: &SlackTarget,
    env: &Env,
    message: &Message,
) -> Result<(), SendError> {
    let url = webhook_url(target, env)?;
    let response = http
        .post(url.expose())
        .json(&body(target, message))
        .send()
        .await
        // Without the URL: it is the secret.
        .map_err(|e| {
            SendError::retry(format!("cannot reach the Slack webhook: {}", e.without_url()))
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.unwrap_or_default();
    let said: String = text.chars().take(200).collect();
    let what = format!("Slack answered {status}: {}", said.trim());
    match status.as_u16() {
        429 => Err(SendError {
            retry_after: retry_after.or(Some(Duration::from_secs(1))),
            ..SendError::retry(what)
        }),
        408 => Err(SendError::retry(what)),
        400..=499 => Err(SendError::permanent(format!(
            "{what}; the webhook or its channel refuses messages (revoked webhook, archived \
             channel or a refused payload): fix it in Slack, then `plasma-ops notifications --retry ID`"
        ))),
        _ => Err(SendError { retry_after, ..SendError::retry(what) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ready_to_merge;

    #[test]
    fn block_kit_body_with_fallback() {
        let target = SlackTarget {
            channel: Some("#plasma-engine-devops".into()),
            channels: [(NotifyEvent::Release, "#releases".to_owned())].into(),
            ..SlackTarget::default()
        };
        let m = ready_to_merge(
            "o/r",
            12,
            "[PE-12] Gateway",
            "octocat",
            "abcdef0123",
            Some("2026-12-01T10:00:00Z".into()),
        );
        insta::assert_json_snapshot!(body(&target, &m));
    }

    #[test]
    fn channel_per_event_kind() {
        let target = SlackTarget {
            channel: Some("#devops".into()),
            channels: [(NotifyEvent::Release, "#releases".to_owned())].into(),
            ..SlackTarget::default()
        };
        assert_eq!(channel_for(&target, NotifyEvent::Release), Some("#releases"));
        assert_eq!(channel_for(&target, NotifyEvent::FixWaiting), Some("#devops"));
        assert_eq!(channel_for(&SlackTarget::default(), NotifyEvent::Release), None);
        let m = crate::message::test_message("x");
        assert!(body(&SlackTarget::default(), &m).get("channel").is_none());
    }

    #[test]
    fn long_text_is_cut_to_slack_limits() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        let mut m = crate::message::test_message("x");
        m.title = "t".repeat(400);
        let b = body(&SlackTarget::default(), &m);
        let header = b["blocks"][0]["text"]["text"].as_str().unwrap_or_default();
        assert_eq!(header.chars().count(), MAX_HEADER);
    }

    #[test]
    fn the_webhook_url_comes_from_the_named_variable_only() {
        let env = Env::fixed([("HOOK".to_owned(), "https://hooks.example/x".to_owned())].into());
        let by_env = SlackTarget { webhook_url_env: Some("HOOK".into()), ..SlackTarget::default() };
        assert_eq!(
            webhook_url(&by_env, &env).map(|s| s.expose().to_owned()).ok().as_deref(),
            Some("https://hooks.example/x")
        );
        let unset = SlackTarget { webhook_url_env: Some("NOPE".into()), ..SlackTarget::default() };
        let err = webhook_url(&unset, &env).unwrap_err();
        assert!(err.permanent && err.message.contains("NOPE"), "{err:?}");
        assert!(webhook_url(&SlackTarget::default(), &env).unwrap_err().permanent);
        let missing = SlackTarget {
            webhook_url_file: Some("/nonexistent/hook".into()),
            ..SlackTarget::default()
        };
        assert!(webhook_url(&missing, &env).unwrap_err().message.contains("/nonexistent/hook"));
    }
}
