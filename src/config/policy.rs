//! `[[policy]]` tables of nox.toml (SPEC §2): each names an agent glob, a
//! Claude Code tool and a regex on the command or file path, and decides
//! `allow | deny | ask`. A bad glob or regex is an error naming file, line
//! and column.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::domain::approval::{Policy, PolicyDecision};

/// One `[[policy]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    agent: Option<Spanned<String>>,
    tool: Option<String>,
    pattern: Option<Spanned<String>>,
    decision: PolicyDecision,
}

/// Compiles the rules in file order; errors are located in `src`.
pub(super) fn compile(
    raw: Vec<RawPolicy>,
    path: &Path,
    src: &str,
) -> Result<Vec<Policy>, ConfigError> {
    raw.into_iter()
        .map(|r| {
            let agent = match r.agent {
                None => None,
                Some(g) => Some(glob::Pattern::new(g.get_ref()).map_err(|e| {
                    ConfigError::at(
                        path,
                        src,
                        Some(g.span()),
                        format!("`agent` is not a glob: {e}"),
                    )
                })?),
            };
            let pattern = match r.pattern {
                None => None,
                Some(p) => Some(regex::Regex::new(p.get_ref()).map_err(|e| {
                    let first = e.to_string();
                    let first = first.lines().last().unwrap_or_default().trim().to_string();
                    ConfigError::at(
                        path,
                        src,
                        Some(p.span()),
                        format!("`pattern` is not a regex: {first}"),
                    )
                })?),
            };
            Ok(Policy {
                agent,
                tool: r.tool.filter(|t| !t.is_empty() && t != "*"),
                pattern,
                decision: r.decision,
            })
        })
        .collect()
}
