//! Warden's own answers: JSON errors in the OpenAI error shape (`{"error": {...}}`), which
//! OpenAI SDKs and most HTTP clients show as they are.

use crate::body::{Body, full};
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::json;
use warden_core::{Fault, GatewayError};

/// A JSON error answer.
pub fn error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response<Body> {
    let body = json!({
        "error": {
            "type": kind,
            "code": code,
            "message": message,
        }
    });
    json_response(status, &body)
}

/// Any JSON answer.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(full(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The answer to a refused credential.
pub fn unauthorized(refusal: &GatewayError) -> Response<Body> {
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "warden_unauthenticated",
        refusal.code,
        &refusal.message,
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"warden\""),
    );
    response
}

/// The answer to a refusal from the pipeline (policy, review, audit, masking).
pub fn refusal(refusal: &GatewayError) -> Response<Body> {
    let (status, kind) = match (refusal.fault, refusal.code) {
        (_, "policy_denied") => (StatusCode::FORBIDDEN, "warden_denied"),
        (_, code) if code.starts_with("review") => (StatusCode::FORBIDDEN, "warden_review"),
        (Fault::Client, _) => (StatusCode::FORBIDDEN, "warden_refused"),
        (Fault::Upstream, _) => (StatusCode::BAD_GATEWAY, "warden_upstream"),
        (Fault::Gateway, _) => (StatusCode::SERVICE_UNAVAILABLE, "warden_unavailable"),
    };
    error(status, kind, refusal.code, &refusal.message)
}

/// The answer to a request held for review that the caller should retry once it is approved.
pub fn review_pending(id: &str, message: &str) -> Response<Body> {
    json_response(
        StatusCode::ACCEPTED,
        &json!({
            "review": {
                "id": id,
                "state": "pending",
                "message": message,
            }
        }),
    )
}
