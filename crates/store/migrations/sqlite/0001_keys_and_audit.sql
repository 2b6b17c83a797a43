-- Warden store, SQLite dialect. The PostgreSQL twin is migrations/postgres/0001_keys_and_audit.sql;
-- both directories keep the same version numbers. Later versions add reviews, grants and sessions.
-- Timestamps are RFC 3339 UTC text with six fractional digits and `Z`, so text order is time order.

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    groups      TEXT NOT NULL,          -- JSON array of strings
    scopes      TEXT NOT NULL,          -- JSON array of strings
    secret_hash TEXT NOT NULL,          -- hex SHA-256 of the secret; never the secret
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
) STRICT;

-- At most one live key per name; revoked keys keep their name.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;

-- One hash chain per gateway node; see docs/audit.md for the hash formula.
CREATE TABLE audit_events (
    node        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    time        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    identity    TEXT,
    connection  TEXT,
    session     TEXT,
    action      TEXT,
    verdict     TEXT,
    rule        TEXT,
    detail      TEXT NOT NULL,          -- JSON text
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (node, seq)
) STRICT;

CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_identity ON audit_events (identity, time);
CREATE INDEX audit_events_connection ON audit_events (connection, time);
CREATE INDEX audit_events_action ON audit_events (action, time);
CREATE INDEX audit_events_session ON audit_events (session);

-- Signed statements that a node's chain had `hash` at `seq`. No foreign key to audit_events on
-- purpose: a checkpoint must outlive the events it covers, so truncation is detectable.
CREATE TABLE audit_checkpoints (
    node        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    time        TEXT NOT NULL,
    signature   TEXT NOT NULL,          -- hex Ed25519 signature
    public_key  TEXT NOT NULL,          -- hex Ed25519 public key
    PRIMARY KEY (node, seq)
) STRICT;
