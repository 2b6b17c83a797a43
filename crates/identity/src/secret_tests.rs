use super::resolve_secret;
use std::path::PathBuf;
use warden_config::SecretRef;

#[test]
fn file_secret_is_read_relative_to_base_dir_without_trailing_newline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hmac.txt"), "s3cr3t-value\r\n\n").unwrap();
    let reference = SecretRef::File {
        file: PathBuf::from("hmac.txt"),
    };
    let secret = resolve_secret(&reference, dir.path()).unwrap();
    assert_eq!(secret.expose(), "s3cr3t-value");
}

#[test]
fn missing_file_error_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let reference = SecretRef::File {
        file: PathBuf::from("absent.txt"),
    };
    let error = resolve_secret(&reference, dir.path()).unwrap_err();
    assert_eq!(error.code(), "secret_unavailable");
    assert!(error.to_string().contains("absent.txt"), "{error}");
}

#[test]
fn empty_file_is_refused_without_leaking_anything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty"), "\n").unwrap();
    let reference = SecretRef::File {
        file: PathBuf::from("empty"),
    };
    let error = resolve_secret(&reference, dir.path()).unwrap_err();
    assert!(error.to_string().contains("is empty"), "{error}");
}

#[test]
fn env_secret_is_read_and_error_never_shows_the_value() {
    // cargo sets CARGO_PKG_NAME when it runs tests; setting variables ourselves is unsound.
    let reference = SecretRef::Env {
        env: "CARGO_PKG_NAME".into(),
    };
    let secret = resolve_secret(&reference, &PathBuf::from("/")).unwrap();
    assert_eq!(secret.expose(), env!("CARGO_PKG_NAME"));
    assert_eq!(format!("{secret:?}"), "Secret(***)");

    let reference = SecretRef::Env {
        env: "WARDEN_TEST_VARIABLE_THAT_IS_NEVER_SET".into(),
    };
    let error = resolve_secret(&reference, &PathBuf::from("/")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "secret environment variable WARDEN_TEST_VARIABLE_THAT_IS_NEVER_SET is not set"
    );
}
