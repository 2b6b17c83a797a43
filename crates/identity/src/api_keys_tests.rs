use super::{check_name, parse, secret_hash};

const ID: &str = "0123456789abcdef";
const SECRET: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn parses_the_exact_format() {
    let key = format!("wdn_{ID}_{SECRET}");
    assert_eq!(parse(&key).unwrap(), (ID, SECRET));
}

#[test]
fn secret_part_may_contain_underscores() {
    let secret = "__________________________________________A";
    let key = format!("wdn_{ID}_{secret}");
    assert_eq!(parse(&key).unwrap(), (ID, secret));
}

#[test]
fn refuses_everything_else_as_malformed() {
    let cases = [
        "wdn_".to_owned(),
        format!("wdn_{ID}"),
        format!("wdn_{ID}{SECRET}"),
        format!("wdn_0123456789ABCDEF_{SECRET}"),
        format!("wdn_0123456789abcdeg_{SECRET}"),
        format!("wdn_{ID}_{}", &SECRET[1..]),
        format!("wdn_{ID}_{SECRET}A"),
        format!("wdn_{ID}_{}+", &SECRET[1..]),
        format!("wdn_{ID}_{}=", &SECRET[1..]),
        format!("wdn_{ID}_{}é", &SECRET[2..]),
    ];
    for key in cases {
        let error = parse(&key).unwrap_err();
        assert_eq!(error.code(), "malformed_api_key", "{key}");
        assert_eq!(
            error.to_string(),
            "api key is malformed: expected wdn_<16 hex characters>_<43 base64url characters>"
        );
    }
}

#[test]
fn hash_is_hex_sha256_of_the_secret_text() {
    assert_eq!(
        secret_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn names_are_plain_and_not_key_like() {
    assert!(check_name("ci-bot").is_ok());
    assert!(check_name("agent@payments.prod").is_ok());
    for bad in ["", "has space", "wdn_x", ID, &"x".repeat(65), "new\nline"] {
        assert_eq!(
            check_name(bad).unwrap_err().code(),
            "invalid_api_key",
            "{bad:?}"
        );
    }
}
