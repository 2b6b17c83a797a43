use super::message;
use crate::{ReviewEvent, Transition};
use chrono::{Duration, Utc};
use serde_json::Value;
use warden_core::review::{GrantRequest, Review, ReviewKind, ReviewRequest, ReviewRules};
use warden_core::{AuthMethod, Identity, IdentityKind};

fn person(subject: &str, groups: &[&str]) -> Identity {
    Identity {
        subject: subject.into(),
        kind: IdentityKind::Human,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        scopes: Vec::new(),
        issuer: "https://idp.example.com".into(),
        auth_method: AuthMethod::Jwt,
        expires_at: None,
    }
}

fn review(requester: &str, payload: &str, grant: Option<GrantRequest>) -> Review {
    let now = Utc::now();
    Review::new(
        &person(requester, &[]),
        ReviewRequest {
            kind: if grant.is_some() {
                ReviewKind::Access
            } else {
                ReviewKind::Command
            },
            connection: "pg-prod".into(),
            action: "sql:write".into(),
            payload: payload.into(),
            justification: Some("fix <ticket> & go".into()),
            grant,
        },
        ReviewRules {
            policy: "dba".into(),
            approver_groups: vec!["dba".into()],
            quorum: 2,
            deadline: now + Duration::minutes(30),
            require_justification: false,
        },
        now,
    )
    .unwrap()
}

fn event(transition: Transition, review: Review, actor: &str) -> ReviewEvent {
    ReviewEvent {
        transition,
        review,
        actor: Some(actor.into()),
        at: Utc::now(),
    }
}

/// Every mrkdwn text in the message, joined.
fn texts(message: &Value) -> String {
    let mut all = vec![message["text"].as_str().unwrap().to_owned()];
    for block in message["blocks"].as_array().unwrap() {
        for text in [&block["text"]["text"]]
            .into_iter()
            .chain(
                block["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| &f["text"]),
            )
            .chain(
                block["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| &e["text"]),
            )
        {
            if let Some(text) = text.as_str() {
                all.push(text.to_owned());
            }
        }
    }
    all.join("\n")
}

#[test]
fn created_says_who_wants_what_and_how_to_approve() {
    let review = review("alice", "UPDATE accounts SET frozen = true", None);
    let id = review.id;
    let message = message(&event(Transition::Created, review, "alice"));
    let text = message["text"].as_str().unwrap();
    assert!(
        text.contains("alice asks to run `sql:write` on `pg-prod`"),
        "{text}"
    );
    let all = texts(&message);
    assert!(
        all.contains("```\nUPDATE accounts SET frozen = true\n```"),
        "{all}"
    );
    assert!(
        all.contains(&format!("warden review approve {id}")),
        "{all}"
    );
    assert!(all.contains("0 of 2"), "{all}");
    assert!(all.contains("fix &lt;ticket&gt; &amp; go"), "{all}");
}

#[test]
fn user_text_cannot_ping_channels_or_close_the_code_block() {
    let review = review("<!channel>", "SELECT 1 ```<!here>``` --", None);
    let all = texts(&message(&event(Transition::Created, review, "x")));
    assert!(
        !all.contains("<!channel>") && !all.contains("<!here>"),
        "{all}"
    );
    assert!(all.contains("&lt;!channel&gt; asks"), "{all}");
    let code = all.split_once("```\n").unwrap().1;
    let inner = code.split_once("\n```").unwrap().0;
    assert!(!inner.contains("```"), "payload closed the block: {inner}");
}

#[test]
fn long_payloads_are_cut_to_fit_a_section() {
    let payload = "é".repeat(5000);
    let all = texts(&message(&event(
        Transition::Created,
        review("alice", &payload, None),
        "alice",
    )));
    let shown = all.matches('é').count();
    assert_eq!(shown, super::MAX_PAYLOAD_CHARS);
    assert!(all.contains("é…\n```"), "truncation is marked");
}

#[test]
fn later_transitions_name_the_actor_and_drop_the_approve_hint() {
    let mut denied = review("alice", "DELETE FROM t", None);
    denied
        .vote(&person("bob", &["dba"]), false, None, Utc::now())
        .unwrap();
    let all = texts(&message(&event(Transition::Denied, denied, "bob")));
    assert!(
        all.contains("bob denied alice's request to run `sql:write`"),
        "{all}"
    );
    assert!(all.contains("denied"), "{all}");
    assert!(!all.contains("warden review approve"), "{all}");
}

#[test]
fn access_reviews_name_the_role_and_duration() {
    let grant = GrantRequest {
        role: "dba".into(),
        duration_secs: 3600,
    };
    let all = texts(&message(&event(
        Transition::Created,
        review("alice", "", Some(grant)),
        "alice",
    )));
    assert!(
        all.contains("alice asks to get role `dba` on `pg-prod` for 1h"),
        "{all}"
    );
    assert!(!all.contains("```"), "no empty code block: {all}");
}
