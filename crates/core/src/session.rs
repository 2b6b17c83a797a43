//! One client connection through Warden.

use crate::{ConnectionKind, Identity};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

/// An authenticated client session on one connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Unique id (UUIDv7: sortable by start time).
    pub id: Uuid,
    /// The caller.
    pub identity: Identity,
    /// Name of the connection in the config.
    pub connection: String,
    /// Protocol of the connection.
    pub kind: ConnectionKind,
    /// Where the client connected from.
    pub client_addr: Option<SocketAddr>,
}

impl Session {
    /// A new session with a fresh id.
    pub fn new(
        identity: Identity,
        connection: impl Into<String>,
        kind: ConnectionKind,
        client_addr: Option<SocketAddr>,
    ) -> Self {
        Session {
            id: Uuid::now_v7(),
            identity,
            connection: connection.into(),
            kind,
            client_addr,
        }
    }
}
