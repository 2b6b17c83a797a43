//! The configuration's shape, as deserialized from TOML.

use crate::ConfigDuration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use warden_core::ConnectionKind;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The gateway process itself.
    pub gateway: Gateway,
    /// How callers prove who they are.
    #[serde(default)]
    pub identity: IdentityConfig,
    /// Named targets, by name.
    #[serde(default)]
    pub connections: BTreeMap<String, Connection>,
    /// Roles, by name.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// Review (approval) policies, by name.
    #[serde(default)]
    pub review_policies: BTreeMap<String, ReviewPolicy>,
    /// Outgoing webhooks told about every review transition (`[[webhooks]]`).
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    /// Masking profiles, by name.
    #[serde(default)]
    pub masking: Masking,
    /// Cedar attribute rules.
    #[serde(default)]
    pub policy: PolicyFiles,
    /// Who holds the admin API's built-in roles.
    #[serde(default)]
    pub admin: AdminAccess,
    /// Directory of the config file; relative paths in the config are resolved against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// Settings of the gateway process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
    /// Where the embedded store, keys, certificates and recordings live.
    pub data_dir: PathBuf,
    /// Name of this node in the audit chain; defaults to the host name.
    #[serde(default)]
    pub node: Option<String>,
    /// The state store.
    #[serde(default)]
    pub store: StoreConfig,
    /// Server TLS; a development CA is generated into the data dir when absent.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// Audit log settings.
    #[serde(default)]
    pub audit: AuditConfig,
    /// Listening sockets.
    #[serde(default)]
    pub listeners: Vec<Listener>,
    /// Session recordings.
    #[serde(default)]
    pub recordings: RecordingsConfig,
    /// Limits and routing of the HTTP listener.
    #[serde(default)]
    pub http: crate::http::HttpSettings,
}

/// Which store backs the gateway.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum StoreConfig {
    /// SQLite file `warden.db` in the data dir (the default).
    #[default]
    Sqlite,
    /// A PostgreSQL database shared by every node.
    Postgres {
        /// Connection URL; may hold a password, so it is a secret reference.
        url: SecretRef,
    },
}

/// Certificate and key files in PEM.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// Audit log settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Sign a checkpoint after this many events.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: u64,
}

fn default_checkpoint_every() -> u64 {
    100
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            checkpoint_every: default_checkpoint_every(),
        }
    }
}

/// A listening socket for one protocol.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// Protocol spoken on it.
    pub protocol: ListenerProtocol,
    /// Address and port, e.g. `127.0.0.1:6432`.
    pub address: SocketAddr,
    /// Accept clients without TLS; only honoured on loopback addresses.
    #[serde(default)]
    pub allow_plaintext_loopback: bool,
}

/// Protocols a listener can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListenerProtocol {
    /// PostgreSQL clients.
    Postgres,
    /// MySQL clients.
    Mysql,
    /// SSH clients.
    Ssh,
    /// HTTP clients (HTTP connections, Kubernetes, MCP).
    Http,
    /// The admin REST API.
    Admin,
}

/// Identity providers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// OIDC/JWT issuers, by name.
    #[serde(default)]
    pub oidc: BTreeMap<String, OidcProvider>,
    /// Warden API keys.
    #[serde(default)]
    pub api_keys: ApiKeys,
}

/// One OIDC issuer whose access tokens Warden accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// Expected `iss` claim; also the base of discovery.
    pub issuer: String,
    /// JWKS URL; when absent it is discovered from `<issuer>/.well-known/openid-configuration`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Accepted `aud` values; a token must carry at least one.
    pub audience: Vec<String>,
    /// Accepted signature algorithms (RS256/384/512, PS256/384/512, ES256/384, EdDSA, HS256/384/512).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Secret for HS* algorithms; HMAC is refused unless this is set.
    #[serde(default)]
    pub hmac_secret: Option<SecretRef>,
    /// Allowed clock skew for `exp` and `nbf`.
    #[serde(default = "default_leeway")]
    pub leeway: ConfigDuration,
    /// Claim holding the subject.
    #[serde(default = "default_subject_claim")]
    pub subject_claim: String,
    /// Claim holding groups (array or space-separated string).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Claim holding scopes (array or space-separated string).
    #[serde(default = "default_scopes_claim")]
    pub scopes_claim: String,
    /// Rule that marks a token as a machine identity; tokens are human otherwise.
    #[serde(default)]
    pub machine: Option<MachineRule>,
    /// Minimum time between JWKS refreshes triggered by unknown key ids.
    #[serde(default = "default_refresh_interval")]
    pub jwks_min_refresh: ConfigDuration,
}

