//! A `nox run` plan: one TOML file of `[[agent]]` tables (nox.toml's
//! schema, checked by the config parser itself), `[[task]]` tables, and
//! optional `[[policy]]` tables and `[routing]`. Every error names the
//! plan's file, line and column.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::as_config;
use crate::config::{Config, ConfigError, parse_config};

/// A validated plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The plan file (absolute).
    pub path: PathBuf,
    /// Its tasks in creation order: each after every task it waits for.
    pub tasks: Vec<PlanTask>,
    /// The agents, policies and routing as the text of a `nox.toml`
    /// (model scripts made absolute), written into the run's workspace.
    pub config_text: String,
    /// The same, as checked against the plan's directory.
    pub config: Config,
}

/// One `[[task]]` of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTask {
    /// Unique key; `after` names tasks by it.
    pub key: String,
    /// One line (default: the key).
    pub title: String,
    /// The prompt (default: the title).
    pub body: String,
    /// Explicit assignee.
    pub assign: Option<String>,
    /// Capabilities an agent needs.
    pub needs: Vec<String>,
    /// Keys of the tasks that must be done first.
    pub after: Vec<String>,
    /// Higher first.
    pub priority: i32,
    /// Attempts before the task fails (default 3).
    pub max_attempts: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    #[serde(default)]
    agent: Vec<toml::Table>,
    #[serde(default)]
    policy: Vec<toml::Table>,
    routing: Option<toml::Table>,
    #[serde(default)]
    task: Vec<Spanned<RawTask>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    key: Spanned<String>,
    title: Option<Spanned<String>>,
    body: Option<String>,
    assign: Option<Spanned<String>>,
    needs: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    after: Vec<Spanned<String>>,
    #[serde(default)]
    priority: i32,
    max_attempts: Option<Spanned<u32>>,
}

/// Reads and validates the plan at `path`.
pub fn load(path: &Path) -> Result<Plan, ConfigError> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let src = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::whole(&path, format!("cannot read the plan: {e}")))?;
    parse(&path, &src)
}

/// Validates `src`, the text of the plan at `path` (absolute).
pub fn parse(path: &Path, src: &str) -> Result<Plan, ConfigError> {
    let at =
        |span: Option<std::ops::Range<usize>>, msg: String| ConfigError::at(path, src, span, msg);
    let raw: RawPlan =
        toml::from_str(src).map_err(|e| at(e.span(), e.message().trim_end().to_string()))?;
    let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    // The agents, policies and routing go through nox.toml's own parser,
    // on the plan's text with its task tables blanked: positions hold.
    let config = parse_config(path, &as_config::without_tasks(src), &dir)?;
    if config.agents.is_empty() {
        return Err(at(
            None,
            "the plan has no [[agent]] table: nothing would run its tasks".into(),
        ));
    }
    if raw.task.is_empty() {
        return Err(at(
            None,
            "the plan has no [[task]] table: nothing to run".into(),
        ));
    }
    let tasks = tasks(&raw.task, &config, &at)?;
    let config_text =
        as_config::config_text(raw.agent, raw.policy, raw.routing, &dir).map_err(|e| {
            at(
                None,
                format!("cannot write the plan's agents as nox.toml: {e}"),
            )
        })?;
    Ok(Plan {
        path: path.to_path_buf(),
        tasks,
        config_text,
        config,
    })
}

type At<'a> = dyn Fn(Option<std::ops::Range<usize>>, String) -> ConfigError + 'a;

