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

const UPDATE: &str = "update orders set status = 'x' where id = 2";

fn command(payload: &str) -> ReviewRequest {
    ReviewRequest {
        kind: ReviewKind::Command,
        connection: "pg-prod".into(),
        action: "sql:write".into(),
        payload: payload.into(),
        justification: Some("ticket 42".into()),
        grant: None,
    }
}

fn access(grant: Option<GrantRequest>, justification: &str) -> ReviewRequest {
    ReviewRequest {
        kind: ReviewKind::Access,
        connection: "pg-prod".into(),
        action: "role:writer".into(),
        payload: String::new(),
        justification: Some(justification.into()),
        grant,
    }
}

fn rules(quorum: u32, require_justification: bool, now: DateTime<Utc>) -> ReviewRules {
    ReviewRules {
        policy: "dba-approval".into(),
        approver_groups: vec!["dba".into()],
        quorum,
        deadline: now + Duration::minutes(30),
        require_justification,
    }
}

fn review(quorum: u32, require_justification: bool) -> (Review, DateTime<Utc>) {
    let now = Utc::now();
    let rules = rules(quorum, require_justification, now);
    let requester = person("eng", &["engineering", "dba"]);
    let review = Review::new(&requester, command(UPDATE), rules, now).unwrap();
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
        r.execute(UPDATE.as_bytes()),
        Err(ReviewError::NotRunnable { .. })
    ));
    r.vote(&person("alice", &["dba"]), true, None, now).unwrap();
    assert_eq!(
        r.execute(b"delete from orders"),
        Err(ReviewError::PayloadMismatch(r.id))
    );
    r.execute(UPDATE.as_bytes()).unwrap();
    assert_eq!(r.state, ReviewState::Executed);
    assert!(matches!(
        r.execute(UPDATE.as_bytes()),
        Err(ReviewError::NotRunnable { .. })
    ));
}

#[test]
fn justification_when_required() {
    let now = Utc::now();
    let rules = ReviewRules {
        policy: "strict".into(),
        ..rules(1, true, now)
    };
    let grant = GrantRequest {
        role: "writer".into(),
        duration_secs: 3600,
    };
    let refused = Review::new(&person("eng", &[]), access(Some(grant), "   "), rules, now);
    assert_eq!(
        refused,
        Err(ReviewError::JustificationRequired("strict".into()))
    );
}

#[test]
fn a_new_review_keeps_the_payload_it_hashes_and_starts_at_version_0() {
    let (r, _) = review(1, false);
    assert_eq!(r.payload, UPDATE);
    assert_eq!(r.payload_hash, payload_hash(UPDATE.as_bytes()));
    assert_eq!((r.version, r.grant.clone()), (0, None));
}

#[test]
fn a_bound_review_shows_the_masked_copy_and_runs_only_the_exact_payload() {
    let now = Utc::now();
    let exact = "update customers set email = 'ada@example.com' where id = 1";
    let shown = "update customers set email = '[redacted:email]' where id = 1";
    let mut r = Review::new_bound(
        &person("eng", &[]),
        command(shown),
        rules(1, false, now),
        now,
        exact.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.payload, shown);
    assert_eq!(r.payload_hash, payload_hash(exact.as_bytes()));
    r.vote(&person("alice", &["dba"]), true, None, now).unwrap();
    assert_eq!(
        r.execute(shown.as_bytes()),
        Err(ReviewError::PayloadMismatch(r.id)),
        "the masked copy never runs"
    );
    r.execute(exact.as_bytes()).unwrap();
    assert_eq!(r.state, ReviewState::Executed);
}

#[test]
fn access_reviews_and_only_they_carry_a_grant_request() {
    let now = Utc::now();
    let eng = person("eng", &[]);
    let grant = GrantRequest {
        role: "writer".into(),
        duration_secs: 3600,
    };
    let ok = Review::new(
        &eng,
        access(Some(grant.clone()), "incident"),
        rules(1, false, now),
        now,
    )
    .unwrap();
    assert_eq!((ok.grant, ok.payload.as_str()), (Some(grant.clone()), ""));
    let missing = Review::new(&eng, access(None, "incident"), rules(1, false, now), now);
    assert_eq!(missing, Err(ReviewError::GrantMismatch(ReviewKind::Access)));
    let extra = ReviewRequest {
        grant: Some(grant),
        ..command(UPDATE)
    };
    let refused = Review::new(&eng, extra, rules(1, false, now), now).unwrap_err();
    assert_eq!(refused, ReviewError::GrantMismatch(ReviewKind::Command));
    assert!(refused.to_string().contains("access review"), "{refused}");
}