fn default_algorithms() -> Vec<String> {
    ["RS256", "ES256", "EdDSA"].map(String::from).to_vec()
}
fn default_leeway() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(30))
}
fn default_subject_claim() -> String {
    "sub".into()
}
fn default_groups_claim() -> String {
    "groups".into()
}
fn default_scopes_claim() -> String {
    "scope".into()
}
fn default_refresh_interval() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(30))
}

/// A token is a machine identity when `claim` is present and, if `equals` is set, has that value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineRule {
    /// Claim to look at, e.g. `client_type` or `azp`.
    pub claim: String,
    /// Required value (string comparison); any value counts when absent.
    #[serde(default)]
    pub equals: Option<String>,
}

/// API key settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeys {
    /// Accept Warden API keys.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_true() -> bool {
    true
}

impl Default for ApiKeys {
    fn default() -> Self {
        ApiKeys { enabled: true }
    }
}

/// Where a secret comes from; the value itself never sits in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, untagged)]
pub enum SecretRef {
    /// Read from an environment variable.
    Env {
        /// Variable name.
        env: String,
    },
    /// Read from a file (trailing newline stripped).
    File {
        /// Path, relative to the config file.
        file: PathBuf,
    },
}

/// A named target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Protocol.
    pub kind: ConnectionKind,
    /// Upstream address (`host:port`, or a base URL for HTTP).
    pub upstream: String,
    /// Default database (SQL connections).
    #[serde(default)]
    pub database: Option<String>,
    /// Credentials Warden injects upstream.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// Upstream TLS.
    #[serde(default)]
    pub tls: UpstreamTls,
    /// Free-form tags for attribute rules, e.g. `env = "prod"`.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// API flavour behind an HTTP connection (`openai`).
    #[serde(default)]
    pub api: Option<crate::http::HttpApi>,
    /// Route rules naming the actions of an HTTP connection, first match wins.
    #[serde(default)]
    pub routes: Vec<crate::http::HttpRoute>,
}

/// Credentials injected upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// User name upstream.
    #[serde(default)]
    pub username: Option<String>,
    /// Password or token.
    #[serde(default)]
    pub password: Option<SecretRef>,
    /// Private key file (SSH).
    #[serde(default)]
    pub private_key: Option<SecretRef>,
    /// Extra headers (HTTP), value from a secret.
    #[serde(default)]
    pub headers: BTreeMap<String, SecretRef>,
    /// Query parameters added to every request (HTTP), value from a secret.
    #[serde(default)]
    pub query: BTreeMap<String, SecretRef>,
}

/// Upstream TLS mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamTls {
    /// `verify-full` (default), `require` (encrypt, don't verify) or `disable`.
    #[serde(default)]
    pub mode: UpstreamTlsMode,
    /// CA bundle to verify against instead of the system roots.
    #[serde(default)]
    pub ca: Option<PathBuf>,
}

impl Default for UpstreamTls {
    fn default() -> Self {
        UpstreamTls {
            mode: UpstreamTlsMode::VerifyFull,
            ca: None,
        }
    }
}

/// How the upstream leg is encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpstreamTlsMode {
    /// TLS, certificate and host name verified.
    #[default]
    VerifyFull,
    /// TLS without verification.
    Require,
    /// No TLS.
    Disable,
}

/// A role: who it binds, which connections, and the verdict for each action pattern.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Identities in any of these groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Identities with any of these subjects.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// Identities holding any of these scopes. Every non-empty selector must match.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Connection names or globs (`pg-*`).
    pub connections: Vec<String>,
    /// Action patterns allowed.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Action patterns that need approval.
    #[serde(default)]
    pub review: Vec<String>,
    /// Action patterns refused.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Review policy for `review` verdicts.
    #[serde(default)]
    pub review_policy: Option<String>,
    /// Masking profile applied to responses.
    #[serde(default)]
    pub mask: Option<String>,
    /// LLM models the role may use (globs) on connections with `api = "openai"`; empty: any.
    #[serde(default)]
    pub models: Vec<String>,
    /// LLM tokens each identity may spend per window through this role.
    #[serde(default)]
    pub token_budget: Option<crate::http::TokenBudgetConfig>,
}

/// Who approves, how many, and for how long a request may wait.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewPolicy {
    /// Groups whose members may vote.
    pub approvers: Vec<String>,
    /// Distinct approvals needed.
    #[serde(default = "default_quorum")]
    pub quorum: u32,
    /// How long a review stays open.
    #[serde(default = "default_review_timeout")]
    pub timeout: ConfigDuration,
    /// Whether the requester must give a reason.
    #[serde(default)]
    pub require_justification: bool,
    /// `wait` holds the request; `fail_fast` refuses at once with the review id.
    #[serde(default)]
    pub mode: ReviewMode,
}

