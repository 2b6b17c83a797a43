use super::{finds_each, finds_none, found};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn finds_access_key_ids() {
    finds_each(
        "aws_key",
        &[
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAY34FZKBOKMUTVV7A",
            "AROA1234567890ABCDEF",
        ],
    );
}

#[test]
fn finds_labelled_secret_keys() {
    for text in [
        format!("aws_secret_access_key = {SECRET}"),
        format!("AWS_SECRET_ACCESS_KEY={SECRET}"),
        format!("{{\"aws_secret_access_key\": \"{SECRET}\"}}"),
        format!("SecretAccessKey: {SECRET}"),
        format!("<SecretAccessKey>{SECRET}</SecretAccessKey>"),
        format!("--aws-secret-access-key '{SECRET}'"),
    ] {
        assert_eq!(found("aws_key", &text), [SECRET], "{text}");
    }
}

#[test]
fn leaves_unlabelled_or_malformed_keys() {
    let unlabelled = format!("value {SECRET}");
    let far = format!("aws_secret_access_key is below\n\n\n       x {SECRET}");
    let long = format!("aws_secret_access_key={SECRET}A");
    let short = format!("aws_secret_access_key={}", &SECRET[..39]);
    let lower = format!("aws_secret_access_key={}", "a".repeat(40));
    let padded = format!("aws_secret_access_key={SECRET}=");
    finds_none(
        "aws_key",
        &[&unlabelled, &far, &long, &short, &lower, &padded],
    );
    finds_none(
        "aws_key",
        &[
            "AKIAIOSFODNN7EXAMPL",
            "XAKIAIOSFODNN7EXAMPLE",
            "AKIAIOSFODNN7EXAMPLEX",
            "akiaiosfodnn7example",
            "AKIAiosfodnn7example",
            "ABCDIOSFODNN7EXAMPLE",
        ],
    );
}
