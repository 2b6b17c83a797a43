//! The `audit_events` search query, built the same way for both backends.

use crate::{AuditFilter, rows::EVENT_COLUMNS, timestamp};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// `SELECT … FROM audit_events WHERE <filter> ORDER BY time, node, seq [LIMIT n]`, with every
/// value bound as a parameter.
pub(crate) fn search_query<DB>(filter: &AuditFilter) -> QueryBuilder<DB>
where
    DB: Database,
    <DB as Database>::Arguments: Default,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE 1 = 1"
    ));
    let exact = [
        ("identity", &filter.identity),
        ("connection", &filter.connection),
        ("verdict", &filter.verdict),
        ("kind", &filter.kind),
    ];
    for (column, value) in exact {
        if let Some(value) = value {
            query.push(format_args!(" AND {column} = "));
            query.push_bind(value.clone());
        }
    }
    if let Some(action) = &filter.action {
        match action.strip_suffix('*') {
            Some("") => {}
            Some(prefix) => {
                // substr rather than LIKE: SQLite's LIKE ignores case and both treat `_` and `%`
                // as wildcards.
                let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
                query.push(" AND substr(action, 1, ");
                query.push_bind(length);
                query.push(") = ");
                query.push_bind(prefix.to_owned());
            }
            None => {
                query.push(" AND action = ");
                query.push_bind(action.clone());
            }
        }
    }
    if let Some(since) = &filter.since {
        query.push(" AND time >= ");
        query.push_bind(timestamp::format(since));
    }
    if let Some(until) = &filter.until {
        query.push(" AND time < ");
        query.push_bind(timestamp::format(until));
    }
    query.push(" ORDER BY time, node, seq");
    if let Some(limit) = filter.limit {
        query.push(" LIMIT ");
        query.push_bind(i64::from(limit));
    }
    query
}
