use super::*;
use chrono::{Duration, TimeZone};

fn grant() -> (Grant, DateTime<Utc>) {
    let start = Utc.with_ymd_and_hms(2026, 5, 6, 7, 0, 0).unwrap();
    let grant = Grant {
        id: Uuid::now_v7(),
        review_id: None,
        identity: "eng".into(),
        connection: "pg-prod".into(),
        role: "writer".into(),
        reason: Some("incident 7".into()),
        granted_by: vec!["alice".into()],
        created_at: start,
        expires_at: start + Duration::hours(1),
        revoked_at: None,
        revoked_by: None,
    };
    (grant, start)
}

#[test]
fn active_from_creation_until_expiry() {
    let (g, start) = grant();
    assert!(!g.is_active(start - Duration::microseconds(1)));
    assert!(g.is_active(start));
    assert!(g.is_active(start + Duration::minutes(59)));
    assert!(!g.is_active(start + Duration::hours(1)));
}

#[test]
fn revocation_ends_it() {
    let (mut g, start) = grant();
    g.revoked_at = Some(start + Duration::minutes(10));
    g.revoked_by = Some("sec".into());
    assert!(g.is_active(start + Duration::minutes(9)));
    assert!(!g.is_active(start + Duration::minutes(10)));
    assert!(!g.is_active(start + Duration::minutes(30)));
}
