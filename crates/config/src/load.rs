//! Reading a config file: syntax, shape, then meaning.

use crate::error::{ConfigError, location_of};
use crate::locate::{KeyPath, Segment, offset_of};
use crate::model::Config;
use crate::validate::validate;
use std::path::{Path, PathBuf};

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let src = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_owned(),
        location: None,
        key: String::new(),
        message: format!("cannot read the config file: {e}"),
    })?;
    parse(&src, path)
}

/// Parses and validates config text; `file` names it in errors and anchors relative paths.
pub fn parse(src: &str, file: &Path) -> Result<Config, ConfigError> {
    let error = |key: String, offset: Option<usize>, message: String| ConfigError {
        file: file.to_owned(),
        location: offset.map(|o| location_of(src, o)),
        key,
        message,
    };
    let deserializer = toml::Deserializer::parse(src).map_err(|e| {
        error(
            String::new(),
            e.span().map(|s| s.start),
            e.message().to_owned(),
        )
    })?;
    let mut config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = key_path(e.path());
        let inner = e.into_inner();
        let offset = offset_of(src, &path).or_else(|| inner.span().map(|s| s.start));
        error(path.to_string(), offset, inner.message().to_owned())
    })?;
    config.base_dir = base_dir(file);
    if let Some(problem) = validate(&config).into_iter().next() {
        let offset = offset_of(src, &problem.path);
        return Err(error(problem.path.to_string(), offset, problem.message));
    }
    Ok(config)
}

fn base_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn key_path(path: &serde_path_to_error::Path) -> KeyPath {
    use serde_path_to_error::Segment as S;
    KeyPath(
        path.iter()
            .filter_map(|segment| match segment {
                S::Seq { index } => Some(Segment::Index(*index)),
                S::Map { key } => Some(Segment::Key(key.clone())),
                S::Enum { .. } | S::Unknown => None,
            })
            .collect(),
    )
}
