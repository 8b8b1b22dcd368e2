//! A plan as nox.toml text: the plan's own text with its task tables
//! blanked (positions kept, so the config parser's errors name the plan's
//! lines and columns), and the agents, policies and routing written out as
//! the run's workspace nox.toml.

use std::path::Path;

/// `src` with every `[[task]]` table (or an inline `task = [...]`) turned
/// into spaces, newlines kept: what is left is a nox.toml whose positions
/// are the plan's.
pub fn without_tasks(src: &str) -> String {
    let mut bytes = src.as_bytes().to_vec();
    let Ok(doc) = toml::de::DeTable::parse(src) else {
        return src.to_string();
    };
    let mut blank = |r: std::ops::Range<usize>| {
        for b in &mut bytes[r.start.min(src.len())..r.end.min(src.len())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    for (k, v) in doc.get_ref() {
        if k.get_ref() != "task" {
            continue;
        }
        let toml::de::DeValue::Array(items) = v.get_ref() else {
            blank(k.span().start..v.span().end);
            continue;
        };
        let headers = items
            .iter()
            .all(|t| src[t.span().start.min(src.len())..].starts_with("[["));
        if !headers {
            blank(k.span().start..v.span().end);
            continue;
        }
        for t in items {
            let mut end = t.span().end;
            if let toml::de::DeValue::Table(entries) = t.get_ref() {
                for (ek, ev) in entries {
                    end = end.max(ek.span().end).max(ev.span().end);
                }
            }
            blank(t.span().start..end);
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| src.to_string())
}

/// The plan's agents, policies and routing as nox.toml text, with relative
/// `model_script` paths made absolute against the plan's directory (`cwd`
/// stays relative: to the workspace root, as in any nox.toml).
pub fn config_text(
    mut agents: Vec<toml::Table>,
    policy: Vec<toml::Table>,
    routing: Option<toml::Table>,
    dir: &Path,
) -> Result<String, toml::ser::Error> {
    for a in &mut agents {
        if let Some(toml::Value::String(s)) = a.get_mut("model_script")
            && !s.is_empty()
        {
            *s = dir.join(&*s).display().to_string();
        }
    }
    let mut doc = toml::Table::new();
    if let Some(r) = routing {
        doc.insert("routing".into(), toml::Value::Table(r));
    }
    doc.insert(
        "agent".into(),
        toml::Value::Array(agents.into_iter().map(toml::Value::Table).collect()),
    );
    if !policy.is_empty() {
        doc.insert(
            "policy".into(),
            toml::Value::Array(policy.into_iter().map(toml::Value::Table).collect()),
        );
    }
    Ok(format!(
        "# The agents of a `nox run` plan.\n\n{}",
        toml::to_string(&doc)?
    ))
}
