//! Parsing a batch with the PostgreSQL parser and classifying each statement.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::SqlError;
use crate::findings::Findings;
use crate::statement::statement;
use crate::{Classification, SqlClass};

/// Classifies a statement batch without the cache (see [`crate::Classifier::classify`]).
///
/// Never fails: text the parser rejects is `unknown` with the reason `parse error: ...`, and
/// empty or comment-only text is `read` with zero statements.
pub fn classify_uncached(sql: &str) -> Classification {
    let tree = match parse(sql) {
        Ok(tree) => tree,
        Err(error) => return Classification::unknown(error.to_string()),
    };
    let mut found = Findings::new();
    for raw in &tree.stmts {
        match raw.stmt.as_deref().and_then(|node| node.node.as_ref()) {
            Some(node) => statement(node, &mut found, true),
            None => {
                found.raise_because(SqlClass::Unknown, "the parser returned an empty statement")
            }
        }
    }
    found.finish(tree.stmts.len())
}

/// The parse tree of `sql`, or why there is none.
fn parse(sql: &str) -> Result<pg_query::protobuf::ParseResult, SqlError> {
    // pg_query's Rust summary pass indexes into the tree; a bug there must not take the
    // session down, and an unexplained failure is just another reason to say `unknown`.
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        pg_query::parse(sql, pg_query::ParserOptions::DEFAULT)
    }))
    .map_err(|_| SqlError::ParserFailed)?;
    Ok(parsed?.protobuf)
}
