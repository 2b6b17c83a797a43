use super::{finds_each, finds_none, found};

#[test]
fn finds_addresses() {
    finds_each(
        "email",
        &[
            "john.doe@example.com",
            "user+tag@sub.example.co.uk",
            "a_b-c%d@mail-server.example.org",
            "x@example.museum",
            "info@xn--mnchen-3ya.xn--p1ai",
            "JOHN@EXAMPLE.COM",
        ],
    );
}

#[test]
fn drops_sentence_punctuation_and_leading_dots() {
    assert_eq!(
        found("email", "Mail me at john@example.com."),
        ["john@example.com"]
    );
    assert_eq!(
        found("email", "wait...john@example.com"),
        ["john@example.com"]
    );
    assert_eq!(found("email", "john..doe@example.com"), ["doe@example.com"]);
    assert_eq!(
        found("email", "an jürgen@example.de"),
        ["jürgen@example.de"]
    );
    assert_eq!(
        found("email", "連絡先はjohn@example.comです"),
        ["john@example.com"]
    );
    assert_eq!(found("email", "<john@example.com>"), ["john@example.com"]);
    assert_eq!(
        found("email", "\"email\":\"j@example.com\""),
        ["j@example.com"]
    );
}

#[test]
fn leaves_lookalikes() {
    finds_none(
        "email",
        &[
            "@mention",
            "john@localhost",
            "john@example",
            "john@example.c",
            "john.@example.com",
            "john@-example.com",
            "john@example-.com",
            "john@exa..mple.com",
            "1.2.3@4.5.6",
            "user@[192.168.0.1]",
            "price: 5 @ 10.00",
        ],
    );
    let long_local = format!("{}@example.com", "a".repeat(65));
    finds_none("email", &[&long_local]);
}
