//! The shared classifier caches by exact text, stays bounded and counts hits and misses.

use std::sync::Arc;

use warden_sql::{CacheStats, Classifier, SqlClass};

#[test]
fn the_same_text_twice_is_one_miss_and_one_hit() {
    let classifier = Classifier::new(100);
    let first = classifier.classify("DELETE FROM t");
    let second = classifier.classify("DELETE FROM t");
    assert_eq!(first.class, SqlClass::Write);
    assert!(
        Arc::ptr_eq(&first, &second),
        "the second answer comes from the cache"
    );
    assert_eq!(
        classifier.stats(),
        CacheStats {
            hits: 1,
            misses: 1,
            entries: 1
        }
    );
    // Different text (even only whitespace) is a different entry.
    classifier.classify("DELETE  FROM t");
    assert_eq!(classifier.stats().misses, 2);
    assert_eq!(classifier.stats().entries, 2);
}

#[test]
fn the_capacity_bound_is_respected() {
    let classifier = Classifier::new(10);
    for i in 0..1_000 {
        classifier.classify(&format!("SELECT c{i} FROM t"));
        assert!(
            classifier.stats().entries <= 10,
            "after {i}: {:?}",
            classifier.stats()
        );
    }
    assert_eq!(classifier.stats().misses, 1_000);
    assert!(classifier.stats().entries > 0);
}

#[test]
fn recently_used_statements_survive_eviction() {
    let classifier = Classifier::new(10);
    classifier.classify("SELECT 'hot'");
    for i in 0..100 {
        classifier.classify(&format!("SELECT c{i} FROM t"));
        classifier.classify("SELECT 'hot'");
    }
    let stats = classifier.stats();
    assert_eq!(
        stats.misses, 101,
        "the hot statement was parsed once: {stats:?}"
    );
    assert_eq!(stats.hits, 100);
}

#[test]
fn capacity_zero_and_one_still_classify() {
    let off = Classifier::new(0);
    assert_eq!(off.classify("DROP TABLE t").class, SqlClass::Ddl);
    assert_eq!(off.classify("DROP TABLE t").class, SqlClass::Ddl);
    assert_eq!(
        off.stats(),
        CacheStats {
            hits: 0,
            misses: 2,
            entries: 0
        }
    );

    let one = Classifier::new(1);
    one.classify("SELECT a FROM t");
    one.classify("SELECT b FROM t");
    assert_eq!(one.stats().entries, 1);
    one.classify("SELECT b FROM t");
    assert_eq!(one.stats().hits, 1);
}

#[test]
fn huge_statements_are_classified_but_not_cached() {
    let classifier = Classifier::default();
    let huge = format!("INSERT INTO t VALUES {}", vec!["(1)"; 30_000].join(","));
    assert_eq!(classifier.classify(&huge).class, SqlClass::Write);
    assert_eq!(classifier.stats().entries, 0);
}

#[test]
fn the_classifier_is_shared_across_threads() {
    let classifier = Arc::new(Classifier::new(1_000));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let classifier = Arc::clone(&classifier);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let sql = format!("SELECT c{} FROM t", i % 50);
                    assert_eq!(
                        classifier.classify(&sql).class,
                        SqlClass::Read,
                        "thread {t}"
                    );
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let stats = classifier.stats();
    assert_eq!(stats.hits + stats.misses, 800);
    assert_eq!(stats.entries, 50);
    assert!(stats.misses >= 50 && stats.misses < 800, "{stats:?}");
}

#[test]
fn statements_differing_only_in_numbers_share_an_entry_but_settings_do_not() {
    let classifier = Classifier::new(100);
    for id in [1, 22, 333] {
        let c = classifier.classify(&format!(
            "SELECT abalance FROM pgbench_accounts WHERE aid = {id};"
        ));
        assert_eq!(c.class, SqlClass::Read);
        assert_eq!(c.tables, vec!["pgbench_accounts".to_owned()]);
    }
    assert_eq!(classifier.stats().misses, 1);
    assert_eq!(classifier.stats().hits, 2);
    // A number that decides the class is never folded into another statement's entry.
    let on = classifier.classify("SET default_transaction_read_only = 1");
    let off = classifier.classify("SET default_transaction_read_only = 0");
    assert_eq!(on.class, SqlClass::Read);
    assert_eq!(off.class, SqlClass::Admin);
}

#[test]
fn a_shape_key_finds_the_entry_its_statement_would() {
    let classifier = Classifier::new(100);
    let mut key = warden_sql::ShapeKey::default();
    key.set("SELECT a FROM t WHERE id = 42");
    assert_eq!(key.as_str(), "SELECT a FROM t WHERE id = 0");
    let by_key = classifier.classify_key(&key);
    let by_text = classifier.classify("SELECT a FROM t WHERE id = 7");
    assert!(Arc::ptr_eq(&by_key, &by_text), "one entry for the shape");
    // Text that is not rewritten is its own key, and the buffer forgets the previous one.
    key.set("SET default_transaction_read_only = 0");
    assert_eq!(key.as_str(), "SET default_transaction_read_only = 0");
    assert_eq!(
        classifier.classify_key(&key).class,
        classifier
            .classify("SET default_transaction_read_only = 0")
            .class
    );
    key.set("DELETE FROM t WHERE id = 5");
    assert_eq!(key.as_str(), "DELETE FROM t WHERE id = 0");
    assert_eq!(classifier.classify_key(&key).class, SqlClass::Write);
    assert_eq!(classifier.stats().misses, 3);
}
