use super::UnverifiedToken;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn part(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

#[test]
fn splits_header_claims_and_signing_input() {
    let token = format!(
        "{}.{}.c2ln",
        part(r#"{"alg":"RS256","kid":"k1"}"#),
        part(r#"{"iss":"https://idp","sub":"alice"}"#)
    );
    let parsed = UnverifiedToken::parse(&token).unwrap();
    assert_eq!(parsed.alg, "RS256");
    assert_eq!(parsed.kid.as_deref(), Some("k1"));
    assert_eq!(parsed.issuer(), Some("https://idp"));
    assert_eq!(parsed.signature, "c2ln");
    assert_eq!(format!("{}.c2ln", parsed.signing_input), token);
}

#[test]
fn refuses_wrong_shapes_without_quoting_the_token() {
    let header = part(r#"{"alg":"RS256"}"#);
    let claims = part(r#"{"sub":"x"}"#);
    let cases = [
        "not-a-token".to_owned(),
        format!("{header}.{claims}"),
        format!("{header}.{claims}.sig.extra"),
        format!("{header}.!!!.sig"),
        format!("{}.{claims}.sig", part("[1,2]")),
        format!("{}.{claims}.sig", part(r#"{"typ":"JWT"}"#)),
        format!("{}.{claims}.sig", part(r#"{"alg":"RS256","kid":7}"#)),
        format!("{}.{claims}.sig", part(r#"{"alg":"RS256","crit":["x"]}"#)),
    ];
    for token in cases {
        let error = UnverifiedToken::parse(&token).unwrap_err();
        assert_eq!(error.code(), "malformed_token", "{token}");
        assert!(!error.to_string().contains(&token), "{error}");
    }
}

#[test]
fn refuses_oversized_tokens() {
    let token = "a".repeat(70 * 1024);
    let error = UnverifiedToken::parse(&token).unwrap_err();
    assert_eq!(error.code(), "malformed_token");
}

#[test]
fn alg_none_is_refused_before_any_provider_is_chosen() {
    let claims = part(r#"{"iss":"https://unknown.example"}"#);
    for alg in ["none", "NONE", "nOnE"] {
        let token = format!("{}.{claims}.", part(&format!(r#"{{"alg":"{alg}"}}"#)));
        let error = UnverifiedToken::parse(&token).unwrap_err();
        assert_eq!(error.code(), "algorithm_not_allowed", "{alg}");
    }
}
