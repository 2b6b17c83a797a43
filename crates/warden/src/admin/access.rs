//! `/v1/access-requests` and `/v1/grants`: ask for a role for a while, list and revoke grants.

use super::AdminState;
use super::auth::{AdminRole, Caller};
use super::error::ApiError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;
use warden_core::{Grant, Review};
use warden_review::AccessRequest;

/// Body of `POST /v1/access-requests`.
#[derive(Debug, Deserialize)]
pub struct AccessBody {
    /// Connection name.
    pub connection: String,
    /// Role wanted.
    pub role: String,
    /// For how long, e.g. `1h`, `30m`.
    #[serde(rename = "for")]
    pub duration: String,
    /// Why.
    pub reason: Option<String>,
}

/// Query of `GET /v1/grants`.
#[derive(Debug, Deserialize)]
pub struct GrantsQuery {
    /// Holder subject.
    pub identity: Option<String>,
    /// Only grants in force now (default true).
    pub active: Option<bool>,
}

/// Opens an access review for the caller.
pub async fn request(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Json(body): Json<AccessBody>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let duration = humantime::parse_duration(&body.duration).map_err(|e| {
        ApiError::bad_request(format!("`for` must be a duration like 1h or 30m: {e}"))
    })?;
    let config = state.gateway.config();
    let exists = config.connections.contains_key(&body.connection);
    let review = state
        .gateway
        .reviews
        .request_access(
            &caller,
            AccessRequest {
                connection: body.connection,
                role: body.role,
                duration,
                reason: body.reason,
            },
            &config.roles,
            exists,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// Grants: admins and auditors see everyone's, others their own.
pub async fn grants(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Query(query): Query<GrantsQuery>,
) -> Result<Json<Vec<Grant>>, ApiError> {
    let sees_all = state.roles.holds(&caller, AdminRole::Auditor);
    let identity = if sees_all {
        query.identity
    } else {
        Some(caller.subject.clone())
    };
    Ok(Json(
        state
            .gateway
            .reviews
            .grants(identity.as_deref(), query.active.unwrap_or(true))
            .await?,
    ))
}

/// Revokes a grant (admins).
pub async fn revoke(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Path(id): Path<Uuid>,
) -> Result<Json<Grant>, ApiError> {
    state.roles.require(&caller, &[AdminRole::Admin])?;
    Ok(Json(state.gateway.reviews.revoke_grant(&caller, id).await?))
}
