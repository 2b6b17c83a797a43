//! Webhooks delivered to a real HTTP receiver on loopback: signed json, Slack messages,
//! retries, the event filter, and notify() never waiting for the network.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Utc;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use warden_config::WebhookFormat;
use warden_core::review::{Review, ReviewKind, ReviewRequest, ReviewRules};
use warden_core::{AuthMethod, Identity, IdentityKind, Secret};
use warden_review::{
    EVENT_HEADER, Notify, ResolvedWebhook, ReviewEvent, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    Transition, WebhookError, WebhookNotifier, resolve_webhooks, verify_signature,
};

const SECRET: &[u8] = b"webhook-test-secret";

/// One request as the receiver saw it.
struct Received {
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

struct Behaviour {
    /// Statuses to answer, in order; 200 once used up.
    statuses: Mutex<VecDeque<StatusCode>>,
    /// How long to wait before answering.
    delay: Duration,
    seen: mpsc::UnboundedSender<Received>,
}

/// An HTTP server on 127.0.0.1 recording every POST to `/hook`; aborted on drop.
struct Receiver {
    url: String,
    seen: mpsc::UnboundedReceiver<Received>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    async fn start(statuses: &[u16], delay: Duration) -> Receiver {
        let (tx, seen) = mpsc::unbounded_channel();
        let behaviour = Arc::new(Behaviour {
            statuses: Mutex::new(
                statuses
                    .iter()
                    .map(|s| StatusCode::from_u16(*s).unwrap())
                    .collect(),
            ),
            delay,
            seen: tx,
        });
        let app = Router::new()
            .route("/hook", post(record))
            .with_state(behaviour);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url, seen, server }
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(15), self.seen.recv())
            .await
            .expect("no webhook arrived within 15 s")
            .unwrap()
    }

    /// Asserts nothing more arrives within `wait`.
    async fn quiet_for(&mut self, wait: Duration) {
        if let Ok(Some(extra)) = tokio::time::timeout(wait, self.seen.recv()).await {
            panic!(
                "unexpected extra request: {}",
                String::from_utf8_lossy(&extra.body)
            );
        }
    }
}

async fn record(
    State(behaviour): State<Arc<Behaviour>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    tokio::time::sleep(behaviour.delay).await;
    let status = behaviour
        .statuses
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(StatusCode::OK);
    let _ = behaviour.seen.send(Received { headers, body, at });
    status
}

fn hook(url: &str, format: WebhookFormat, events: Option<Vec<Transition>>) -> ResolvedWebhook {
    ResolvedWebhook {
        url: url.to_owned(),
        format,
        secret: (format == WebhookFormat::Json).then(|| Secret::new(SECRET.to_vec())),
        events,
        timeout: Duration::from_secs(5),
    }
}

fn event(transition: Transition) -> ReviewEvent {
    let now = Utc::now();
    let alice = Identity {
        subject: "alice".into(),
        kind: IdentityKind::Human,
        groups: vec!["analysts".into()],
        scopes: Vec::new(),
        issuer: "https://idp.example.com".into(),
        auth_method: AuthMethod::Jwt,
        expires_at: None,
    };
    let review = Review::new(
        &alice,
        ReviewRequest {
            kind: ReviewKind::Command,
            connection: "pg-prod".into(),
            action: "sql:write".into(),
            payload: "UPDATE accounts SET frozen = true WHERE id = 7".into(),
            justification: Some("INC-42".into()),
            grant: None,
        },
        ReviewRules {
            policy: "dba".into(),
            approver_groups: vec!["dba".into()],
            quorum: 2,
            deadline: now + chrono::Duration::minutes(30),
            require_justification: true,
        },
        now,
    )
    .unwrap();
    ReviewEvent {
        transition,
        review,
        actor: Some("alice".into()),
        at: now,
    }
}

