use super::{finds_each, finds_none, found};

const HS256: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

#[test]
fn finds_signed_and_unsigned_tokens() {
    finds_each(
        "jwt",
        &[
            HS256,
            "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        ],
    );
    assert_eq!(
        found("jwt", &format!("Authorization: Bearer {HS256}\r\n")),
        [HS256]
    );
    assert_eq!(found("jwt", &format!("{{\"token\":\"{HS256}\"}}")), [HS256]);
    // A key=value pair and a token ending a sentence.
    assert_eq!(
        found("jwt", &format!("GET /cb?id_token={HS256}&x=1")),
        [HS256]
    );
    assert_eq!(
        found("jwt", &format!("use Bearer {HS256}. Then retry.")),
        [HS256]
    );
}

#[test]
fn leaves_non_jwt_dotted_base64() {
    let five = format!("{HS256}.eyJ4IjoxfQ.YWJj");
    let glued = format!("abc{HS256}");
    let padded = format!("{HS256}=");
    finds_none(
        "jwt",
        &[
            "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..c2ln",
            "eyJub3QganNvbg.eyJzdWIiOiIxIn0.c2ln",
            &five,
            &glued,
            &padded,
        ],
    );
}
