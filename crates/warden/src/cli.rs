//! Command-line shape.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Warden: identity-aware access gateway for agents, automation and people.
#[derive(Debug, Parser)]
#[command(name = "warden", version, about)]
pub struct Cli {
    /// Log output format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "WARDEN_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// JSON lines.
    Json,
}

/// The config file option shared by most commands.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// Config file.
    #[arg(long, short, env = "WARDEN_CONFIG", default_value = "warden.toml")]
    pub config: PathBuf,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway.
    Gateway(ConfigArg),
    /// Start a sandbox PostgreSQL with demo data behind a gateway, and print how to connect.
    Quickstart {
        /// Directory for the generated config, keys and audit log.
        #[arg(long, default_value = "warden-quickstart")]
        dir: PathBuf,
        /// Port of the gateway's PostgreSQL listener (a free one is used if it is taken).
        #[arg(long, default_value_t = 6432)]
        port: u16,
    },
    /// Work with config files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage API keys of machine identities.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Ask policy what it would decide, and why.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Verify and search the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// `warden config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file without starting anything.
    Check {
        /// The file to check.
        file: PathBuf,
    },
}

/// `warden keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key; the key is printed once and never stored.
    Create {
        /// The config file.
        #[command(flatten)]
        config: ConfigArg,
        /// Machine identity name (the subject).
        #[arg(long)]
        name: String,
        /// Group of the identity (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Scope of the identity (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Lifetime, e.g. `30d`, `12h`; no expiry when absent.
        #[arg(long)]
        expires: Option<humantime::Duration>,
    },
    /// List API keys (never the secrets).
    List {
        /// The config file.
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Revoke an API key by id or name.
    Revoke {
        /// The config file.
        #[command(flatten)]
        config: ConfigArg,
        /// Key id or identity name.
        key: String,
    },
}

/// `warden policy …`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the verdict and the rule that decides; exit 0 allow, 1 deny, 2 review.
    Check(PolicyQuery),
}

/// A hypothetical request for `policy check`.
#[derive(Debug, Args)]
pub struct PolicyQuery {
    /// The config file.
    #[command(flatten)]
    pub config: ConfigArg,
    /// Identity subject.
    #[arg(long)]
    pub subject: String,
    /// Group (repeatable).
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Scope (repeatable).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// Treat the identity as a machine.
    #[arg(long)]
    pub machine: bool,
    /// Connection name.
    #[arg(long)]
    pub connection: String,
    /// Action name, e.g. `sql:write`.
    #[arg(long)]
    pub action: String,
    /// Table touched (repeatable).
    #[arg(long = "table")]
    pub tables: Vec<String>,
    /// Client source address.
    #[arg(long)]
    pub source_ip: Option<std::net::IpAddr>,
    /// Print the explanation as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `warden audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chains, checkpoints and signatures; exit 0 when intact.
    Verify {
        /// The config file.
        #[command(flatten)]
        config: ConfigArg,
        /// Trusted `audit-signing.pub` of a node (repeatable); defaults to this node's key file.
        #[arg(long = "key")]
        keys: Vec<std::path::PathBuf>,
    },
    /// Print matching events as JSON lines.
    Search(AuditQuery),
}

/// Filters for `audit search`.
#[derive(Debug, Args)]
pub struct AuditQuery {
    /// The config file.
    #[command(flatten)]
    pub config: ConfigArg,
    /// Identity subject.
    #[arg(long)]
    pub identity: Option<String>,
    /// Connection name.
    #[arg(long)]
    pub connection: Option<String>,
    /// Action name, or a prefix ending in `*`.
    #[arg(long)]
    pub action: Option<String>,
    /// Verdict: allow, review or deny.
    #[arg(long)]
    pub verdict: Option<String>,
    /// Event kind, e.g. `auth_failed`.
    #[arg(long)]
    pub kind: Option<String>,
    /// Events at or after: RFC 3339 time or a duration ago (`1h`).
    #[arg(long)]
    pub since: Option<String>,
    /// Events before: RFC 3339 time or a duration ago.
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many events.
    #[arg(long, default_value_t = 1000)]
    pub limit: u32,
}