#[tokio::test]
async fn json_event_arrives_signed() {
    let mut receiver = Receiver::start(&[], Duration::ZERO).await;
    let notifier =
        WebhookNotifier::start(vec![hook(&receiver.url, WebhookFormat::Json, None)]).unwrap();
    let sent = event(Transition::Created);
    notifier.notify(&sent);
    let got = receiver.next().await;

    assert_eq!(got.header("content-type"), "application/json");
    assert_eq!(got.header(EVENT_HEADER), "review.created");
    let timestamp = got.header(TIMESTAMP_HEADER);
    let sent_at: i64 = timestamp.parse().unwrap();
    assert!((Utc::now().timestamp() - sent_at).abs() < 60, "{timestamp}");
    let signature = got.header(SIGNATURE_HEADER);
    assert!(signature.starts_with("sha256="), "{signature}");
    assert!(verify_signature(SECRET, timestamp, &got.body, signature));

    let mut tampered = got.body.to_vec();
    let at = tampered.iter().position(|b| *b == b'7').unwrap();
    tampered[at] = b'8';
    assert!(!verify_signature(SECRET, timestamp, &tampered, signature));
    assert!(!verify_signature(
        b"another secret",
        timestamp,
        &got.body,
        signature
    ));
    let later = (sent_at + 1).to_string();
    assert!(!verify_signature(SECRET, &later, &got.body, signature));

    let body = got.json();
    let id = sent.review.id.to_string();
    assert_eq!(body["event"], "review.created");
    assert_eq!(body["actor"], "alice");
    assert_eq!(
        body["approve_command"],
        format!("warden review approve {id}")
    );
    let review = &body["review"];
    assert_eq!(review["id"], id.as_str());
    assert_eq!(review["kind"], "command");
    assert_eq!(review["state"], "pending");
    assert_eq!(review["requester"], "alice");
    assert_eq!(review["connection"], "pg-prod");
    assert_eq!(review["action"], "sql:write");
    assert_eq!(review["payload"], sent.review.payload.as_str());
    assert_eq!(review["justification"], "INC-42");
    assert_eq!(review["policy"], "dba");
    assert_eq!(review["quorum"], 2);
    assert_eq!(review["approvals"], 0);
    assert!(review["deadline"].is_string() && review["created_at"].is_string());
    assert!(body["at"].is_string());
    notifier.close().await;
}

