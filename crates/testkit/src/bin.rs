//! Finding the PostgreSQL server binaries (`initdb`, `postgres`, `psql`, `pg_isready`).
//!
//! The search order is:
//! 1. `$WARDEN_PG_BIN_DIR`, if set;
//! 2. `pg_config --bindir`;
//! 3. `/usr/lib/postgresql/<version>/bin`, highest version first;
//! 4. the directories of `$PATH`, following symlinks (`/usr/local/bin/initdb` may point into a
//!    versioned directory).
//!
//! A directory is accepted only if it holds both `initdb` and `postgres` and both report the
//! same major version, since a data directory made by one major version cannot be served by
//! another. The result is found once per process and cached.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::Context as _;

const INSTALL_HINT: &str = "install postgresql (scripts/install-test-deps.sh) or set \
                            WARDEN_PG_BIN_DIR to the directory holding initdb and postgres";

/// Returns the path of the PostgreSQL tool `name` (e.g. `"initdb"`, `"psql"`) from the chosen
/// installation, falling back to `$PATH` for client tools the installation lacks.
pub fn find_pg_bin(name: &str) -> anyhow::Result<PathBuf> {
    let dir = pg_bin_dir()?;
    let in_dir = dir.join(name);
    if is_executable(&in_dir) {
        return Ok(in_dir);
    }
    search_path(name).with_context(|| {
        format!(
            "{name} not found in {} nor on PATH: {INSTALL_HINT}",
            dir.display()
        )
    })
}

/// Returns the directory holding a matching `initdb` + `postgres` pair.
pub fn pg_bin_dir() -> anyhow::Result<&'static Path> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match DIR.get_or_init(|| locate_bin_dir().map_err(|e| format!("{e:#}"))) {
        Ok(dir) => Ok(dir.as_path()),
        Err(message) => Err(anyhow::anyhow!("{message}")),
    }
}

fn locate_bin_dir() -> anyhow::Result<PathBuf> {
    let mut rejected = Vec::new();
    for candidate in candidate_dirs() {
        match check_pair(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(reason) => rejected.push(format!("{}: {reason:#}", candidate.display())),
        }
    }
    anyhow::bail!(
        "initdb not found: {INSTALL_HINT} (checked: {})",
        if rejected.is_empty() {
            "no candidate directories".to_owned()
        } else {
            rejected.join("; ")
        }
    )
}

fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("WARDEN_PG_BIN_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !dir.is_empty() {
            dirs.push(PathBuf::from(dir));
        }
    }
    dirs.extend(debian_versioned_dirs());
    for tool in ["initdb", "postgres"] {
        if let Some(path) = search_path(tool) {
            if let Some(parent) = std::fs::canonicalize(&path)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
            {
                dirs.push(parent);
            }
            if let Some(parent) = path.parent() {
                dirs.push(parent.to_path_buf());
            }
        }
    }
    let mut unique = Vec::new();
    for dir in dirs {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    unique
}

/// `/usr/lib/postgresql/<version>/bin`, highest numeric version first.
fn debian_versioned_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let key: Vec<u32> = name.split('.').filter_map(|p| p.parse().ok()).collect();
            (!key.is_empty()).then(|| (key, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn check_pair(dir: &Path) -> anyhow::Result<()> {
    let initdb = major_version(&dir.join("initdb"))?;
    let postgres = major_version(&dir.join("postgres"))?;
    anyhow::ensure!(
        initdb == postgres,
        "initdb is version {initdb} but postgres is version {postgres}"
    );
    Ok(())
}

/// Runs `<tool> --version` ("initdb (PostgreSQL) 15.14 (Debian ...)") and returns the major.
fn major_version(tool: &Path) -> anyhow::Result<String> {
    anyhow::ensure!(is_executable(tool), "{} is missing", tool.display());
    let out = Command::new(tool)
        .arg("--version")
        .output()
        .with_context(|| format!("could not run {} --version", tool.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "{} --version failed: {}",
        tool.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
        .and_then(|version| version.split('.').next())
        .map(str::to_owned)
        .with_context(|| format!("unexpected version output from {}: {text}", tool.display()))
}

fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
