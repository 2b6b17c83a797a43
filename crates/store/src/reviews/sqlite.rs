//! Review and grant statements in SQLite's dialect (`?` placeholders). Writers are serialised by
//! SQLite's database lock, so each conditional `UPDATE` runs alone.

pub const INSERT_REVIEW: &str = "INSERT INTO reviews (id, kind, requester, connection, action, payload, payload_hash, justification, grant_role, grant_duration_secs, policy, approver_groups, quorum, deadline, require_justification, state, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
pub const INSERT_VOTE: &str = "INSERT INTO review_votes (review_id, approver, position, approve, comment, voted_at) VALUES (?, ?, ?, ?, ?, ?)";
pub const SELECT_REVIEW: &str = "SELECT id, kind, requester, connection, action, payload, payload_hash, justification, grant_role, grant_duration_secs, policy, approver_groups, quorum, deadline, require_justification, state, version, created_at, approver AS vote_approver, approve AS vote_approve, comment AS vote_comment, voted_at AS vote_at FROM reviews LEFT JOIN review_votes ON review_id = id WHERE id = ? ORDER BY position";
pub const UPDATE_REVIEW: &str =
    "UPDATE reviews SET state = ?, version = version + 1 WHERE id = ? AND version = ?";
pub const SELECT_REVIEW_VERSION: &str = "SELECT version FROM reviews WHERE id = ?";
pub const COUNT_VOTES: &str = "SELECT COUNT(*) FROM review_votes WHERE review_id = ?";
pub const TAKE_APPROVED_REVIEW: &str = "UPDATE reviews SET state = 'executed', version = version + 1 WHERE state = 'approved' AND id = (SELECT id FROM reviews WHERE state = 'approved' AND kind = 'command' AND requester = ? AND connection = ? AND payload_hash = ? AND deadline > ? ORDER BY created_at, id LIMIT 1) RETURNING id";
pub const COUNT_APPROVED: &str = "SELECT COUNT(*) FROM reviews WHERE state = 'approved' AND kind = 'command' AND requester = ? AND connection = ? AND payload_hash = ? AND deadline > ?";
pub const INSERT_GRANT: &str = "INSERT INTO grants (id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
pub const SELECT_GRANT: &str = "SELECT id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by FROM grants WHERE id = ?";
pub const SELECT_ACTIVE_GRANTS: &str = "SELECT id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by FROM grants WHERE identity = ? AND connection = ? AND created_at <= ? AND expires_at > ? AND (revoked_at IS NULL OR revoked_at > ?) ORDER BY created_at DESC, id DESC";
pub const REVOKE_GRANT: &str = "UPDATE grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by";
