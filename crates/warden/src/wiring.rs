//! Builds the pipeline and the protocol gateways from a config.

use crate::state;
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use warden_config::{Config, UpstreamTlsMode};
use warden_core::{ConnectionKind, Pipeline};
use warden_identity::Authenticator;
use warden_pg::{PgGateway, UpstreamTarget};
use warden_policy::PolicyEngine;
use warden_review::ReviewService;
use warden_store::{AuditLog, DynStore};

/// Everything a running gateway shares across listeners.
pub struct Gateway {
    /// The state store.
    pub store: DynStore,
    /// This node's audit chain.
    pub audit: Arc<AuditLog>,
    /// The pipeline every protocol calls.
    pub pipeline: Pipeline,
    /// Reviews and grants (the pipeline's review hook, and what approvers act on).
    pub reviews: Arc<ReviewService>,
    /// Where sessions are recorded.
    pub recordings: Arc<dyn warden_record::RecordingStore>,
    /// Server TLS config.
    pub tls: Arc<rustls::ServerConfig>,
    /// The development CA, when Warden generated the certificate.
    pub dev_ca: Option<PathBuf>,
    config: Config,
}

impl Gateway {
    /// Opens the store and audit log and builds identity, policy and TLS.
    pub async fn build(config: &Config) -> anyhow::Result<Gateway> {
        let store = state::open_store(config).await?;
        let audit = state::open_audit(config, store.clone(), state::Writer::Gateway).await?;
        let authenticator = Authenticator::new(&config.identity, &config.base_dir, store.clone())
            .map_err(|e| anyhow::anyhow!("identity: {e}"))?;
        let policy =
            PolicyEngine::from_config(config).map_err(|e| anyhow::anyhow!("policy: {e}"))?;
        let reviews = Arc::new(ReviewService::new(
            store.clone(),
            audit.clone(),
            config.review_policies.clone(),
            crate::notify::notifier(config)?,
        ));
        // Grants in force are loaded before the first request and kept fresh in the background.
        let grants = reviews.grant_index();
        grants
            .refresh(&store)
            .await
            .map_err(|e| anyhow::anyhow!("loading grants: {e}"))?;
        tokio::spawn(grants.clone().run(store.clone()));
        // Reviews nobody waits on (fail-fast, access) expire, audited, within seconds.
        tokio::spawn(
            reviews
                .clone()
                .run_expiry(std::time::Duration::from_secs(2)),
        );
        let pipeline = Pipeline::new(
            Arc::new(authenticator),
            Arc::new(policy),
            reviews.clone(),
            audit.clone(),
        )
        .with_grants(grants)
        .with_maskers(Arc::new(crate::masking::profiles(config)?));
        let recordings: Arc<dyn warden_record::RecordingStore> = Arc::new(
            warden_record::FileRecordingStore::open(
                &state::data_dir(config),
                crate::state::recording_limits(config),
            )
            .await
            .map_err(|e| anyhow::anyhow!("recordings: {e}"))?,
        );
        if let Some(rules) = crate::retention::rules(&config.gateway.recordings) {
            tokio::spawn(crate::retention::run(
                recordings.clone(),
                audit.clone(),
                rules,
            ));
        }
        let files = config
            .gateway
            .tls
            .as_ref()
            .map(|t| (config.base_dir.join(&t.cert), config.base_dir.join(&t.key)));
        let tls = warden_tls::server_config(
            files.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
            &state::data_dir(config),
            &[state::node_name(config)],
        )?;
        Ok(Gateway {
            store,
            audit,
            pipeline,
            reviews,
            recordings,
            tls: tls.config,
            dev_ca: tls.dev_ca,
            config: config.clone(),
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The PostgreSQL gateway over every `postgres` connection.
    pub fn postgres(&self) -> anyhow::Result<Arc<PgGateway>> {
        let mut targets = BTreeMap::new();
        let mut kinds = BTreeMap::new();
        for (name, connection) in &self.config.connections {
            kinds.insert(name.clone(), connection.kind);
            if connection.kind != ConnectionKind::Postgres {
                continue;
            }
            let credentials = connection.credentials.as_ref();
            let user = credentials
                .and_then(|c| c.username.clone())
                .with_context(|| format!("connections.{name}.credentials.username is required for postgres connections"))?;
            let password = credentials
                .and_then(|c| c.password.as_ref())
                .map(|p| warden_identity::resolve_secret(p, &self.config.base_dir))
                .transpose()
                .with_context(|| format!("connections.{name}.credentials.password"))?;
            let tls = match connection.tls.mode {
                UpstreamTlsMode::Disable => None,
                UpstreamTlsMode::Require => Some(warden_pg::upstream_tls::unverified()?),
                UpstreamTlsMode::VerifyFull => {
                    let ca = connection
                        .tls
                        .ca
                        .as_ref()
                        .map(|ca| self.config.base_dir.join(ca));
                    Some(warden_pg::upstream_tls::verifying(ca.as_deref())?)
                }
            };
            targets.insert(
                name.clone(),
                UpstreamTarget {
                    address: connection.upstream.clone(),
                    database: connection.database.clone(),
                    user,
                    password,
                    tls,
                },
            );
        }
        Ok(Arc::new(PgGateway {
            pipeline: self.pipeline.clone(),
            classifier: Arc::new(warden_sql::Classifier::new(10_000)),
            targets,
            kinds,
            tls: Some(self.tls.clone()),
            cancels: Default::default(),
            // Real column names are looked up only when some role masks.
            catalogs: (!self.config.masking.profiles.is_empty()).then(Default::default),
            recordings: Some(self.recordings.clone()),
        }))
    }

    /// The HTTP gateway over every `http` connection.
    pub fn http(&self) -> anyhow::Result<Arc<warden_http::HttpGateway>> {
        let mut gateway = warden_http::HttpGateway::new(
            self.pipeline.clone(),
            self.config.gateway.http.clone(),
            Some(self.tls.clone()),
            Some(self.recordings.clone()),
        );
        for (name, connection) in &self.config.connections {
            if connection.kind != ConnectionKind::Http {
                gateway.know(name, connection.kind);
                continue;
            }
            let resolve = |section: &str,
                           values: &BTreeMap<String, warden_config::SecretRef>|
             -> anyhow::Result<Vec<(String, String)>> {
                values
                    .iter()
                    .map(|(key, secret)| {
                        warden_identity::resolve_secret(secret, &self.config.base_dir)
                            .map(|value| (key.clone(), value.expose().clone()))
                            .with_context(|| {
                                format!("connections.{name}.credentials.{section}.{key}")
                            })
                    })
                    .collect()
            };
            let injected = match &connection.credentials {
                Some(credentials) => warden_http::Injected {
                    headers: resolve("headers", &credentials.headers)?,
                    query: resolve("query", &credentials.query)?,
                },
                None => warden_http::Injected::default(),
            };
            let target = warden_http::HttpTarget::new(name, connection, injected)?;
            let tls = if connection.upstream.starts_with("https://") {
                match connection.tls.mode {
                    UpstreamTlsMode::Require => Some(warden_pg::upstream_tls::unverified()?),
                    UpstreamTlsMode::VerifyFull | UpstreamTlsMode::Disable => {
                        let ca = connection
                            .tls
                            .ca
                            .as_ref()
                            .map(|ca| self.config.base_dir.join(ca));
                        Some(warden_pg::upstream_tls::verifying(ca.as_deref())?)
                    }
                }
            } else {
                None
            };
            gateway.add(target, tls)?;
        }
        Ok(Arc::new(gateway))
    }
}