#[tokio::test]
async fn slack_message_has_text_and_no_signature() {
    let mut receiver = Receiver::start(&[], Duration::ZERO).await;
    let notifier =
        WebhookNotifier::start(vec![hook(&receiver.url, WebhookFormat::Slack, None)]).unwrap();
    notifier.notify(&event(Transition::Created));
    let got = receiver.next().await;
    assert!(got.headers.get(SIGNATURE_HEADER).is_none());
    let body = got.json();
    let text = body["text"].as_str().expect("slack messages need `text`");
    assert!(
        text.contains("alice asks to run `sql:write` on `pg-prod`"),
        "{text}"
    );
    let blocks = body["blocks"].as_array().unwrap();
    assert!(
        blocks
            .iter()
            .any(|b| b["text"]["text"].as_str().is_some_and(
                |t| t.contains("```\nUPDATE accounts SET frozen = true WHERE id = 7\n```")
            )),
        "{body}"
    );
    notifier.close().await;
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff() {
    let mut receiver = Receiver::start(&[500, 500], Duration::ZERO).await;
    let notifier =
        WebhookNotifier::start(vec![hook(&receiver.url, WebhookFormat::Json, None)]).unwrap();
    notifier.notify(&event(Transition::Approved));
    let first = receiver.next().await;
    let second = receiver.next().await;
    let third = receiver.next().await;
    for got in [&first, &second, &third] {
        assert_eq!(got.header(EVENT_HEADER), "review.approved");
        assert_eq!(got.body, first.body, "every attempt carries the same event");
        assert!(verify_signature(
            SECRET,
            got.header(TIMESTAMP_HEADER),
            &got.body,
            got.header(SIGNATURE_HEADER)
        ));
    }
    let waits = [second.at - first.at, third.at - second.at];
    assert!(waits[0] >= Duration::from_millis(450), "{waits:?}");
    assert!(
        waits[1] >= Duration::from_millis(950),
        "backoff doubles: {waits:?}"
    );
    // The third attempt got 200: nothing more is sent.
    receiver.quiet_for(Duration::from_millis(2500)).await;
    notifier.close().await;
}

#[tokio::test]
async fn notify_returns_at_once_while_a_receiver_hangs() {
    let mut slow = Receiver::start(&[], Duration::from_secs(2)).await;
    let mut fast = Receiver::start(&[], Duration::ZERO).await;
    let notifier = WebhookNotifier::start(vec![
        hook(&slow.url, WebhookFormat::Json, None),
        hook(&fast.url, WebhookFormat::Slack, None),
    ])
    .unwrap();
    let started = Instant::now();
    for transition in [Transition::Created, Transition::Voted, Transition::Approved] {
        let before = Instant::now();
        notifier.notify(&event(transition));
        let took = before.elapsed();
        assert!(took < Duration::from_millis(50), "notify took {took:?}");
    }
    // The fast endpoint gets all three while the slow one is still holding its first.
    for _ in 0..3 {
        fast.next().await;
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "fast webhook waited for the slow one: {:?}",
        started.elapsed()
    );
    // The slow endpoint still gets its events, in order.
    for expected in ["review.created", "review.voted", "review.approved"] {
        assert_eq!(slow.next().await.header(EVENT_HEADER), expected);
    }
}

#[tokio::test]
async fn events_filter_is_respected() {
    let mut receiver = Receiver::start(&[], Duration::ZERO).await;
    let notifier = WebhookNotifier::start(vec![hook(
        &receiver.url,
        WebhookFormat::Json,
        Some(vec![Transition::Approved, Transition::Denied]),
    )])
    .unwrap();
    for transition in [
        Transition::Created,
        Transition::Voted,
        Transition::Approved,
        Transition::Executed,
    ] {
        notifier.notify(&event(transition));
    }
    // One worker delivers in order, so a created or voted event would have arrived first.
    let got = receiver.next().await;
    assert_eq!(got.header(EVENT_HEADER), "review.approved");
    assert_eq!(got.json()["event"], "review.approved");
    receiver.quiet_for(Duration::from_millis(500)).await;
    notifier.close().await;
}

#[tokio::test]
async fn secrets_are_resolved_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hook.secret"), "s3cr3t-value\n").unwrap();
    let src = r#"
[gateway]
data_dir = "/tmp/warden"

[[webhooks]]
url = "https://hooks.example.com/warden"
secret = { file = "hook.secret" }
events = ["approved"]

[[webhooks]]
url = "https://chat.example.com/services/T0/B0/TOKEN"
format = "slack"
"#;
    let config = warden_config::parse(src, &dir.path().join("warden.toml")).unwrap();
    let hooks = resolve_webhooks(&config).unwrap();
    assert_eq!(hooks[0].secret.as_ref().unwrap().expose(), b"s3cr3t-value");
    assert!(hooks[0].wants(Transition::Approved) && !hooks[0].wants(Transition::Created));
    assert!(hooks[1].secret.is_none() && hooks[1].wants(Transition::Created));
    assert_eq!(hooks[1].timeout, Duration::from_secs(5));
    let debug = format!("{hooks:?}");
    assert!(
        !debug.contains("s3cr3t") && !debug.contains("TOKEN"),
        "{debug}"
    );

    std::fs::remove_file(dir.path().join("hook.secret")).unwrap();
    let err = resolve_webhooks(&config).unwrap_err();
    assert!(matches!(err, WebhookError::Secret { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("https://hooks.example.com") && text.contains("hook.secret"),
        "{text}"
    );
}

#[tokio::test]
async fn json_webhooks_without_a_secret_are_refused() {
    let mut unsigned = hook("http://127.0.0.1:9/hook", WebhookFormat::Json, None);
    unsigned.secret = None;
    let err = WebhookNotifier::start(vec![unsigned])
        .err()
        .expect("refused");
    assert!(err.to_string().contains("need a `secret`"), "{err}");
}