/// Checks the tasks against each other and the agents; returns them in
/// creation order.
fn tasks(
    raw: &[Spanned<RawTask>],
    config: &Config,
    at: &At<'_>,
) -> Result<Vec<PlanTask>, ConfigError> {
    let mut index = HashMap::new();
    for (i, t) in raw.iter().enumerate() {
        let key = t.get_ref().key.get_ref();
        if key.trim().is_empty() || key.chars().count() > 64 || key.chars().any(char::is_control) {
            return Err(at(
                Some(t.get_ref().key.span()),
                "a task `key` is 1 to 64 printable characters".into(),
            ));
        }
        if index.insert(key.clone(), i).is_some() {
            return Err(at(
                Some(t.get_ref().key.span()),
                format!("duplicate task key {key:?}: keys must be unique"),
            ));
        }
    }
    let names: HashSet<&str> = config.agents.iter().map(|a| a.name.as_str()).collect();
    let mut out = Vec::with_capacity(raw.len());
    let mut deps: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (i, t) in raw.iter().enumerate() {
        let t = t.get_ref();
        let key = t.key.get_ref().clone();
        let title = t
            .title
            .as_ref()
            .map_or_else(|| key.clone(), |s| s.get_ref().clone());
        let body = t.body.clone().unwrap_or_else(|| title.clone());
        if let Err(e) = crate::domain::limits::check_task(&title, &body) {
            let span = t.title.as_ref().map_or_else(|| t.key.span(), Spanned::span);
            return Err(at(Some(span), e.to_string()));
        }
        if let Some(a) = &t.assign {
            if !names.contains(a.get_ref().as_str()) {
                return Err(at(
                    Some(a.span()),
                    format!("no agent named {:?} in the plan", a.get_ref()),
                ));
            }
            if let Some(n) = &t.needs {
                return Err(at(
                    Some(n.span()),
                    "give `assign` or `needs`, not both".into(),
                ));
            }
        }
        let needs = t
            .needs
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_default();
        if let Some(n) = &t.needs
            && !config
                .agents
                .iter()
                .any(|a| needs.iter().all(|c| a.capabilities.contains(c)))
        {
            return Err(at(
                Some(n.span()),
                format!("no agent in the plan has every capability of {needs:?}"),
            ));
        }
        if let Some(m) = t.max_attempts.as_ref().filter(|m| *m.get_ref() == 0) {
            return Err(at(
                Some(m.span()),
                "`max_attempts` must be at least 1".into(),
            ));
        }
        let mut after = Vec::new();
        for a in &t.after {
            let Some(&j) = index.get(a.get_ref()) else {
                return Err(at(
                    Some(a.span()),
                    format!("no task with key {:?} in the plan", a.get_ref()),
                ));
            };
            if !after.contains(a.get_ref()) {
                after.push(a.get_ref().clone());
                deps.entry(i as u64).or_default().push(j as u64);
            }
        }
        out.push(PlanTask {
            key,
            title,
            body,
            assign: t.assign.as_ref().map(|a| a.get_ref().clone()),
            needs,
            after,
            priority: t.priority,
            max_attempts: t.max_attempts.as_ref().map(|m| *m.get_ref()),
        });
    }
    for (i, t) in raw.iter().enumerate() {
        let mine = deps.get(&(i as u64)).cloned().unwrap_or_default();
        if let Some(cycle) = crate::domain::task::find_cycle(&deps, i as u64, &mine) {
            let words: Vec<&str> = cycle
                .iter()
                .map(|&j| out[j as usize].key.as_str())
                .collect();
            let next = &out[cycle[1] as usize].key;
            let span = t
                .get_ref()
                .after
                .iter()
                .find(|a| a.get_ref() == next)
                .map(Spanned::span);
            return Err(at(
                span,
                format!("the tasks' `after` make a cycle: {}", words.join(" → ")),
            ));
        }
    }
    Ok(order(out))
}

/// `tasks` reordered so that each comes after every task it waits for,
/// otherwise in file order (the plan has no cycle).
fn order(tasks: Vec<PlanTask>) -> Vec<PlanTask> {
    let mut placed: HashSet<String> = HashSet::new();
    let mut left = tasks;
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let i = left
            .iter()
            .position(|t| t.after.iter().all(|a| placed.contains(a)))
            .unwrap_or(0);
        let t = left.remove(i);
        placed.insert(t.key.clone());
        out.push(t);
    }
    out
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
