//! Kinds of targets Warden stands in front of.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionKind {
    /// PostgreSQL wire protocol v3.
    Postgres,
    /// MySQL / MariaDB wire protocol.
    Mysql,
    /// SSH.
    Ssh,
    /// Any HTTP API, LLM APIs included.
    Http,
    /// A Kubernetes API server.
    Kubernetes,
    /// A Model Context Protocol server.
    Mcp,
}

impl ConnectionKind {
    /// All kinds, in a stable order.
    pub const ALL: [ConnectionKind; 6] = [
        ConnectionKind::Postgres,
        ConnectionKind::Mysql,
        ConnectionKind::Ssh,
        ConnectionKind::Http,
        ConnectionKind::Kubernetes,
        ConnectionKind::Mcp,
    ];

    /// The lowercase name used in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Postgres => "postgres",
            ConnectionKind::Mysql => "mysql",
            ConnectionKind::Ssh => "ssh",
            ConnectionKind::Http => "http",
            ConnectionKind::Kubernetes => "kubernetes",
            ConnectionKind::Mcp => "mcp",
        }
    }
}

impl fmt::Display for ConnectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
