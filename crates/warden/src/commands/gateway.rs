//! `warden gateway`: loads everything, opens the listeners, serves until SIGINT/SIGTERM.

use crate::{admin, state, wiring};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use tokio::net::TcpListener;
use warden_config::ListenerProtocol;
use warden_core::{AuditKind, AuditRecord};

/// Runs the gateway described by the config file at `path`.
pub async fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let config = state::load_config(path)?;
    let gateway = std::sync::Arc::new(wiring::Gateway::build(&config).await?);
    let mut tasks = tokio::task::JoinSet::new();
    for listener in &config.gateway.listeners {
        let socket = TcpListener::bind(listener.address)
            .await
            .with_context(|| format!("cannot listen on {}", listener.address))?;
        let address = socket.local_addr()?;
        match listener.protocol {
            ListenerProtocol::Postgres => {
                let pg = gateway.postgres()?;
                let config = warden_pg::PgListenerConfig {
                    allow_plaintext_loopback: listener.allow_plaintext_loopback,
                };
                tasks.spawn(pg.serve(socket, config));
                println!("postgres listener on {address}");
            }
            ListenerProtocol::Http => {
                let http = gateway.http()?;
                let config = warden_http::HttpListenerConfig {
                    allow_plaintext_loopback: listener.allow_plaintext_loopback,
                };
                tasks.spawn(http.serve(socket, config));
                println!("http listener on {address} (/c/<connection>/…)");
            }
            ListenerProtocol::Admin => {
                // Tokens travel on this listener: TLS unless plaintext is explicitly allowed
                // and the address is loopback.
                let plaintext = listener.allow_plaintext_loopback && address.ip().is_loopback();
                tasks.spawn(admin::serve(socket, gateway.clone(), !plaintext));
                let scheme = if plaintext { "http" } else { "https" };
                println!(
                    "admin API on {scheme}://{address} (/openapi.json, /healthz, /readyz, /metrics)"
                );
            }
            other => anyhow::bail!(
                "listener {} speaks {other:?}, which this build of Warden does not serve yet",
                listener.address
            ),
        }
    }
    if let Some(ca) = &gateway.dev_ca {
        println!(
            "TLS: development CA at {} (clients: sslrootcert={})",
            ca.display(),
            ca.display()
        );
    }
    gateway
        .audit
        .record(
            AuditRecord::new(AuditKind::GatewayStart).with_detail(serde_json::json!({
                "listeners": config.gateway.listeners.iter().map(|l| l.address.to_string()).collect::<Vec<_>>(),
                "store": gateway.store.backend(),
                "version": env!("CARGO_PKG_VERSION"),
            })),
        )
        .await?;
    println!("warden gateway ready (node {})", gateway.audit.node());

    shutdown_signal().await;
    tasks.abort_all();
    gateway
        .audit
        .record(AuditRecord::new(AuditKind::GatewayStop))
        .await?;
    gateway.audit.checkpoint().await?;
    println!("warden gateway stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
