use super::*;

#[test]
fn creates_a_private_key_once_and_a_matching_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = load_or_create_signing_key(dir.path()).unwrap();
    let key_path = dir.path().join(SIGNING_KEY_FILE);
    let mode = fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(fs::read_to_string(&key_path).unwrap().trim().len(), 64);

    let again = load_or_create_signing_key(dir.path()).unwrap();
    assert_eq!(
        again.to_bytes(),
        key.to_bytes(),
        "the key must not be replaced"
    );

    let public = load_verifying_key(&dir.path().join(VERIFYING_KEY_FILE)).unwrap();
    assert_eq!(public, key.verifying_key());
}

#[test]
fn different_data_dirs_get_different_keys() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ka = load_or_create_signing_key(a.path()).unwrap();
    let kb = load_or_create_signing_key(b.path()).unwrap();
    assert_ne!(ka.to_bytes(), kb.to_bytes());
}

#[test]
fn refuses_a_key_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    load_or_create_signing_key(dir.path()).unwrap();
    let key_path = dir.path().join(SIGNING_KEY_FILE);
    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = load_or_create_signing_key(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("chmod 600"), "{err}");
}

#[test]
fn refuses_a_garbled_key_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join(SIGNING_KEY_FILE);
    fs::write(&key_path, "not-hex-secret-material\n").unwrap();
    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600)).unwrap();
    let err = load_or_create_signing_key(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("64 hex characters"), "{err}");
    assert!(!err.contains("not-hex-secret-material"), "{err}");
}
