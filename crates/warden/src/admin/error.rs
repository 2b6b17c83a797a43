//! Errors the admin API answers with: a status and a JSON body `{code, message}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use warden_core::{Fault, GatewayError};
use warden_review::ServiceError;
use warden_store::StoreError;

/// A refused or failed admin call.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable reason.
    pub code: &'static str,
    /// What went wrong, safe to show.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 403: the caller lacks a role.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "code": self.code, "message": self.message })),
        )
            .into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let status = match &error {
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Rules(_) | ServiceError::Busy(_) => StatusCode::CONFLICT,
            ServiceError::UnknownPolicy(_) | ServiceError::Invalid(_) => StatusCode::BAD_REQUEST,
            ServiceError::Store(_) | ServiceError::Audit(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let code = match &error {
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Rules(_) => "review_rules",
            ServiceError::Busy(_) => "busy",
            ServiceError::UnknownPolicy(_) | ServiceError::Invalid(_) => "bad_request",
            ServiceError::Store(_) => "store_unavailable",
            ServiceError::Audit(_) => "audit_unavailable",
        };
        ApiError::new(status, code, error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            error.to_string(),
        )
    }
}

impl From<GatewayError> for ApiError {
    fn from(error: GatewayError) -> Self {
        let status = match error.fault {
            Fault::Client => StatusCode::UNAUTHORIZED,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, error.code, error.message)
    }
}
