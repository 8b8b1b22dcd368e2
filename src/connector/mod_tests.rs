//! Spawn requests as the connectors build them.

use super::*;
use crate::domain::{Isolation, RestartPolicy};

fn spec(root: &Path, isolation: Isolation) -> AgentSpec {
    let mut s = AgentSpec::new("w", AgentKind::Generic, "sh", root.join("sub"));
    s.env = [("TERM".to_string(), "dumb".to_string())].into();
    s.isolation = isolation;
    s.restart = RestartPolicy::Never;
    s
}

async fn prepare(spec: &AgentSpec, ws: &Workspace) -> io::Result<SpawnRequest> {
    let stubs = StubPool::default();
    let ctx = Ctx {
        ws,
        stubs: &stubs,
        nox_exe: None,
        instance: "test-instance",
    };
    for_spec(spec).prepare(spec, &ctx, (10, 40)).await
}

#[tokio::test]
async fn generic_request_env_and_worktree_cwd() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();
    std::fs::create_dir_all(root.join("sub")).expect("mkdir");
    let ws = Workspace::at(root);
    let req = prepare(&spec(root, Isolation::None), &ws)
        .await
        .expect("prepare");
    assert!(req.program.ends_with("sh"));
    assert_eq!(req.cwd, root.join("sub"));
    assert!(
        req.env.contains(&("TERM".into(), "dumb".into())),
        "the definition's env wins"
    );
    assert!(
        !req.env
            .iter()
            .any(|(k, v)| k == "TERM" && v == "xterm-256color")
    );
    assert!(
        req.env
            .contains(&("NOX_INSTANCE".into(), "test-instance".into()))
    );
    assert!(req.env.contains(&("NOX_AGENT".into(), "w".into())));
    assert!(req.env_remove.contains(&"COLORTERM".to_string()));

    let e = prepare(&spec(root, Isolation::Worktree), &ws)
        .await
        .expect_err("no repo");
    assert!(e.to_string().contains("git repository"), "{e}");
    let repo = git2::Repository::init(root).expect("init");
    std::fs::write(root.join("sub/f"), "x").expect("w");
    let mut index = repo.index().expect("index");
    index.add_path(Path::new("sub/f")).expect("add");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("n", "n@example.invalid").expect("sig");
    repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])
        .expect("commit");
    let req = prepare(&spec(root, Isolation::Worktree), &ws)
        .await
        .expect("worktree");
    assert_eq!(req.cwd, ws.dir().join("worktrees/w/sub"));
}
