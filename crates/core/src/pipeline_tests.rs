use super::*;
use crate::IdentityKind;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

/// Never authenticates anyone: these tests start from a session.
struct NoOne;

#[async_trait]
impl Authenticate for NoOne {
    async fn authenticate(&self, _credential: &Credential) -> Result<Identity, GatewayError> {
        Err(GatewayError::client("unauthenticated", "no one"))
    }
}

/// Allows `sql:read` unless the role `blocked` is granted; denies everything else.
struct ReadsUnlessBlocked {
    clock_free: bool,
}

impl Decide for ReadsUnlessBlocked {
    fn decide(&self, request: &DecisionRequest<'_>) -> Result<Decision, GatewayError> {
        if request.action.name != "sql:read" || request.granted_roles.iter().any(|r| r == "blocked")
        {
            return Ok(Decision::deny("role:blocked", "blocked"));
        }
        Ok(Decision {
            verdict: Verdict::Allow,
            rule: "role:reader/allow[0]".into(),
            ..Decision::deny("", "")
        })
    }

    fn clock_free(&self) -> bool {
        self.clock_free
    }
}

/// Keeps what it is given.
#[derive(Default)]
struct Kept(Mutex<Vec<AuditRecord>>);

#[async_trait]
impl Audit for Kept {
    async fn append(&self, record: AuditRecord) -> Result<(), GatewayError> {
        self.0.lock().unwrap().push(record);
        Ok(())
    }
}

/// Grants `blocked` once `on` is set.
#[derive(Default)]
struct Switch {
    on: AtomicBool,
}

impl Grants for Switch {
    fn active_roles(&self, _subject: &str, _connection: &str) -> Vec<String> {
        match self.on.load(Ordering::SeqCst) {
            true => vec!["blocked".to_owned()],
            false => Vec::new(),
        }
    }
}

fn pipeline(clock_free: bool, grants: Arc<Switch>) -> Pipeline {
    Pipeline::new(
        Arc::new(NoOne),
        Arc::new(ReadsUnlessBlocked { clock_free }),
        Arc::new(RefuseReviews),
        Arc::new(Kept::default()),
    )
    .with_grants(grants)
}

fn session() -> Session {
    let identity = Identity {
        subject: "agent".into(),
        kind: IdentityKind::Machine,
        groups: vec![],
        scopes: vec![],
        issuer: "warden".into(),
        auth_method: crate::AuthMethod::ApiKey,
        expires_at: None,
    };
    Session::new(identity, "pg", ConnectionKind::Postgres, None)
}

fn read() -> Action {
    Action {
        read_only: true,
        ..Action::named("sql:read")
    }
}

#[tokio::test]
async fn an_allowed_read_is_reusable_until_the_granted_roles_change() {
    let grants = Arc::new(Switch::default());
    let pipeline = pipeline(true, grants.clone());
    let session = session();
    let mut reusable = None;
    let admission = pipeline
        .evaluate_keeping(&session, &read(), b"select 1", &mut reusable)
        .await
        .unwrap();
    assert!(matches!(admission, Admission::Forward(d) if d.verdict == Verdict::Allow));
    let reusable = reusable.expect("an allowed read of a clock-free decider is reusable");
    assert!(pipeline.reuse(&session, &reusable));
    assert!(pipeline.reuse(&session, &reusable));
    assert_eq!(pipeline.counters().allowed.load(Ordering::Relaxed), 3);

    // A grant changes what policy would say: the kept decision no longer stands in for it.
    grants.on.store(true, Ordering::SeqCst);
    assert!(!pipeline.reuse(&session, &reusable));
    assert_eq!(pipeline.counters().allowed.load(Ordering::Relaxed), 3);
    let mut again = None;
    let refused = pipeline
        .evaluate_keeping(&session, &read(), b"select 1", &mut again)
        .await;
    assert!(refused.is_err());
    assert_eq!(again, None);
}

#[tokio::test]
async fn only_allowed_reads_of_a_clock_free_decider_are_reusable() {
    let session = session();
    // A decider that may look at the clock: nothing is kept.
    let timed = pipeline(false, Arc::default());
    let mut reusable = Some(Reusable {
        granted: vec!["stale".into()],
    });
    timed
        .evaluate_keeping(&session, &read(), b"select 1", &mut reusable)
        .await
        .unwrap();
    assert_eq!(reusable, None);

    // A write, even if allowed, is audited as a decision every time: not kept.
    let pipeline = pipeline(true, Arc::default());
    let write = Action::named("sql:read");
    pipeline
        .evaluate_keeping(&session, &write, b"select 1", &mut reusable)
        .await
        .unwrap();
    assert_eq!(reusable, None);

    // A refusal is never kept.
    let denied = Action::named("sql:write");
    let refused = pipeline
        .evaluate_keeping(&session, &denied, b"delete from t", &mut reusable)
        .await;
    assert!(refused.is_err());
    assert_eq!(reusable, None);
}
