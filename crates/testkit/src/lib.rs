//! Test harness for Warden: real servers on loopback, started in temporary directories on free
//! ports, so tests exercise the real thing instead of mocks.
//!
//! - [`postgres::PostgresServer`]: a throwaway PostgreSQL cluster (`initdb` + `postgres`).
//! - [`issuer::TokenIssuer`]: an OpenID Connect discovery document and JWKS served over HTTP,
//!   with keys generated in process and helpers to sign (and forge) tokens.
//! - [`sshd::SshServer`]: a throwaway OpenSSH server with a generated client key.
//! - [`mariadb::MariaDbServer`]: a throwaway MariaDB server.
//! - [`tls::TestCa`]: a per-test certificate authority that issues leaf certificates.
//! - [`pieces::Pieces`]: a stream handing out its bytes in given pieces, one per read.
//!
//! Every server is stopped when its value is dropped, and that includes a test that fails or
//! panics: unwinding drops the fixture, which signals the server process, waits a bounded time,
//! kills it if it is still alive, and then removes its temporary directory. Only a test process
//! that is itself killed with SIGKILL can leave a server behind.
//!
//! Tests run as root on the project's machines. PostgreSQL refuses to run as root, so when the
//! effective uid is 0 the PostgreSQL fixture runs `initdb` and `postgres` as the unprivileged
//! `postgres` system user (or `nobody`). See `docs/testing.md` for how binaries are found.

pub mod bin;
pub mod issuer;
pub mod mariadb;
pub mod pieces;
pub mod postgres;
mod privilege;
mod process;
mod random;
pub mod sshd;
pub mod tls;

pub use issuer::{KeyAlg, TokenIssuer};
pub use mariadb::MariaDbServer;
pub use pieces::Pieces;
pub use postgres::{PgAuth, PostgresOptions, PostgresServer};
pub use sshd::SshServer;
pub use tls::TestCa;

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
///
/// The port is found by binding port 0 and releasing it, so another process may take it before
/// the caller binds it; fixtures that use it retry on "address in use".
pub fn free_port() -> anyhow::Result<u16> {
    use anyhow::Context as _;
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .context("could not bind 127.0.0.1:0 to find a free port")?;
    let port = listener
        .local_addr()
        .context("could not read the local address of a loopback listener")?
        .port();
    Ok(port)
}
