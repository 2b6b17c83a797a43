//! SQL statement classification with the real PostgreSQL parser.
//!
//! Every PostgreSQL guardrail asks one question of a statement batch: what does it do? This
//! crate answers with a [`Classification`]: the most dangerous [`SqlClass`] in the batch, the
//! tables and functions it touches, and the session-level facts the PostgreSQL gateway tracks
//! (prepared statements, `EXECUTE` references, anything that could turn off read-only mode).
//! The whole parse tree from `pg_query` is walked, so DML hidden in a CTE, `EXPLAIN ANALYZE`,
//! `COPY ... PROGRAM` and functions such as `pg_read_file` inside a `SELECT` are all seen.
//! Classification never fails: anything the classifier cannot vouch for is [`SqlClass::Unknown`].
//! The rules are documented in `docs/sql-classification.md`.

mod cache;
mod cache_key;
mod class;
mod classification;
mod classifier;
mod error;
mod findings;
mod functions;
mod parse;
mod settings;
mod statement;
mod tree;

pub use class::SqlClass;
pub use classification::Classification;
pub use classifier::{CacheStats, Classifier, ShapeKey};
pub use error::SqlError;
pub use parse::classify_uncached;
