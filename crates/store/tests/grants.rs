//! Grants in the store: round trip, active / expired / revoked listings, revocation once, and at
//! most one grant per access review, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::{at, backends};
use uuid::Uuid;
use warden_core::{
    AuthMethod, Grant, GrantRequest, Identity, IdentityKind, Review, ReviewKind, ReviewRequest,
    ReviewRules,
};
use warden_store::StoreError;

const SECOND: i64 = 1_000_000;
const HOUR: i64 = 3_600 * SECOND;

/// A grant of `role` to `identity` on `connection` from `at(created)` for one hour.
fn grant(identity: &str, connection: &str, role: &str, created: i64) -> Grant {
    Grant {
        id: Uuid::now_v7(),
        review_id: None,
        identity: identity.into(),
        connection: connection.into(),
        role: role.into(),
        reason: Some(format!("incident {created} — ünïcødé")),
        granted_by: vec!["alice".into(), "bob".into()],
        created_at: at(created),
        expires_at: at(created + HOUR),
        revoked_at: None,
        revoked_by: None,
    }
}

fn access_review() -> Review {
    let requester = Identity {
        subject: "eng".into(),
        kind: IdentityKind::Human,
        groups: vec![],
        scopes: vec![],
        issuer: "test".into(),
        auth_method: AuthMethod::Jwt,
        expires_at: None,
    };
    let request = ReviewRequest {
        kind: ReviewKind::Access,
        connection: "pg-prod".into(),
        action: "role:writer".into(),
        payload: String::new(),
        justification: Some("incident".into()),
        grant: Some(GrantRequest {
            role: "writer".into(),
            duration_secs: 3600,
        }),
    };
    let rules = ReviewRules {
        policy: "access".into(),
        approver_groups: vec!["security".into()],
        quorum: 1,
        deadline: at(HOUR),
        require_justification: true,
    };
    Review::new(&requester, request, rules, at(0)).unwrap()
}

#[tokio::test]
async fn grants_are_listed_active_expired_and_revoked() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let store = &backend.store;
        let now = at(2 * HOUR);
        let review = access_review();
        store.insert_review(&review).await.unwrap();
        let expired = grant("eng", "pg-prod", "writer", 0);
        let active = Grant {
            review_id: Some(review.id),
            reason: None,
            ..grant("eng", "pg-prod", "writer", 2 * HOUR - 10 * SECOND)
        };
        let revoked = grant("eng", "pg-prod", "admin", 2 * HOUR - 5 * SECOND);
        let other_connection = grant("eng", "pg-staging", "writer", 2 * HOUR - 4 * SECOND);
        let other_identity = grant("ops", "pg-prod", "writer", 2 * HOUR - 3 * SECOND);
        let future = grant("eng", "pg-prod", "reader", 2 * HOUR + SECOND);
        let all = [
            &expired,
            &active,
            &revoked,
            &other_connection,
            &other_identity,
            &future,
        ];
        for g in all {
            store.insert_grant(g).await.unwrap();
        }
        assert_eq!(store.grant(active.id).await.unwrap(), Some(active.clone()));
        assert_eq!(
            store.grant(expired.id).await.unwrap(),
            Some(expired.clone())
        );
        assert_eq!(store.grant(Uuid::now_v7()).await.unwrap(), None);

        let ids = |grants: Vec<Grant>| grants.into_iter().map(|g| g.id).collect::<Vec<_>>();
        let active_now = store.active_grants("eng", "pg-prod", now).await.unwrap();
        assert_eq!(ids(active_now), [revoked.id, active.id]);

        // Revocation: returned with who and when, kept on a second try, ends the grant.
        let done = store
            .revoke_grant(revoked.id, "sec", now - Duration::seconds(1))
            .await;
        let done = done.unwrap().unwrap();
        assert_eq!(done.revoked_by.as_deref(), Some("sec"));
        assert_eq!(done.revoked_at, Some(now - Duration::seconds(1)));
        let again = store.revoke_grant(revoked.id, "other", now).await.unwrap();
        assert_eq!(again, Some(done.clone()));
        assert_eq!(store.grant(revoked.id).await.unwrap(), Some(done.clone()));
        assert_eq!(
            store
                .revoke_grant(Uuid::now_v7(), "sec", now)
                .await
                .unwrap(),
            None
        );

        let active_now = store.active_grants("eng", "pg-prod", now).await.unwrap();
        assert_eq!(active_now, vec![active.clone()]);
        let earlier = now - Duration::seconds(2);
        let active_earlier = store
            .active_grants("eng", "pg-prod", earlier)
            .await
            .unwrap();
        assert_eq!(ids(active_earlier), [revoked.id, active.id]);
        let later = at(3 * HOUR);
        assert_eq!(
            ids(store.active_grants("eng", "pg-prod", later).await.unwrap()),
            [future.id]
        );

        // Listings: everyone's or one identity's, all or active only, newest first.
        let every = store.grants(None, None).await.unwrap();
        assert_eq!(
            ids(every.clone()),
            [
                future.id,
                other_identity.id,
                other_connection.id,
                revoked.id,
                active.id,
                expired.id
            ]
        );
        let engs = store.grants(Some("eng"), None).await.unwrap();
        assert_eq!(ids(engs).len(), 5);
        let active_everyone = store.grants(None, Some(now)).await.unwrap();
        assert_eq!(
            ids(active_everyone.clone()),
            [other_identity.id, other_connection.id, active.id]
        );
        // The store and Grant::is_active agree.
        let expected: Vec<_> = every.into_iter().filter(|g| g.is_active(now)).collect();
        assert_eq!(active_everyone, expected);
        let engs_active = store.grants(Some("eng"), Some(now)).await.unwrap();
        assert_eq!(ids(engs_active), [other_connection.id, active.id]);

        // Same id, or a second grant from one review: conflict.
        let err = store.insert_grant(&expired).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        let twice = Grant {
            review_id: Some(review.id),
            ..grant("eng", "pg-prod", "writer", 9)
        };
        let err = store.insert_grant(&twice).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(err.to_string().contains(&review.id.to_string()), "{err}");
        assert_eq!(store.grant(twice.id).await.unwrap(), None);
    }
}
