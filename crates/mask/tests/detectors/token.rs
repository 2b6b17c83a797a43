use super::{finds_each, finds_none, found};

#[test]
fn finds_each_vendor_prefix() {
    finds_each(
        "api_token",
        &[
            "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL",
            "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
            "sk-ant-api03-Xy7Zab3Cd9Ef1Gh5Ij",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "github_pat_11ABCDEFG0abcdefghijklmn_opqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "xoxp-123456789012-123456789012-123456789012-abcdef0123456789",
            "xapp-1-A0123456789-1234567890123-abcdef0123",
            "glpat-xYz12AbC34dEf56GhI78j",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
            "sk_live_51H8abcDEFghiJKLmnoPQRstu",
            "rk_live_51H8abcDEFghiJKLmnoPQRstu",
        ],
    );
    assert_eq!(
        found(
            "api_token",
            "Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"
        ),
        ["ghp_abcdefghijklmnopqrstuvwxyz0123456789"]
    );
}

#[test]
fn leaves_prose_and_short_or_glued_tokens() {
    finds_none(
        "api_token",
        &[
            "sk-learn",
            "pip install sk-learn-extensions-and-more",
            "sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "task-force-members-only-list-2024",
            "ghp_short123",
            "xghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789_x",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6QR",
            "sk_live_short",
            "glpat-short",
        ],
    );
}