fn default_quorum() -> u32 {
    1
}
fn default_review_timeout() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(15 * 60))
}

/// How a held request behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewMode {
    /// Hold the request until approved, denied or timed out.
    #[default]
    Wait,
    /// Refuse at once with the review id; the identical request runs once after approval.
    FailFast,
}

/// An endpoint that receives review transitions as HTTP POSTs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Where to POST, an http(s) URL.
    pub url: String,
    /// Body format: signed `json` (the default) or a Slack incoming-webhook message.
    #[serde(default)]
    pub format: WebhookFormat,
    /// HMAC-SHA256 key signing `json` bodies; required for `json`, refused for `slack`.
    #[serde(default)]
    pub secret: Option<SecretRef>,
    /// Transitions to send; all when absent.
    #[serde(default)]
    pub events: Option<Vec<WebhookEvent>>,
    /// Time allowed for one delivery attempt, connecting included.
    #[serde(default = "default_webhook_timeout")]
    pub timeout: ConfigDuration,
}

fn default_webhook_timeout() -> ConfigDuration {
    ConfigDuration(std::time::Duration::from_secs(5))
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Warden's JSON event, signed with HMAC-SHA256.
    #[default]
    Json,
    /// A Slack incoming-webhook message (`text` and `blocks`), unsigned.
    Slack,
}

/// A review transition a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A review was opened.
    Created,
    /// An approver voted yes without reaching the quorum yet.
    Voted,
    /// The quorum was reached.
    Approved,
    /// An approver said no.
    Denied,
    /// The deadline passed before the quorum.
    Expired,
    /// The approved request ran.
    Executed,
}

/// How long session recordings are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingsConfig {
    /// Delete finished recordings older than this (`90d`).
    #[serde(default)]
    pub max_age: Option<ConfigDuration>,
    /// Delete the oldest finished recordings while all of them together exceed this many bytes.
    #[serde(default)]
    pub max_total_bytes: Option<u64>,
    /// How new recordings are stored: `zstd` (the default) or `none`.
    #[serde(default)]
    pub compression: RecordingCompression,
}

/// How new recordings are stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingCompression {
    /// The events as they are, readable with any text tool.
    None,
    /// zstd frames: a fiftieth to a third of the size, and less CPU per event where the
    /// page cache's fresh pages are dear (the SHA-256 covers the smaller stored bytes).
    #[default]
    Zstd,
}

/// Groups holding the admin API's built-in roles. Approvers are the members of any review
/// policy's `approvers` groups.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminAccess {
    /// Groups that may do everything (grants, keys, revocations, audit).
    #[serde(default)]
    pub admins: Vec<String>,
    /// Groups that may read the audit log, sessions, reviews and grants.
    #[serde(default)]
    pub auditors: Vec<String>,
}

/// Masking profiles.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Masking {
    /// Profiles, by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, MaskProfile>,
    /// Key of the `hash` strategy's HMAC pseudonyms. Nodes that must produce the same
    /// pseudonyms share it; without it each data directory gets its own `mask-hash.key`.
    #[serde(default)]
    pub hash_key: Option<SecretRef>,
}

/// What a masking profile hides and how.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskProfile {
    /// Value detectors to run (`email`, `card`, `ssn`, `phone`, `iban`, `ip`, `aws_key`, `jwt`,
    /// `private_key`, `api_token`).
    #[serde(default)]
    pub detectors: Vec<String>,
    /// Strategy for detector hits.
    #[serde(default)]
    pub strategy: MaskStrategy,
    /// Column rules.
    #[serde(default)]
    pub columns: Vec<ColumnRule>,
}

/// A rule masking whole columns by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRule {
    /// `schema.table.column` or a glob over column names (`*.password`).
    #[serde(rename = "match")]
    pub pattern: String,
    /// Strategy for the column.
    #[serde(default)]
    pub strategy: MaskStrategy,
}

/// How a sensitive value is rewritten.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MaskStrategy {
    /// Replace with a fixed mask.
    #[default]
    Redact,
    /// Keep the last `keep` characters.
    Partial {
        /// Characters kept at the end.
        keep: usize,
    },
    /// HMAC pseudonym, stable across sessions.
    Hash,
    /// SQL NULL.
    Null,
}

/// Cedar policy files.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFiles {
    /// Cedar policy files, relative to the config file.
    #[serde(default)]
    pub cedar: Vec<PathBuf>,
}
