//! `/v1/keys`: list, create and revoke API keys of machine identities (admins). Every change
//! is audited durably before it is answered; a new key's secret is shown once, in the answer.

use super::AdminState;
use super::auth::{AdminRole, Caller};
use super::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use warden_core::{AuditKind, AuditRecord};
use warden_store::ApiKeyRecord;

/// Body of `POST /v1/keys`.
#[derive(Debug, Deserialize)]
pub struct NewKey {
    /// Identity name (the subject).
    pub name: String,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Lifetime, e.g. `30d`; no expiry when absent.
    pub expires: Option<String>,
}

/// API keys without their hashes.
pub async fn list(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
) -> Result<Json<Vec<Value>>, ApiError> {
    state.roles.require(&caller, &[AdminRole::Admin])?;
    let keys = state.gateway.store.api_keys().await?;
    Ok(Json(keys.iter().map(view).collect()))
}

/// Creates a key; the answer carries the secret, once.
pub async fn create(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Json(body): Json<NewKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state.roles.require(&caller, &[AdminRole::Admin])?;
    let expires_at = body
        .expires
        .as_deref()
        .map(|text| {
            humantime::parse_duration(text)
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| chrono::Utc::now() + d)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("`expires` {text:?} is not a duration like 30d"))
                })
        })
        .transpose()?;
    let (record, key) = warden_identity::create_api_key(
        state.gateway.store.as_ref(),
        &body.name,
        body.groups,
        body.scopes,
        expires_at,
    )
    .await
    .map_err(|e| ApiError::new(StatusCode::CONFLICT, "key_refused", e.to_string()))?;
    audit(&state, &caller.subject, AuditKind::KeyCreated, &record).await?;
    let mut answer = view(&record);
    answer["key"] = json!(key.expose());
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Revokes a key by id or name.
pub async fn revoke(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.roles.require(&caller, &[AdminRole::Admin])?;
    let record = warden_identity::revoke_api_key(state.gateway.store.as_ref(), &id)
        .await
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()))?;
    audit(&state, &caller.subject, AuditKind::KeyRevoked, &record).await?;
    Ok(Json(view(&record)))
}

fn view(key: &ApiKeyRecord) -> Value {
    json!({
        "id": key.id, "name": key.name, "groups": key.groups, "scopes": key.scopes,
        "created_at": key.created_at, "expires_at": key.expires_at, "revoked_at": key.revoked_at,
    })
}

async fn audit(
    state: &AdminState,
    actor: &str,
    kind: AuditKind,
    record: &ApiKeyRecord,
) -> Result<(), ApiError> {
    let event = AuditRecord {
        identity: Some(record.name.clone()),
        ..AuditRecord::new(kind)
    }
    .with_detail(json!({
        "key_id": record.id,
        "groups": record.groups,
        "scopes": record.scopes,
        "expires_at": record.expires_at,
        "by": actor,
    }));
    state
        .gateway
        .audit
        .record(event)
        .await
        .map(|_| ())
        .map_err(ApiError::from)
}
