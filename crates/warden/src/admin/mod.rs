//! The admin REST API on the `admin` listener: reviews, access requests and grants, sessions,
//! audit search, API keys and connections, for the same identities the gateway knows, with
//! built-in roles (admin, approver, auditor). Every authenticated call is audited. Health,
//! readiness, Prometheus metrics and the OpenAPI document need no token.

mod access;
mod auth;
mod error;
mod health;
mod keys;
mod openapi;
mod reviews;
mod views;

pub use auth::{AdminRole, AdminRoles};
pub use openapi::{ROUTES, document};

use crate::wiring::Gateway;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler shares.
#[derive(Clone)]
pub struct AdminState {
    /// The running gateway.
    pub gateway: Arc<Gateway>,
    /// Who holds which built-in role.
    pub roles: Arc<AdminRoles>,
}

/// The admin API's routes over `gateway`.
pub fn router(gateway: Arc<Gateway>) -> Router {
    let roles = Arc::new(AdminRoles::from_config(gateway.config()));
    let state = AdminState { gateway, roles };
    let authenticated = Router::new()
        .route("/v1/reviews", get(reviews::list))
        .route("/v1/reviews/{id}", get(reviews::show))
        .route("/v1/reviews/{id}/approve", post(reviews::approve))
        .route("/v1/reviews/{id}/deny", post(reviews::deny))
        .route("/v1/access-requests", post(access::request))
        .route("/v1/grants", get(access::grants))
        .route("/v1/grants/{id}/revoke", post(access::revoke))
        .route("/v1/sessions", get(views::sessions))
        .route("/v1/sessions/{id}/recording", get(views::recording))
        .route("/v1/audit", get(views::audit))
        .route("/v1/keys", get(keys::list).post(keys::create))
        .route("/v1/keys/{id}/revoke", post(keys::revoke))
        .route("/v1/connections", get(views::connections))
        .route("/v1/whoami", get(views::whoami))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::serve))
        .merge(authenticated)
        .with_state(state)
}

/// Serves the admin API on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>, tls: bool) {
    let app = router(gateway.clone());
    let result = if tls {
        let listener = crate::tls_listener::TlsListener::new(listener, gateway.tls.clone());
        axum::serve(listener, app).await
    } else {
        axum::serve(listener, app).await
    };
    if let Err(error) = result {
        tracing::error!(%error, "admin listener failed");
    }
}
