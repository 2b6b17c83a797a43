-- Warden store, PostgreSQL dialect: reviews, their votes, and grants. The SQLite twin is
-- migrations/sqlite/0002_reviews_and_grants.sql. Timestamps as in 0001 (C collation, so text
-- order is time order); ids are UUIDs as lowercase hyphenated text.

CREATE TABLE reviews (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    kind                  TEXT NOT NULL,          -- command | access
    requester             TEXT NOT NULL,
    connection            TEXT NOT NULL,
    action                TEXT NOT NULL,
    payload               TEXT NOT NULL,          -- exactly what approvers read; empty for access
    payload_hash          TEXT NOT NULL,          -- hex SHA-256 of payload
    justification         TEXT,
    grant_role            TEXT,                   -- access reviews: the role asked for …
    grant_duration_secs   BIGINT,                 -- … and for how long
    policy                TEXT NOT NULL,
    approver_groups       TEXT NOT NULL,          -- JSON array of strings
    quorum                BIGINT NOT NULL,
    deadline              TEXT COLLATE "C" NOT NULL,
    require_justification BOOLEAN NOT NULL,
    state                 TEXT NOT NULL,          -- pending | approved | denied | expired | executed
    version               BIGINT NOT NULL,        -- bumped on every change (compare-and-swap)
    created_at            TEXT COLLATE "C" NOT NULL,
    CHECK ((grant_role IS NULL) = (grant_duration_secs IS NULL))
);

CREATE INDEX reviews_created ON reviews (created_at);
CREATE INDEX reviews_state ON reviews (state, created_at);
CREATE INDEX reviews_requester ON reviews (requester, created_at);
CREATE INDEX reviews_connection ON reviews (connection, created_at);
-- The approvals a held request may consume.
CREATE INDEX reviews_approved ON reviews (requester, connection, payload_hash)
    WHERE state = 'approved';

-- One vote per approver per review, even when two approvers' writes race.
CREATE TABLE review_votes (
    review_id   TEXT COLLATE "C" NOT NULL REFERENCES reviews (id),
    approver    TEXT NOT NULL,
    position    BIGINT NOT NULL,                  -- 0, 1, 2 … in voting order
    approve     BOOLEAN NOT NULL,
    comment     TEXT,
    voted_at    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (review_id, approver),
    UNIQUE (review_id, position)
);

-- A role on a connection for one identity until expires_at; at most one per access review.
CREATE TABLE grants (
    id          TEXT COLLATE "C" PRIMARY KEY,
    review_id   TEXT COLLATE "C" UNIQUE REFERENCES reviews (id),
    identity    TEXT NOT NULL,
    connection  TEXT NOT NULL,
    role        TEXT NOT NULL,
    reason      TEXT,
    granted_by  TEXT NOT NULL,                    -- JSON array of strings
    created_at  TEXT COLLATE "C" NOT NULL,
    expires_at  TEXT COLLATE "C" NOT NULL,
    revoked_at  TEXT COLLATE "C",
    revoked_by  TEXT
);

CREATE INDEX grants_created ON grants (created_at);
CREATE INDEX grants_identity ON grants (identity, connection, expires_at);
