//! Properties checked on generated input: classification never panics, a batch takes its most
//! dangerous statement, and the shared cache (which lets plain data statements differing only
//! in numeric literals share an entry) answers exactly what parsing the statement itself would.

use proptest::prelude::*;
use warden_sql::{Classification, Classifier, SqlClass, classify_uncached};

/// Statements of every class, traps included; each parses on its own.
const CORPUS: &[&str] = &[
    "SELECT 1",
    "SELECT a, b FROM t JOIN u ON t.id = u.id WHERE a > 2",
    "WITH x AS (SELECT * FROM t) SELECT count(*) OVER () FROM x",
    "EXPLAIN SELECT * FROM t",
    "SHOW search_path",
    "BEGIN",
    "COMMIT",
    "SET search_path TO public",
    "INSERT INTO t VALUES (1, 2)",
    "UPDATE t SET a = 1 WHERE b = 2",
    "DELETE FROM t WHERE id = 3",
    "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
    "EXPLAIN ANALYZE DELETE FROM t",
    "SELECT nextval('s')",
    "COPY t FROM STDIN",
    "CREATE TABLE n (a int)",
    "DROP TABLE t",
    "TRUNCATE t",
    "SELECT * INTO n FROM t",
    "ALTER SYSTEM SET work_mem = '1GB'",
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "COPY t TO PROGRAM 'id'",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_terminate_backend(42)",
    "GRANT ALL ON t TO public",
    "SET default_transaction_read_only = off",
    "DO $$ BEGIN DELETE FROM t; END $$",
    "CALL p()",
    "SELEC 1",
];

fn classify(sql: &str) -> Classification {
    classify_uncached(sql)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text at all, NUL bytes and stray quotes included, classifies without panicking, and
    /// an `admin` or `unknown` answer always says why.
    #[test]
    fn arbitrary_text_classifies_without_panicking(sql in any::<String>()) {
        let classification = classify(&sql);
        if classification.class >= SqlClass::Admin {
            prop_assert!(classification.reason.is_some(), "{:?}: {:?}", sql, classification);
        }
    }

    /// `a; b; …` has the class of its most dangerous statement and touches every table each
    /// statement touches.
    #[test]
    fn a_batch_takes_its_most_dangerous_statement(
        picks in prop::collection::vec(prop::sample::select(CORPUS), 1..5)
    ) {
        let parts: Vec<Classification> = picks.iter().map(|sql| classify(sql)).collect();
        let batch = classify(&picks.join("; "));
        let most = parts.iter().map(|c| c.class).max().unwrap_or(SqlClass::Read);
        prop_assert_eq!(batch.class, most, "batch {:?}", picks);
        if batch.class != SqlClass::Unknown || parts.iter().all(|c| c.statements > 0) {
            for part in &parts {
                for table in &part.tables {
                    prop_assert!(batch.tables.contains(table), "{} missing from {:?}", table, picks);
                }
            }
        }
    }

    /// Data statements with numbers everywhere (some glued to what follows them, as in `12x1f`
    /// or `1_000`): what the cache answers is what classifying the text itself answers.
    #[test]
    fn the_cache_answers_what_parsing_the_text_answers(
        template in prop::sample::select(TEMPLATES),
        a in expr(),
        b in expr(),
        n in 0u32..1_000,
    ) {
        let sql = template.replace("{a}", &a).replace("{b}", &b).replace("{n}", &n.to_string());
        let classifier = Classifier::new(64);
        // Warm the shared entry with another statement of the same shape first.
        let sibling: String = sql.chars().map(|c| if c.is_ascii_digit() { '7' } else { c }).collect();
        classifier.classify(&sibling);
        let cached = classifier.classify(&sql);
        let parsed = classify(&sql);
        prop_assert_eq!(cached.class, parsed.class, "{:?} (reason {:?} vs {:?})", sql, cached.reason, parsed.reason);
        prop_assert_eq!(&cached.tables, &parsed.tables, "{:?}", sql);
        prop_assert_eq!(&cached.functions, &parsed.functions, "{:?}", sql);
        prop_assert_eq!(cached.sets_read_only_bypass, parsed.sets_read_only_bypass, "{:?}", sql);
        prop_assert_eq!(cached.statements, parsed.statements, "{:?}", sql);
    }
}

/// Data statements the cache may share between literals (and one it must not).
const TEMPLATES: &[&str] = &[
    "SELECT {a}, {b} FROM t WHERE c = {a} LIMIT {n}",
    "INSERT INTO t VALUES ({a}, {b})",
    "UPDATE t1 SET c = {a} WHERE d > {b}",
    "DELETE FROM t WHERE c IN ({a}, {b})",
    "WITH x AS (SELECT {a} AS c) SELECT c FROM x OFFSET {n}",
    "VALUES ({a}), ({b})",
    "SELECT {a} FROM t ORDER BY {n}",
    "SET work_mem = {n}",
];

/// An expression full of numbers.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        // A number glued to what follows it: `12x1f`, `3b1`, `1_000`, `7e5`, `45abc`.
        (
            0u64..1_000,
            prop::sample::select(
                &["x1f", "b1", "o7", "_000", "_", "e5", "e", "abc", ".5", "."][..]
            ),
        )
            .prop_map(|(n, suffix)| format!("{n}{suffix}")),
        prop::sample::select(&["c", "t.c", "c2", "0", "NULL"][..]).prop_map(str::to_owned),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(&["+", "-", "*", "/", "%", "<", "="][..]),
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("{l} {op} {r}")),
            (
                prop::sample::select(
                    &[
                        "abs",
                        "pg_sleep",
                        "pg_terminate_backend",
                        "nextval",
                        "round"
                    ][..]
                ),
                inner.clone()
            )
                .prop_map(|(f, e)| format!("{f}({e})")),
            inner.clone().prop_map(|e| format!("({e})::numeric(10, 2)")),
            inner.prop_map(|e| format!("-{e}")),
        ]
    })
}
