use super::*;
use crate::{AuthMethod, IdentityKind};
use chrono::Duration;

fn person(subject: &str, groups: &[&str]) -> Identity {
    Identity {
        subject: subject.into(),
        kind: IdentityKind::Human,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        scopes: vec![],
        issuer: "test".into(),
        auth_method: AuthMethod::Jwt,
        expires_at: None,
    }
}

fn review(quorum: u32, require_justification: bool) -> (Review, DateTime<Utc>) {
    let now = Utc::now();
    let rules = ReviewRules {
        policy: "dba-approval".into(),
        approver_groups: vec!["dba".into()],
        quorum,
        deadline: now + Duration::minutes(30),
        require_justification,
    };
    let requester = person("eng", &["engineering", "dba"]);
    let review = Review::new(
        ReviewKind::Command,
        &requester,
        "pg-prod",
        "sql:write",
        b"update orders set status = 'x' where id = 2",
        Some("ticket 42".into()),
        rules,
        now,
    )
    .unwrap();
    (review, now)
}

#[test]
fn quorum_needs_distinct_approvers() {
    let (mut r, now) = review(2, false);
    let alice = person("alice", &["dba"]);
    assert_eq!(
        r.vote(&alice, true, None, now).unwrap(),
        ReviewState::Pending
    );
    assert_eq!(
        r.vote(&alice, true, None, now),
        Err(ReviewError::AlreadyVoted("alice".into()))
    );
    assert_eq!(r.state, ReviewState::Pending);
    let bob = person("bob", &["dba"]);
    assert_eq!(
        r.vote(&bob, true, None, now).unwrap(),
        ReviewState::Approved
    );
}

#[test]
fn the_requester_never_counts_even_as_an_approver() {
    let (mut r, now) = review(1, false);
    let requester = person("eng", &["dba"]);
    assert_eq!(
        r.vote(&requester, true, None, now),
        Err(ReviewError::SelfApproval("eng".into()))
    );
    assert_eq!(r.state, ReviewState::Pending);
    assert!(r.votes.is_empty());
}

#[test]
fn only_approver_groups_vote() {
    let (mut r, now) = review(1, false);
    let outsider = person("mallory", &["engineering"]);
    assert!(matches!(
        r.vote(&outsider, true, None, now),
        Err(ReviewError::NotAnApprover { .. })
    ));
    assert_eq!(r.state, ReviewState::Pending);
}

#[test]
fn one_deny_ends_it() {
    let (mut r, now) = review(2, false);
    r.vote(&person("alice", &["dba"]), true, None, now).unwrap();
    assert_eq!(
        r.vote(&person("bob", &["dba"]), false, Some("no".into()), now)
            .unwrap(),
        ReviewState::Denied
    );
    assert!(matches!(
        r.vote(&person("carol", &["dba"]), true, None, now),
        Err(ReviewError::NotPending {
            state: ReviewState::Denied,
            ..
        })
    ));
}

#[test]
fn the_deadline_expires_it() {
    let (mut r, now) = review(1, false);
    let late = now + Duration::minutes(31);
    assert!(matches!(
        r.vote(&person("alice", &["dba"]), true, None, late),
        Err(ReviewError::NotPending {
            state: ReviewState::Expired,
            ..
        })
    ));
    assert_eq!(r.state, ReviewState::Expired);
}

#[test]
fn exactly_the_approved_payload_runs_once() {
    let (mut r, now) = review(1, false);
    assert!(matches!(
        r.execute(b"update orders set status = 'x' where id = 2"),
        Err(ReviewError::NotRunnable { .. })
    ));
    r.vote(&person("alice", &["dba"]), true, None, now).unwrap();
    assert_eq!(
        r.execute(b"delete from orders"),
        Err(ReviewError::PayloadMismatch(r.id))
    );
    r.execute(b"update orders set status = 'x' where id = 2")
        .unwrap();
    assert_eq!(r.state, ReviewState::Executed);
    assert!(matches!(
        r.execute(b"update orders set status = 'x' where id = 2"),
        Err(ReviewError::NotRunnable { .. })
    ));
}

#[test]
fn justification_when_required() {
    let now = Utc::now();
    let rules = ReviewRules {
        policy: "strict".into(),
        approver_groups: vec!["dba".into()],
        quorum: 1,
        deadline: now + Duration::minutes(5),
        require_justification: true,
    };
    let requester = person("eng", &[]);
    let refused = Review::new(
        ReviewKind::Access,
        &requester,
        "pg-prod",
        "role:writer",
        b"",
        Some("   ".into()),
        rules,
        now,
    );
    assert_eq!(
        refused,
        Err(ReviewError::JustificationRequired("strict".into()))
    );
}
