//! Tests of plan parsing: located errors, defaults, dependency order.

use super::*;
use crate::commands::run::as_config::without_tasks;

fn parse_at(src: &str) -> Result<Plan, ConfigError> {
    parse(Path::new("/p/plan.toml"), src)
}

const AGENTS: &str = "[[agent]]\nname = \"a\"\ncommand = \"sh\"\ncapabilities = [\"rust\"]\n";

#[test]
fn tasks_parse_with_defaults_in_dependency_order() {
    let p = parse_at(&format!(
        "{AGENTS}\n[[task]]\nkey = \"second\"\nafter = [\"first\"]\npriority = 2\n\n[[task]]\nkey = \"first\"\ntitle = \"The first\"\nneeds = [\"rust\"]\n"
    ))
    .expect("valid");
    let keys: Vec<&str> = p.tasks.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["first", "second"]);
    assert_eq!(p.tasks[0].title, "The first");
    assert_eq!(p.tasks[0].body, "The first");
    assert_eq!(p.tasks[1].title, "second");
    assert_eq!(p.tasks[1].priority, 2);
    assert_eq!(p.config.agents[0].name, "a");
    assert!(p.config_text.contains("name = \"a\""), "{}", p.config_text);
    assert!(!p.config_text.contains("task"), "{}", p.config_text);
}

fn err(src: &str) -> ConfigError {
    parse_at(src).expect_err("must fail")
}

#[test]
fn task_errors_are_located() {
    let e = err(&format!("{AGENTS}[[task]]\nkey = \"x\"\ncolour = 1\n"));
    assert_eq!(e.line, 7, "{e}");
    assert!(e.message.contains("colour"), "{e}");
    let e = err(&format!(
        "{AGENTS}[[task]]\nkey = \"x\"\nafter = [\"nope\"]\n"
    ));
    assert_eq!((e.line, e.col), (7, 10), "{e}");
    assert!(e.message.contains("\"nope\""), "{e}");
    let e = err(&format!("{AGENTS}[[task]]\nkey = \"x\"\nassign = \"b\"\n"));
    assert_eq!((e.line, e.col), (7, 10), "{e}");
    let e = err(&format!(
        "{AGENTS}[[task]]\nkey = \"x\"\n[[task]]\nkey = \"x\"\n"
    ));
    assert_eq!(e.line, 8, "{e}");
    assert!(e.message.contains("duplicate"), "{e}");
    let e = err(&format!(
        "{AGENTS}[[task]]\nkey = \"x\"\nneeds = [\"go\"]\n"
    ));
    assert_eq!(e.line, 7, "{e}");
    let e = err(&format!("{AGENTS}[[task]]\ntitle = \"no key\"\n"));
    assert!(e.message.contains("key"), "{e}");
}

#[test]
fn cycles_are_located_and_named() {
    let e = err(&format!(
        "{AGENTS}[[task]]\nkey = \"a\"\nafter = [\"b\"]\n[[task]]\nkey = \"b\"\nafter = [\"a\"]\n"
    ));
    assert_eq!((e.line, e.col), (7, 10), "{e}");
    assert!(e.message.contains("a → b → a"), "{e}");
    let e = err(&format!("{AGENTS}[[task]]\nkey = \"a\"\nafter = [\"a\"]\n"));
    assert!(e.message.contains("a → a"), "{e}");
}

#[test]
fn agent_errors_keep_the_plan_positions() {
    let src = "[[task]]\nkey = \"x\"\nafter = [\n  \"y\",\n]\n[[task]]\nkey = \"y\"\n\n[[agent]]\nname = \"Bad\"\ncommand = \"sh\"\n";
    let e = err(src);
    assert_eq!((e.line, e.col), (10, 8), "{e}");
    assert!(e.message.contains("invalid agent name"), "{e}");
    assert_eq!(e.source_line, "name = \"Bad\"");
    let e = err("[[task]]\nkey = \"x\"\n[[agent]]\nname = \"a\"\nkind = \"robot\"\n");
    assert_eq!(e.line, 5, "{e}");
    let e = err("[[task]]\nkey = \"x\"\n");
    assert!(e.message.contains("no [[agent]]"), "{e}");
    let e = err(AGENTS);
    assert!(e.message.contains("no [[task]]"), "{e}");
    let e = err(&format!(
        "{AGENTS}[ui]\ntheme = \"x\"\n[[task]]\nkey = \"x\"\n"
    ));
    assert!(e.message.contains("ui"), "{e}");
}

#[test]
fn blanking_keeps_positions_and_drops_tasks() {
    let src = "[[task]]\nkey = \"x\" # c\nbody = \"\"\"\nmulti\n\"\"\"\n[[agent]]\nname = \"a\"\n";
    let out = without_tasks(src);
    assert_eq!(out.len(), src.len());
    assert_eq!(out.lines().count(), src.lines().count());
    assert!(out.ends_with("[[agent]]\nname = \"a\"\n"), "{out:?}");
    assert!(!out.contains("task") && !out.contains("multi"), "{out:?}");
    let inline = "task = [{ key = \"x\" }]\n[[agent]]\nname = \"a\"\n";
    assert!(!without_tasks(inline).contains("task"));
}

#[test]
fn model_scripts_are_made_absolute_against_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("s.toml"), "").expect("script");
    let path = dir.path().join("plan.toml");
    let src = "[[agent]]\nname = \"c\"\nkind = \"claude\"\nmodel_script = \"s.toml\"\n[[task]]\nkey = \"x\"\n";
    let p = parse(&path, src).expect("valid");
    let want = dir.path().join("s.toml").display().to_string();
    assert!(p.config_text.contains(&want), "{}", p.config_text);
    let e = parse(&path, &src.replace("s.toml", "missing.toml")).expect_err("missing script");
    assert_eq!(e.line, 4, "{e}");
}
