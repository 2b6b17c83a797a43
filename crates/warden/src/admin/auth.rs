//! Who may call what: the bearer token is checked like any other credential, the caller's
//! groups give built-in roles, and every authenticated call is audited.

use super::AdminState;
use super::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use warden_config::Config;
use warden_core::{AuditKind, AuditRecord, Identity, Secret};

/// The admin API's built-in roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRole {
    /// Everything.
    Admin,
    /// Reads and votes on reviews.
    Approver,
    /// Reads the audit log, sessions, reviews and grants.
    Auditor,
}

impl AdminRole {
    /// The lowercase name shown in errors.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Admin => "admin",
            AdminRole::Approver => "approver",
            AdminRole::Auditor => "auditor",
        }
    }
}

/// Groups behind each built-in role.
#[derive(Debug, Clone, Default)]
pub struct AdminRoles {
    admins: Vec<String>,
    auditors: Vec<String>,
    approvers: Vec<String>,
}

impl AdminRoles {
    /// From `[admin]` and every review policy's approver groups.
    pub fn from_config(config: &Config) -> Self {
        let mut approvers: Vec<String> = config
            .review_policies
            .values()
            .flat_map(|p| p.approvers.iter().cloned())
            .collect();
        approvers.sort();
        approvers.dedup();
        AdminRoles {
            admins: config.admin.admins.clone(),
            auditors: config.admin.auditors.clone(),
            approvers,
        }
    }

    /// Whether `identity` holds `role` (admins hold every role).
    pub fn holds(&self, identity: &Identity, role: AdminRole) -> bool {
        let any = |groups: &[String]| groups.iter().any(|g| identity.in_group(g));
        any(&self.admins)
            || match role {
                AdminRole::Admin => false,
                AdminRole::Approver => any(&self.approvers),
                AdminRole::Auditor => any(&self.auditors),
            }
    }

    /// `Ok` if `identity` holds any of `roles`, otherwise a 403 naming them.
    pub fn require(&self, identity: &Identity, roles: &[AdminRole]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.holds(identity, *r)) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::forbidden(format!(
            "{} holds none of the roles this call needs ({})",
            identity.subject,
            names.join(", ")
        )))
    }
}

/// The authenticated caller, put into the request by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller(pub Identity);

/// Checks the bearer token, runs the handler, and audits the call with its status.
pub async fn authenticate(
    State(state): State<AdminState>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_missing",
            "send a token (JWT or API key) in `Authorization: Bearer …`",
        )
        .into_response();
    };
    let identity = match state
        .gateway
        .pipeline
        .identify(&Secret::new(token), "admin", None)
        .await
    {
        Ok(identity) => identity,
        Err(refusal) => return ApiError::from(refusal).into_response(),
    };
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    request.extensions_mut().insert(Caller(identity.clone()));
    let response = next.run(request).await;
    let record = AuditRecord {
        identity: Some(identity.subject),
        action: Some(format!("admin:{method} {path}")),
        ..AuditRecord::new(AuditKind::AdminCall)
    }
    .with_detail(json!({
        "method": method,
        "path": path,
        "status": response.status().as_u16(),
    }));
    if let Err(error) = state.gateway.audit.record_grouped(record).await {
        tracing::error!(%error, "cannot audit an admin call");
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            format!("the call could not be audited: {error}"),
        )
        .into_response();
    }
    response
}
