//! A throwaway sshd runs commands for the generated client key and only for it.

use warden_testkit::SshServer;

#[tokio::test]
async fn ssh_runs_a_command_with_the_client_key() {
    let server = SshServer::start().await.expect("sshd starts");
    let output = server.ssh("echo hello").await.expect("ssh runs");
    assert!(
        output.status.success(),
        "ssh failed: {}\nsshd log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "hello");
    assert!(server.host_public_key().starts_with("ssh-ed25519 "));

    let failing = server.ssh("exit 3").await.expect("ssh runs");
    assert_eq!(failing.status.code(), Some(3));
}

#[tokio::test]
async fn another_key_is_refused_and_drop_stops_the_server() {
    let server = SshServer::start().await.expect("sshd starts");
    let other = tempfile::tempdir().expect("tempdir");
    let other_key = other.path().join("other");
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other_key)
        .status()
        .expect("ssh-keygen");
    assert!(keygen.success());

    // Only the stranger's key is offered (IdentitiesOnly), so the server must refuse it.
    let refused = tokio::process::Command::new("ssh")
        .args(["-F", "/dev/null", "-i"])
        .arg(&other_key)
        .arg("-p")
        .arg(server.port().to_string())
        .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            server.known_hosts_path().display()
        ))
        .args(["-o", "StrictHostKeyChecking=yes"])
        .arg(format!("{}@127.0.0.1", server.user()))
        .arg("true")
        .output()
        .await
        .expect("ssh runs");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let port = server.port();
    drop(server);
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
}
