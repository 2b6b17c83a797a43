//! Shared helpers for the classification tables.
#![allow(dead_code)]

use warden_sql::{Classification, SqlClass, classify_uncached};

/// Asserts every `(sql, class)` pair, reporting all mismatches at once.
pub fn assert_classes(cases: &[(&str, SqlClass)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(sql, expected)| {
            let got = classify_uncached(sql);
            (got.class != *expected).then(|| {
                format!(
                    "{sql:?}: expected {expected}, got {} (reason {:?})",
                    got.class, got.reason
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "misclassified:\n{}",
        failures.join("\n")
    );
}

/// Classifies one batch.
pub fn classify(sql: &str) -> Classification {
    classify_uncached(sql)
}
