//! `/healthz`, `/readyz` and Prometheus `/metrics` (no token: they name no identity).

use super::AdminState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use warden_core::ReviewState;
use warden_core::workers::Workers;
use warden_store::ReviewFilter;

/// Alive.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the store answers.
pub async fn readyz(State(state): State<AdminState>) -> (StatusCode, String) {
    match state.gateway.store.audit_nodes().await {
        Ok(_) => (StatusCode::OK, "ready\n".into()),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unavailable: {error}\n"),
        ),
    }
}

/// Counters and gauges in the Prometheus text format.
pub async fn metrics(State(state): State<AdminState>) -> impl IntoResponse {
    let counters = state.gateway.pipeline.counters();
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    metric(
        "warden_sessions_total",
        "counter",
        "Sessions authenticated.",
        counters.sessions.load(Ordering::Relaxed),
    );
    metric(
        "warden_auth_failures_total",
        "counter",
        "Credentials refused.",
        counters.auth_failures.load(Ordering::Relaxed),
    );
    metric(
        "warden_requests_allowed_total",
        "counter",
        "Requests allowed by policy.",
        counters.allowed.load(Ordering::Relaxed),
    );
    metric(
        "warden_requests_denied_total",
        "counter",
        "Requests denied by policy.",
        counters.denied.load(Ordering::Relaxed),
    );
    metric(
        "warden_requests_reviewed_total",
        "counter",
        "Requests that needed review.",
        counters.reviewed.load(Ordering::Relaxed),
    );
    let (seq, _) = state.gateway.audit.head().await;
    metric(
        "warden_audit_events_total",
        "counter",
        "Events in this node's audit chain.",
        seq,
    );
    let pending = ReviewFilter {
        state: Some(ReviewState::Pending),
        ..ReviewFilter::default()
    };
    let store_up = match state.gateway.reviews.list(&pending).await {
        Ok(reviews) => {
            let open = reviews
                .iter()
                .filter(|r| r.state == ReviewState::Pending)
                .count();
            metric(
                "warden_reviews_pending",
                "gauge",
                "Reviews waiting for approvers.",
                open as u64,
            );
            1
        }
        Err(_) => 0,
    };
    metric(
        "warden_store_up",
        "gauge",
        "Whether the store answered this scrape.",
        store_up,
    );
    if let Some(workers) = Workers::started() {
        workers_metrics(&mut out, workers);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// Each data-path worker's load and packed sessions, and the moves between workers.
fn workers_metrics(out: &mut String, workers: &Workers) {
    let mut per_worker = |name: &str, help: &str, values: Vec<u32>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (worker, value) in values.iter().enumerate() {
            let _ = writeln!(out, "{name}{{worker=\"{worker}\"}} {value}");
        }
    };
    per_worker(
        "warden_worker_load_permille",
        "CPU time of each data-path worker over the last 200 ms, per mille of one core (0 when not sampled).",
        workers.loads(),
    );
    per_worker(
        "warden_worker_sessions",
        "PostgreSQL sessions served by each data-path worker.",
        workers.residents(),
    );
    let _ = writeln!(
        out,
        "# HELP warden_machine_idle_permille Idle time of the whole machine, smoothed over about half a second, per mille of one core (0 when not sampled).\n# TYPE warden_machine_idle_permille gauge\nwarden_machine_idle_permille {}",
        workers.machine_idle()
    );
    let _ = writeln!(
        out,
        "# HELP warden_session_moves_total Sessions moved between data-path workers.\n# TYPE warden_session_moves_total counter\nwarden_session_moves_total {}",
        workers.moves()
    );
    let (kept, undone) = workers.spread_trials();
    let _ = writeln!(
        out,
        "# HELP warden_spread_trials_total Spreads made while the machine idled, by whether the sessions' statements per second rose (kept) or not (undone).\n# TYPE warden_spread_trials_total counter\nwarden_spread_trials_total{{outcome=\"kept\"}} {kept}\nwarden_spread_trials_total{{outcome=\"undone\"}} {undone}"
    );
}
