//! Reviews in the store: round trip with votes, compare-and-swap on the version, one vote per
//! approver, and an approved command taken for execution exactly once, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{at, backends};
use std::sync::Arc;
use warden_core::review::payload_hash;
use warden_core::{
    AuthMethod, GrantRequest, Identity, IdentityKind, Review, ReviewKind, ReviewRequest,
    ReviewRules, ReviewState, Vote,
};
use warden_store::{DynStore, ReviewFilter, StoreError};

const UPDATE: &str = "update orders set status = 'shipped' where id = 42";

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

fn dba(subject: &str) -> Identity {
    person(subject, &["dba"])
}

/// A pending command review of `payload` by `requester` on `pg-prod`, created at `at(created)`,
/// needing `quorum` approvals within 30 minutes.
fn command(requester: &str, payload: &str, quorum: u32, created: i64) -> Review {
    let now = at(created);
    let request = ReviewRequest {
        kind: ReviewKind::Command,
        connection: "pg-prod".into(),
        action: "sql:write".into(),
        payload: payload.into(),
        justification: Some("ticket 42 — ünïcødé".into()),
        grant: None,
    };
    Review::new(
        &person(requester, &["eng"]),
        request,
        rules(quorum, now),
        now,
    )
    .unwrap()
}

fn access(requester: &str, connection: &str, created: i64) -> Review {
    let now = at(created);
    let request = ReviewRequest {
        kind: ReviewKind::Access,
        connection: connection.into(),
        action: "role:writer".into(),
        payload: String::new(),
        justification: None,
        grant: Some(GrantRequest {
            role: "writer".into(),
            duration_secs: 3600,
        }),
    };
    Review::new(&person(requester, &[]), request, rules(1, now), now).unwrap()
}

fn rules(quorum: u32, now: DateTime<Utc>) -> ReviewRules {
    ReviewRules {
        policy: "dba-approval".into(),
        approver_groups: vec!["dba".into(), "security".into()],
        quorum,
        deadline: now + Duration::minutes(30),
        require_justification: false,
    }
}

/// Inserts `review`, has each of `approvers` approve it (one update each) and returns it as
/// stored.
async fn approved(store: &DynStore, review: Review, approvers: &[&str]) -> Review {
    store.insert_review(&review).await.unwrap();
    let mut review = review;
    for approver in approvers {
        let now = review.created_at + Duration::minutes(1);
        review.vote(&dba(approver), true, None, now).unwrap();
        review = store.update_review(&review).await.unwrap();
    }
    review
}

#[tokio::test]
async fn reviews_round_trip_with_votes_in_order_newest_first() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let store = &backend.store;
        let first = command("eng", UPDATE, 3, 1);
        let second = access("eng", "pg-staging", 2);
        let third = command("ops", "delete from carts", 1, 3);
        for review in [&first, &second, &third] {
            store.insert_review(review).await.unwrap();
        }
        assert_eq!(store.review(first.id).await.unwrap(), Some(first.clone()));
        assert_eq!(store.review(second.id).await.unwrap(), Some(second.clone()));
        assert_eq!(store.review(uuid::Uuid::now_v7()).await.unwrap(), None);

        // Votes come back in voting order, whatever their names' order.
        let mut voted = first.clone();
        for (approver, comment) in [("zoe", Some("ok")), ("adam", None)] {
            let when = at(1) + Duration::seconds(5);
            voted
                .vote(&dba(approver), true, comment.map(Into::into), when)
                .unwrap();
        }
        let stored = store.update_review(&voted).await.unwrap();
        assert_eq!(stored.version, 1);
        assert_eq!(
            stored.votes.iter().map(|v| &v.approver).collect::<Vec<_>>(),
            ["zoe", "adam"]
        );
        assert_eq!(
            stored,
            Review {
                version: 1,
                ..voted.clone()
            }
        );
        assert_eq!(store.review(first.id).await.unwrap(), Some(stored.clone()));

        // Listing: newest first, votes included, each filter applied.
        let all = store.reviews(&ReviewFilter::default()).await.unwrap();
        assert_eq!(all, vec![third.clone(), second.clone(), stored.clone()]);
        let by = |filter: ReviewFilter| async move {
            let found = store.reviews(&filter).await.unwrap();
            found.into_iter().map(|r| r.id).collect::<Vec<_>>()
        };
        let eng = Some("eng".to_owned());
        let requester = ReviewFilter {
            requester: eng.clone(),
            ..Default::default()
        };
        assert_eq!(by(requester).await, [second.id, first.id]);
        let on_staging = ReviewFilter {
            connection: Some("pg-staging".into()),
            ..Default::default()
        };
        assert_eq!(by(on_staging).await, [second.id]);
        let pending_by_eng = ReviewFilter {
            state: Some(ReviewState::Pending),
            requester: eng,
            connection: Some("pg-prod".into()),
            limit: None,
        };
        assert_eq!(by(pending_by_eng).await, [first.id]);
        // The limit counts reviews, not vote rows: the first review has two votes.
        let two = ReviewFilter {
            limit: Some(2),
            ..Default::default()
        };
        assert_eq!(by(two).await, [third.id, second.id]);
        let three = ReviewFilter {
            limit: Some(3),
            ..Default::default()
        };
        let listed = store.reviews(&three).await.unwrap();
        assert_eq!(listed.last().map(|r| r.votes.len()), Some(2));
        let approved = ReviewFilter {
            state: Some(ReviewState::Approved),
            ..Default::default()
        };
        assert!(by(approved).await.is_empty());

        // Same id again: conflict.
        let err = store.insert_review(&first).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(err.to_string().contains(&first.id.to_string()), "{err}");
    }
}

