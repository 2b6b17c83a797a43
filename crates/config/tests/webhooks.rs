//! `[[webhooks]]`: defaults, the event filter, and located errors for each rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;
use warden_config::{ConfigError, SecretRef, WebhookEvent, WebhookFormat, parse};

const BASE: &str = r#"
[gateway]
data_dir = "/tmp/warden"
"#;

const HOOKS: &str = r#"
[[webhooks]]
url = "https://hooks.example.com/warden"
secret = { file = "webhook.secret" }

[[webhooks]]
url = "http://chat.internal/services/T0/B0/xyz"
format = "slack"
events = ["created", "approved"]
timeout = "2s"
"#;

/// A directory holding the secret file the webhooks refer to, and the config's path in it.
fn dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("webhook.secret"), "hunter2\n").unwrap();
    let file = dir.path().join("warden.toml");
    (dir, file)
}

fn error(src: &str) -> ConfigError {
    let (_dir, file) = dir();
    parse(src, &file).expect_err("config should be refused")
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn webhooks_load_with_defaults() {
    let (_dir, file) = dir();
    let config = parse(&format!("{BASE}{HOOKS}"), &file).unwrap();
    let [json, slack] = config.webhooks.as_slice() else {
        panic!("two webhooks expected, got {:?}", config.webhooks);
    };
    assert_eq!(json.format, WebhookFormat::Json);
    assert_eq!(json.timeout.0, Duration::from_secs(5));
    assert!(json.events.is_none(), "no filter means every event");
    assert!(
        matches!(&json.secret, Some(SecretRef::File { file }) if file == Path::new("webhook.secret"))
    );
    assert_eq!(slack.format, WebhookFormat::Slack);
    assert_eq!(
        slack.events.as_deref(),
        Some([WebhookEvent::Created, WebhookEvent::Approved].as_slice())
    );
    assert_eq!(slack.timeout.0, Duration::from_secs(2));
    assert!(slack.secret.is_none());
}

#[test]
fn no_webhooks_is_fine() {
    let config = parse(BASE, Path::new("warden.toml")).unwrap();
    assert!(config.webhooks.is_empty());
}

#[test]
fn bad_webhooks_are_located_and_explained() {
    let cases = [
        (
            "url = \"https://hooks.example.com/warden\"",
            "url = \"hooks.example.com/warden\"",
            "webhooks[0].url",
            "hooks.example.com/warden",
            "not an http(s) URL",
        ),
        (
            "secret = { file = \"webhook.secret\" }",
            "secret = { file = \"missing.secret\" }",
            "webhooks[0].secret.file",
            "missing.secret",
            "does not exist",
        ),
        (
            "secret = { file = \"webhook.secret\" }\n",
            "",
            "webhooks[0].secret",
            "url = \"https://hooks.example.com/warden\"",
            "json webhooks are signed",
        ),
        (
            "format = \"slack\"",
            "format = \"slack\"\nsecret = { env = \"PATH\" }",
            "webhooks[1].secret",
            "{ env = \"PATH\" }",
            "remove `secret`",
        ),
        (
            "format = \"slack\"",
            "format = \"xml\"",
            "webhooks[1].format",
            "xml",
            "unknown variant `xml`",
        ),
        (
            "events = [\"created\", \"approved\"]",
            "events = [\"created\", \"aproved\"]",
            "webhooks[1].events[1]",
            "aproved",
            "`approved`",
        ),
        (
            "events = [\"created\", \"approved\"]",
            "events = []",
            "webhooks[1].events",
            "events = []",
            "list at least one event",
        ),
        (
            "timeout = \"2s\"",
            "timeout = \"0s\"",
            "webhooks[1].timeout",
            "timeout = \"0s\"",
            "longer than zero",
        ),
        (
            "timeout = \"2s\"",
            "timeout = \"later\"",
            "webhooks[1].timeout",
            "timeout = \"later\"",
            "invalid duration",
        ),
    ];
    for (from, to, key, line_with, words) in cases {
        let hooks = HOOKS.replacen(from, to, 1);
        assert_ne!(hooks, HOOKS, "{from}");
        let src = format!("{BASE}{hooks}");
        let err = error(&src);
        assert_eq!(err.key, key, "{to}: {err}");
        assert!(err.message.contains(words), "{to}: {}", err.message);
        let line = err.location.as_ref().expect("located").line;
        // A missing key is reported at its table's header, the line before the table's first key.
        let expected = if to.is_empty() {
            line_of(&src, line_with) - 1
        } else {
            line_of(&src, line_with)
        };
        assert_eq!(line, expected, "{to}: {err}");
    }
}
