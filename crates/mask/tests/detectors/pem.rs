use super::{finds_each, finds_none, found};

const BODY: &str = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n";

#[test]
fn finds_private_key_blocks() {
    let blocks: Vec<String> = ["RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""]
        .iter()
        .map(|label| {
            format!("-----BEGIN {label}PRIVATE KEY-----\n{BODY}-----END {label}PRIVATE KEY-----")
        })
        .collect();
    let refs: Vec<&str> = blocks.iter().map(String::as_str).collect();
    finds_each("private_key", &refs);
}

#[test]
fn hides_a_truncated_block_up_to_its_body() {
    let text = format!("key:\n-----BEGIN PRIVATE KEY-----\n{BODY}\n[output truncated]");
    let want = format!("-----BEGIN PRIVATE KEY-----\n{}", BODY.trim_end());
    assert_eq!(found("private_key", &text), [want.as_str()]);
}

#[test]
fn leaves_certificates_and_public_keys() {
    let cert = format!("-----BEGIN CERTIFICATE-----\n{BODY}-----END CERTIFICATE-----");
    let public = format!("-----BEGIN PUBLIC KEY-----\n{BODY}-----END PUBLIC KEY-----");
    finds_none(
        "private_key",
        &[&cert, &public, "-----BEGINPRIVATE KEY-----"],
    );
}
