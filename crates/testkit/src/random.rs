//! Random identifiers and passwords for fixtures, read from the kernel's CSPRNG.

use std::io::Read as _;

use anyhow::Context as _;

/// Returns `bytes` random bytes as lowercase hex (safe inside SQL string literals and URLs).
pub(crate) fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("could not read random bytes from /dev/urandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
