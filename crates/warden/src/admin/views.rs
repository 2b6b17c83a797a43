//! Read-only views: sessions, audit search, API keys, connections, and who the caller is.

use super::AdminState;
use super::auth::{AdminRole, Caller};
use super::error::ApiError;
use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use warden_store::AuditFilter;

/// Most events one call returns (the store's default, 1000, applies when none is asked for).
const MAX_EVENTS: u32 = 10_000;

/// `filter` as searched: at most [`MAX_EVENTS`], of `kind` when given.
fn bounded(filter: AuditFilter, kind: Option<&str>) -> AuditFilter {
    AuditFilter {
        kind: kind.map(str::to_owned).or(filter.kind),
        limit: filter.limit.map(|limit| limit.min(MAX_EVENTS)),
        ..filter
    }
}

/// A session as the audit log tells it.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// Session id.
    pub id: String,
    /// Identity subject.
    pub identity: Option<String>,
    /// Connection name.
    pub connection: Option<String>,
    /// Node that served it.
    pub node: String,
    /// When it started.
    pub started: String,
    /// When it ended, if it has.
    pub ended: Option<String>,
    /// The start event's detail (auth method, client address, protocol).
    pub start: Value,
    /// The end event's detail (statement counts, error).
    pub end: Option<Value>,
}

/// Audit events matching the query, oldest first (auditors, admins).
pub async fn audit(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Query(query): Query<AuditFilter>,
) -> Result<Json<Vec<warden_store::ChainedEvent>>, ApiError> {
    state.roles.require(&caller, &[AdminRole::Auditor])?;
    let filter = bounded(query, None);
    Ok(Json(
        warden_store::audit::search(state.gateway.store.as_ref(), &filter).await?,
    ))
}

/// Sessions started in the window, with their end if they ended (auditors, admins).
pub async fn sessions(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Query(query): Query<AuditFilter>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    state.roles.require(&caller, &[AdminRole::Auditor])?;
    let store = state.gateway.store.as_ref();
    // Sessions that started in the window may end after it.
    let ends_query = AuditFilter {
        identity: query.identity.clone(),
        connection: query.connection.clone(),
        since: query.since,
        limit: Some(MAX_EVENTS),
        ..AuditFilter::default()
    };
    let starts = warden_store::audit::search(store, &bounded(query, Some("session_start"))).await?;
    let ends: BTreeMap<String, warden_store::ChainedEvent> =
        warden_store::audit::search(store, &bounded(ends_query, Some("session_end")))
            .await?
            .into_iter()
            .filter_map(|e| e.record.session.clone().map(|s| (s, e)))
            .collect();
    Ok(Json(
        starts
            .into_iter()
            .filter_map(|start| {
                let id = start.record.session.clone()?;
                let end = ends.get(&id);
                Some(SessionView {
                    identity: start.record.identity.clone(),
                    connection: start.record.connection.clone(),
                    node: start.node.clone(),
                    started: start.record.time.to_rfc3339(),
                    ended: end.map(|e| e.record.time.to_rfc3339()),
                    start: start.record.detail.clone(),
                    end: end.map(|e| e.record.detail.clone()),
                    id,
                })
            })
            .collect(),
    ))
}

/// Connections, without credentials (any authenticated caller).
pub async fn connections(State(state): State<AdminState>) -> Json<Vec<Value>> {
    let config = state.gateway.config();
    Json(
        config
            .connections
            .iter()
            .map(|(name, c)| {
                json!({
                    "name": name, "kind": c.kind.as_str(), "upstream": c.upstream,
                    "database": c.database, "tags": c.tags,
                })
            })
            .collect(),
    )
}

/// The caller as the gateway sees them, with their built-in roles.
pub async fn whoami(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
) -> Json<Value> {
    let roles: Vec<&str> = [AdminRole::Admin, AdminRole::Approver, AdminRole::Auditor]
        .into_iter()
        .filter(|r| state.roles.holds(&caller, *r))
        .map(|r| r.as_str())
        .collect();
    Json(json!({
        "subject": caller.subject,
        "groups": caller.groups,
        "auth_method": caller.auth_method.as_str(),
        "roles": roles,
    }))
}

/// A session's recording as JSON lines, exactly as stored (auditors, admins).
pub async fn recording(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    use tokio::io::AsyncReadExt;
    state.roles.require(&caller, &[AdminRole::Auditor])?;
    let mut reader = state
        .gateway
        .recordings
        .open(&id)
        .await
        .map_err(|e| match e {
            warden_record::RecordError::NotFound(_)
            | warden_record::RecordError::InvalidSession(_) => ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                format!("no recording of session {id}"),
            ),
            other => ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "recordings_unavailable",
                other.to_string(),
            ),
        })?;
    let mut body = Vec::new();
    reader.read_to_end(&mut body).await.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "recordings_unavailable",
            e.to_string(),
        )
    })?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/x-ndjson")],
        body,
    )
        .into_response())
}
