//! Review and grant statements in PostgreSQL's dialect (`$n` placeholders). Under READ
//! COMMITTED a conditional `UPDATE` that waited for another writer re-checks its `WHERE` on the
//! row that writer committed, so a version or state that moved on matches nothing.

pub const INSERT_REVIEW: &str = "INSERT INTO reviews (id, kind, requester, connection, action, payload, payload_hash, justification, grant_role, grant_duration_secs, policy, approver_groups, quorum, deadline, require_justification, state, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
pub const INSERT_VOTE: &str = "INSERT INTO review_votes (review_id, approver, position, approve, comment, voted_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub const SELECT_REVIEW: &str = "SELECT id, kind, requester, connection, action, payload, payload_hash, justification, grant_role, grant_duration_secs, policy, approver_groups, quorum, deadline, require_justification, state, version, created_at, approver AS vote_approver, approve AS vote_approve, comment AS vote_comment, voted_at AS vote_at FROM reviews LEFT JOIN review_votes ON review_id = id WHERE id = $1 ORDER BY position";
pub const UPDATE_REVIEW: &str =
    "UPDATE reviews SET state = $1, version = version + 1 WHERE id = $2 AND version = $3";
pub const SELECT_REVIEW_VERSION: &str = "SELECT version FROM reviews WHERE id = $1";
pub const COUNT_VOTES: &str = "SELECT COUNT(*) FROM review_votes WHERE review_id = $1";
pub const TAKE_APPROVED_REVIEW: &str = "UPDATE reviews SET state = 'executed', version = version + 1 WHERE state = 'approved' AND id = (SELECT id FROM reviews WHERE state = 'approved' AND kind = 'command' AND requester = $1 AND connection = $2 AND payload_hash = $3 AND deadline > $4 ORDER BY created_at, id LIMIT 1) RETURNING id";
pub const COUNT_APPROVED: &str = "SELECT COUNT(*) FROM reviews WHERE state = 'approved' AND kind = 'command' AND requester = $1 AND connection = $2 AND payload_hash = $3 AND deadline > $4";
pub const INSERT_GRANT: &str = "INSERT INTO grants (id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub const SELECT_GRANT: &str = "SELECT id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by FROM grants WHERE id = $1";
pub const SELECT_ACTIVE_GRANTS: &str = "SELECT id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by FROM grants WHERE identity = $1 AND connection = $2 AND created_at <= $3 AND expires_at > $4 AND (revoked_at IS NULL OR revoked_at > $5) ORDER BY created_at DESC, id DESC";
pub const REVOKE_GRANT: &str = "UPDATE grants SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL RETURNING id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by";
