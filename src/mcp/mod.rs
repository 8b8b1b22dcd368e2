//! `nox mcp --agent NAME`: the MCP server (stdio, newline-delimited JSON-RPC,
//! built on `rmcp`) that Claude Code starts for an agent, through the
//! `mcp.json` the claude connector writes. Its tools let the agent see the
//! other agents, message them, delegate tasks and complete its own; each
//! call is one request to the running instance over the control socket
//! ([`bridge`]) as `X-Nox-Agent: NAME`. Inputs and schemas are in
//! [`params`], request and answer mapping in [`ops`], the rmcp server in
//! [`server`].

pub mod bridge;
pub mod ops;
pub mod params;
pub mod server;

use std::path::PathBuf;

use rmcp::ServiceExt;

pub use bridge::Bridge;
pub use server::NoxMcp;

/// Serves MCP on stdin/stdout for `agent` until the client closes stdin;
/// requests go to the instance at `socket` (`None`: none was found, every
/// tool says so). Returns the exit code.
pub fn run(agent: &str, socket: Option<PathBuf>) -> u8 {
    if !crate::domain::agent::valid_agent_name(agent) {
        eprintln!("nox: {agent:?} is not an agent name ([a-z0-9][a-z0-9_-]{{0,31}})");
        return crate::commands::EXIT_USAGE;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nox: {e}");
            return 1;
        }
    };
    let server = NoxMcp::new(Bridge::new(agent, socket, crate::client::answer_within()));
    rt.block_on(async move {
        let running = match server.serve(rmcp::transport::stdio()).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("nox mcp: {e}");
                return 1;
            }
        };
        match running.waiting().await {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("nox mcp: {e}");
                1
            }
        }
    })
}