#[tokio::test]
async fn a_stale_copy_is_refused_with_a_conflict() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let store = &backend.store;
        let review = command("eng", UPDATE, 2, 1);
        store.insert_review(&review).await.unwrap();
        let mut mine = store.review(review.id).await.unwrap().unwrap();
        let mut theirs = mine.clone();
        let now = at(2);

        mine.vote(&dba("alice"), true, None, now).unwrap();
        assert_eq!(store.update_review(&mine).await.unwrap().version, 1);
        theirs
            .vote(&dba("bob"), false, Some("no".into()), now)
            .unwrap();
        let err = store.update_review(&theirs).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        let message = err.to_string();
        assert!(message.contains("changed since it was read"), "{message}");
        assert!(message.contains("stored version 1"), "{message}");

        // The losing write left nothing behind: no deny, no vote by bob.
        let stored = store.review(review.id).await.unwrap().unwrap();
        assert_eq!((stored.state, stored.version), (ReviewState::Pending, 1));
        assert_eq!(stored.votes.len(), 1);

        // Reloaded and applied again, it goes through.
        let mut reloaded = stored;
        reloaded.vote(&dba("bob"), true, None, now).unwrap();
        let done = store.update_review(&reloaded).await.unwrap();
        assert_eq!((done.state, done.version), (ReviewState::Approved, 2));
        assert_eq!(store.review(review.id).await.unwrap(), Some(done));

        let missing = command("eng", UPDATE, 1, 9);
        let err = store.update_review(&missing).await.unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert_eq!(store.review(missing.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn the_store_refuses_a_second_vote_of_one_approver() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let store = &backend.store;
        let review = command("eng", UPDATE, 2, 1);
        let once = approved(store, review.clone(), &["alice"]).await;
        assert_eq!((once.version, once.votes.len()), (1, 1));

        // A copy that slipped past the state machine with alice twice.
        let mut twice = once.clone();
        twice.votes.push(Vote {
            approver: "alice".into(),
            approve: true,
            comment: None,
            at: at(3),
        });
        twice.state = ReviewState::Approved;
        let err = store.update_review(&twice).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(err.to_string().contains("alice has already voted"), "{err}");
        assert_eq!(store.review(review.id).await.unwrap(), Some(once.clone()));

        // Withdrawing a stored vote is refused too.
        let mut fewer = once.clone();
        fewer.votes.clear();
        let err = store.update_review(&fewer).await.unwrap_err();
        assert!(err.to_string().contains("cannot be withdrawn"), "{err}");
        assert_eq!(store.review(review.id).await.unwrap(), Some(once.clone()));

        // A new review carrying a double vote is not stored at all.
        let mut doubled = command("eng", UPDATE, 2, 4);
        doubled.votes = vec![twice.votes[0].clone(), twice.votes[1].clone()];
        let err = store.insert_review(&doubled).await.unwrap_err();
        assert!(err.to_string().contains("alice has already voted"), "{err}");
        assert_eq!(store.review(doubled.id).await.unwrap(), None);

        // Two nodes recording bob's vote from the same copy at once: one write wins.
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (store, mut copy) = (store.clone(), once.clone());
                tokio::spawn(async move {
                    copy.vote(&dba("bob"), true, None, at(5)).unwrap();
                    store.update_review(&copy).await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for racer in racers {
            outcomes.push(racer.await.unwrap());
        }
        assert_eq!(
            outcomes.iter().filter(|o| o.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
        let stored = store.review(review.id).await.unwrap().unwrap();
        assert_eq!(stored.votes.len(), 2);
        assert_eq!((stored.state, stored.version), (ReviewState::Approved, 2));
    }
}

#[tokio::test]
async fn an_approval_is_taken_once_and_only_for_its_own_request() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let store = &backend.store;
        let hash = payload_hash(UPDATE.as_bytes());
        let review = approved(store, command("eng", UPDATE, 1, 1), &["alice"]).await;
        assert_eq!(review.state, ReviewState::Approved);
        let deadline = review.rules.deadline;
        let before = deadline - Duration::microseconds(1);

        // A pending review of the same payload, and an approved access review, are never taken.
        store
            .insert_review(&command("eng", UPDATE, 1, 2))
            .await
            .unwrap();
        let access = approved(store, access("eng", "pg-prod", 3), &["alice"]).await;
        assert_eq!(access.state, ReviewState::Approved);
        let empty = payload_hash(b"");
        assert_eq!(
            store
                .take_approved_review("eng", "pg-prod", &empty, before)
                .await
                .unwrap(),
            None
        );

        let take = |requester: &'static str, connection: &'static str, hash: String, now| {
            let store = store.clone();
            async move {
                store
                    .take_approved_review(requester, connection, &hash, now)
                    .await
                    .unwrap()
            }
        };
        let other_hash = payload_hash(b"delete from orders");
        assert_eq!(take("eng", "pg-prod", other_hash, before).await, None);
        assert_eq!(take("mallory", "pg-prod", hash.clone(), before).await, None);
        assert_eq!(take("eng", "pg-staging", hash.clone(), before).await, None);
        assert_eq!(take("eng", "pg-prod", hash.clone(), deadline).await, None);

        let taken = take("eng", "pg-prod", hash.clone(), before).await.unwrap();
        assert_eq!(taken.id, review.id);
        assert_eq!((taken.state, taken.version), (ReviewState::Executed, 2));
        assert_eq!(taken.votes, review.votes);
        assert_eq!(take("eng", "pg-prod", hash.clone(), before).await, None);
        assert_eq!(store.review(review.id).await.unwrap(), Some(taken.clone()));

        // A copy from before it ran cannot move it back.
        let err = store.update_review(&review).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_takers_get_each_approval_exactly_once() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        // Two gateway nodes, each with its own connections, four requests on each.
        let nodes = [backend.store.clone(), backend.reopen().await];
        let hash = payload_hash(UPDATE.as_bytes());
        for approvals in [1, 2] {
            let mut ids = Vec::new();
            for i in 0..approvals {
                let review = command("eng", UPDATE, 1, i64::from(approvals) * 10 + i64::from(i));
                ids.push(approved(&nodes[0], review, &["alice"]).await.id);
            }
            let now = at(20);
            let start = Arc::new(tokio::sync::Barrier::new(8));
            let takers: Vec<_> = (0..8)
                .map(|i| {
                    let (store, start, hash) = (nodes[i % 2].clone(), start.clone(), hash.clone());
                    tokio::spawn(async move {
                        start.wait().await;
                        store
                            .take_approved_review("eng", "pg-prod", &hash, now)
                            .await
                    })
                })
                .collect();
            let mut taken = Vec::new();
            for taker in takers {
                if let Some(review) = taker.await.unwrap().unwrap() {
                    assert_eq!(review.state, ReviewState::Executed);
                    taken.push(review.id);
                }
            }
            taken.sort_unstable();
            ids.sort_unstable();
            assert_eq!(taken, ids, "{} approvals, 8 takers", approvals);
            for id in ids {
                let stored = nodes[1].review(id).await.unwrap().unwrap();
                assert_eq!((stored.state, stored.version), (ReviewState::Executed, 2));
            }
        }
    }
}
