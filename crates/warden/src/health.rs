//! `/healthz` and `/readyz` on the admin listener.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;
use warden_store::DynStore;

/// Serves the health endpoints until the task is aborted.
pub async fn serve(listener: TcpListener, store: DynStore) {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(store);
    if let Err(error) = axum::serve(listener, app).await {
        tracing::error!(%error, "admin listener failed");
    }
}

/// Ready when the store answers.
async fn ready(State(store): State<DynStore>) -> (StatusCode, String) {
    match store.audit_nodes().await {
        Ok(_) => (StatusCode::OK, "ready\n".into()),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unavailable: {error}\n"),
        ),
    }
}
