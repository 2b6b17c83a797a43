//! Which table column a result column really is: RowDescription gives the table OID and
//! attribute number of every plain column reference (through aliases, views and subqueries),
//! and this looks their names up in `pg_attribute` on a side connection, cached per database,
//! so column rules match `schema.table.column` whatever the query called the column.

use crate::PgError;
use crate::messages::{data_row, query};
use crate::upstream::{self, UpstreamTarget};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// How long a looked-up name is trusted (a renamed column is picked up after this).
const TTL: Duration = Duration::from_secs(60);

/// Longest a lookup may take, connection included.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A table column's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnName {
    /// Schema.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Column.
    pub column: String,
}

/// Names by (table OID, attribute number) in one database, with when they were looked up.
type Names = HashMap<(u32, i16), (Arc<ColumnName>, Instant)>;

/// What the cache holds for some columns.
pub struct Cached {
    /// Each column's names, `None` where unknown or no longer trusted.
    pub names: Vec<Option<Arc<ColumnName>>>,
    /// When the first of the names found stops being trusted; `None` when none was found.
    pub trusted_until: Option<Instant>,
}

/// Looked-up names for every (connection, database) of a gateway.
#[derive(Default)]
pub struct Catalogs {
    cache: Mutex<HashMap<(String, String), Names>>,
}

impl Catalogs {
    /// The cached names of these columns in `database` of `connection` (`None` where unknown).
    pub fn cached(&self, connection: &str, database: &str, keys: &[(u32, i16)]) -> Cached {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entries = cache.get(&(connection.to_owned(), database.to_owned()));
        let now = Instant::now();
        let mut trusted_until: Option<Instant> = None;
        let names = keys
            .iter()
            .map(|key| {
                let (name, at) = entries
                    .and_then(|e| e.get(key))
                    .filter(|(_, at)| now.saturating_duration_since(*at) < TTL)?;
                let until = *at + TTL;
                trusted_until = Some(trusted_until.map_or(until, |t| t.min(until)));
                Some(name.clone())
            })
            .collect();
        Cached {
            names,
            trusted_until,
        }
    }

    /// Looks `keys` up in `database` through a side connection and caches what it finds.
    pub async fn resolve(
        &self,
        connection: &str,
        target: &UpstreamTarget,
        database: &str,
        keys: &[(u32, i16)],
    ) -> Result<(), PgError> {
        let found = tokio::time::timeout(LOOKUP_TIMEOUT, lookup(target, database, keys))
            .await
            .map_err(|_| PgError::Timeout("looking up column names"))??;
        let now = Instant::now();
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entries = cache
            .entry((connection.to_owned(), database.to_owned()))
            .or_default();
        for (key, name) in found {
            entries.insert(key, (Arc::new(name), now));
        }
        Ok(())
    }
}

async fn lookup(
    target: &UpstreamTarget,
    database: &str,
    keys: &[(u32, i16)],
) -> Result<Vec<((u32, i16), ColumnName)>, PgError> {
    let parameters = vec![
        ("database".to_owned(), database.to_owned()),
        ("application_name".to_owned(), "warden-catalog".to_owned()),
        ("default_transaction_read_only".to_owned(), "on".to_owned()),
    ];
    let mut upstream = upstream::connect(target, parameters, LOOKUP_TIMEOUT).await?;
    // Only integers go into the text: no quoting concerns.
    let pairs: Vec<String> = keys
        .iter()
        .map(|(oid, attnum)| format!("({oid}::oid, {attnum}::int2)"))
        .collect();
    let sql = format!(
        "SELECT a.attrelid::int8, a.attnum::int4, n.nspname, c.relname, a.attname \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE (a.attrelid, a.attnum) IN (VALUES {})",
        pairs.join(", ")
    );
    upstream.writer.write_all(&query::encode(&sql)).await?;
    let mut found = Vec::new();
    loop {
        let Some(frame) = upstream.reader.next().await? else {
            return Err(PgError::Upstream("the catalog connection closed".into()));
        };
        match frame.tag() {
            b'D' => {
                let values = data_row::values(frame.body())?;
                let text = |i: usize| {
                    values
                        .get(i)
                        .copied()
                        .flatten()
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                        .unwrap_or_default()
                };
                let (Ok(oid), Ok(attnum)) = (text(0).parse::<u32>(), text(1).parse::<i16>()) else {
                    continue;
                };
                found.push((
                    (oid, attnum),
                    ColumnName {
                        schema: text(2),
                        table: text(3),
                        column: text(4),
                    },
                ));
            }
            b'E' => {
                return Err(PgError::Upstream(format!(
                    "column name lookup failed: {}",
                    crate::messages::error_response::message(frame.body()).unwrap_or_default()
                )));
            }
            b'Z' => break,
            _ => {}
        }
    }
    let _ = upstream.writer.write_all(&[b'X', 0, 0, 0, 4]).await;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(column: &str) -> Arc<ColumnName> {
        Arc::new(ColumnName {
            schema: "public".into(),
            table: "t".into(),
            column: column.into(),
        })
    }

    #[test]
    fn cached_names_are_trusted_until_the_oldest_lookup_expires() {
        let catalogs = Catalogs::default();
        let now = Instant::now();
        let older = now.checked_sub(Duration::from_secs(10)).unwrap();
        let expired = now.checked_sub(TTL + Duration::from_secs(1)).unwrap();
        {
            let mut cache = catalogs.cache.lock().unwrap();
            let entries = cache.entry(("pg".into(), "db".into())).or_default();
            entries.insert((7, 1), (name("id"), now));
            entries.insert((7, 2), (name("email"), older));
            entries.insert((7, 3), (name("old"), expired));
        }
        let both = catalogs.cached("pg", "db", &[(7, 1), (7, 2)]);
        assert_eq!(both.names.len(), 2);
        assert_eq!(both.names[1].as_ref().unwrap().column, "email");
        assert_eq!(both.trusted_until, Some(older + TTL));
        let stale = catalogs.cached("pg", "db", &[(7, 1), (7, 3)]);
        assert!(stale.names[1].is_none(), "an expired name is not trusted");
        assert_eq!(stale.trusted_until, Some(now + TTL));
        let none = catalogs.cached("pg", "other", &[(7, 1)]);
        assert!(none.names[0].is_none());
        assert_eq!(none.trusted_until, None);
    }
}
