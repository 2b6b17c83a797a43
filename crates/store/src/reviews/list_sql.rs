//! The review and grant listing queries, built the same way for both backends with every value
//! bound as a parameter.

use super::ReviewFilter;
use super::grant_rows::GRANT_COLUMNS;
use super::rows::{REVIEW_COLUMNS, VOTE_COLUMNS, state_to_sql};
use crate::timestamp;
use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// Reviews matching `filter`, newest first, each with its votes in order: the page of reviews is
/// chosen first, then joined with its votes, so `limit` counts reviews, not votes.
pub(crate) fn reviews_query<DB>(filter: &ReviewFilter) -> QueryBuilder<DB>
where
    DB: Database,
    <DB as Database>::Arguments: Default,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!(
        "WITH page AS (SELECT {REVIEW_COLUMNS} FROM reviews WHERE 1 = 1"
    ));
    let exact = [
        ("state", filter.state.map(|s| state_to_sql(s).to_owned())),
        ("requester", filter.requester.clone()),
        ("connection", filter.connection.clone()),
    ];
    for (column, value) in exact {
        if let Some(value) = value {
            query.push(format_args!(" AND {column} = "));
            query.push_bind(value);
        }
    }
    query.push(" ORDER BY created_at DESC, id DESC");
    if let Some(limit) = filter.limit {
        query.push(" LIMIT ");
        query.push_bind(i64::from(limit));
    }
    query.push(format_args!(
        ") SELECT {REVIEW_COLUMNS}, {VOTE_COLUMNS} FROM page \
         LEFT JOIN review_votes ON review_id = id ORDER BY created_at DESC, id DESC, position"
    ));
    query
}

/// Grants of `identity` (or everyone's), only those active at `active_at` if given, newest first.
pub(crate) fn grants_query<DB>(
    identity: Option<&str>,
    active_at: Option<DateTime<Utc>>,
) -> QueryBuilder<DB>
where
    DB: Database,
    <DB as Database>::Arguments: Default,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!("SELECT {GRANT_COLUMNS} FROM grants WHERE 1 = 1"));
    if let Some(identity) = identity {
        query.push(" AND identity = ");
        query.push_bind(identity.to_owned());
    }
    if let Some(at) = active_at {
        let at = timestamp::format(&at);
        query.push(" AND created_at <= ");
        query.push_bind(at.clone());
        query.push(" AND expires_at > ");
        query.push_bind(at.clone());
        query.push(" AND (revoked_at IS NULL OR revoked_at > ");
        query.push_bind(at);
        query.push(")");
    }
    query.push(" ORDER BY created_at DESC, id DESC");
    query
}
