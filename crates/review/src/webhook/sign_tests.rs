use super::{sign, verify_signature};

#[test]
fn matches_an_independent_hmac_sha256() {
    // Known answer from Python's hmac module:
    // hmac.new(b"Jefe", b"what do ya want.for nothing?", hashlib.sha256).hexdigest()
    let header = sign(b"Jefe", "what do ya want", b"for nothing?").unwrap();
    assert_eq!(
        header,
        "sha256=e33f91577b90d4b3bbd73cb61803074f1965d27701b5527942dd9ea9443af37c"
    );
}

#[test]
fn verifies_only_the_exact_message() {
    let header = sign(b"k", "1700000000", b"{\"a\":1}").unwrap();
    assert!(verify_signature(b"k", "1700000000", b"{\"a\":1}", &header));
    assert!(!verify_signature(b"k", "1700000001", b"{\"a\":1}", &header));
    assert!(!verify_signature(b"k", "1700000000", b"{\"a\":2}", &header));
    assert!(!verify_signature(b"j", "1700000000", b"{\"a\":1}", &header));
    let bare = header.trim_start_matches("sha256=");
    assert!(!verify_signature(b"k", "1700000000", b"{\"a\":1}", bare));
    assert!(!verify_signature(
        b"k",
        "1700000000",
        b"{\"a\":1}",
        "sha256=zz"
    ));
    assert!(!verify_signature(
        b"k",
        "1700000000",
        b"{\"a\":1}",
        "sha256="
    ));
}
