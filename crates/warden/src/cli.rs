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
    /// Save the admin API address and a token for the commands below.
    Login(LoginArgs),
    /// List, show, approve and deny reviews (through the admin API).
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Ask for elevated access for a while (through the admin API).
    #[command(subcommand)]
    Access(AccessCommand),
    /// List and revoke grants (through the admin API).
    #[command(subcommand)]
    Grants(GrantsCommand),
    /// List recorded sessions.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Play a recorded terminal session, or print a recorded SQL session as a timeline.
    Replay(ReplayArgs),
}

/// `warden replay SESSION`
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The config file.
    #[command(flatten)]
    pub config: ConfigArg,
    /// Session id.
    pub session: String,
    /// Playback speed factor for terminal sessions: 2 plays twice as fast, 0.5 at half speed.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Longest pause between two terminal events, in seconds of recorded time (before the
    /// speed factor); `inf` keeps every pause as recorded.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub max_idle: f64,
    /// Keep reading a recording that is still being written, showing new events as they are
    /// appended, until the session ends (or Ctrl-C).
    #[arg(long)]
    pub follow: bool,
}

/// `warden sessions …`
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Sessions from the audit log, with their recordings.
    List {
        /// The config file.
        #[command(flatten)]
        config: ConfigArg,
        /// Only this identity's.
        #[arg(long)]
        identity: Option<String>,
        /// Only on this connection.
        #[arg(long)]
        connection: Option<String>,
        /// Only sessions started within this long, e.g. `1h`.
        #[arg(long)]
        since: Option<humantime::Duration>,
    },
}

/// Where the admin API is and how to reach it; each falls back to the environment, then to
/// the file `warden login` wrote.
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Admin API base URL, e.g. `https://warden.example:8443`.
    #[arg(long, env = "WARDEN_SERVER", global = true)]
    pub server: Option<String>,
    /// CA certificate (PEM) to trust for the admin API, e.g. the development CA.
    #[arg(long, env = "WARDEN_CA", global = true)]
    pub ca: Option<PathBuf>,
}

/// `warden login`
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Admin API base URL.
    #[arg(long, env = "WARDEN_SERVER")]
    pub server: String,
    /// CA certificate (PEM) to trust for the admin API.
    #[arg(long, env = "WARDEN_CA")]
    pub ca: Option<PathBuf>,
}

/// `warden review …`
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Reviews, newest first.
    List {
        /// Connection and credentials of the admin API.
        #[command(flatten)]
        server: ServerArgs,
        /// pending, approved, denied, expired or executed.
        #[arg(long)]
        state: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One review with its payload and votes.
    Show {
        /// Connection and credentials of the admin API.
        #[command(flatten)]
        server: ServerArgs,
        /// Review id.
        id: String,
    },
    /// Vote yes.
    Approve {
        /// Connection and credentials of the admin API.
        #[command(flatten)]
        server: ServerArgs,
        /// Review id.
        id: String,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Vote no: the review is denied.
    Deny {
        /// Connection and credentials of the admin API.
        #[command(flatten)]
        server: ServerArgs,
        /// Review id.
        id: String,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
    },
}

/// `warden access …`
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Ask for a role on a connection for a while; approvers decide.
    Request {
        /// Connection and credentials of the admin API.
        #[command(flatten)]
        server: ServerArgs,
        /// Connection name.
        #[arg(long)]
        connection: String,
        /// Role wanted.
        #[arg(long)]
        role: String,
        /// For how long, e.g. `1h`.
        #[arg(long = "for")]
        duration: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `warden grants …`
#[derive(Debug, Subcommand)]
pub enum GrantsCommand {
    /// Grants in force (`--all` for expired and revoked too).
    List {
        /// Connection and credentials of the admin API.
        #[command(flatten)]
        server: ServerArgs,
        /// Only this identity's.
        #[arg(long)]
        identity: Option<String>,
        /// Include grants no longer in force.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a grant at once.
    Revoke {
        /// Connection and credentials of the admin API.
        #[command(flatten)]
        server: ServerArgs,
        /// Grant id.
        id: String,
    },
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
