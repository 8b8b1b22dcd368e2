//! `nox --headless [--listen ADDR] [--size COLSxROWS]` (SPEC §3, §6): the
//! core with no screen. Agents' PTYs get a fixed size (120×40 unless
//! `--size`). The API is served on `nox.sock` always and, with `--listen`,
//! on a TCP address (a bare port means loopback) behind the bearer token of
//! `.nox/api-token`. The first stdout line is `listening on http://ADDR`
//! (the bound address, so a script learns the port of `:0`). SIGTERM or
//! SIGINT stops the agents gracefully (sessions resume next start), removes
//! the socket and exits 0. A second instance of the workspace exits 3.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{EXIT_USAGE, find_workspace, load};
use crate::cli::Cli;
use crate::config::Workspace;
use crate::config::workspace::default_agent_toml;
use crate::core::{Core, CoreOptions};
use crate::logging::{self, LogRing};

/// The PTY size of agents without `--size`: (cols, rows).
pub const DEFAULT_SIZE: (u16, u16) = (120, 40);

/// Parses `COLSxROWS` (each 2 to 1000).
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("{s:?} is not a size: expected COLSxROWS, e.g. 120x40");
    let (c, r) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let c: u16 = c.trim().parse().map_err(|_| bad())?;
    let r: u16 = r.trim().parse().map_err(|_| bad())?;
    if !(2..=1000).contains(&c) || !(2..=1000).contains(&r) {
        return Err(format!("{s:?}: columns and rows must be 2 to 1000"));
    }
    Ok((c, r))
}

/// The address `--listen` names: a bare port is loopback (`127.0.0.1`).
pub fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(port) = s.trim_start_matches(':').parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.to_socket_addrs()
        .map_err(|e| format!("--listen {s:?}: {e} (expected PORT, HOST:PORT or IP:PORT)"))?
        .next()
        .ok_or_else(|| format!("--listen {s:?} names no address"))
}

/// Runs headless; returns the exit code.
pub fn run(cli: &Cli) -> u8 {
    let size = match cli.size.as_deref().map(parse_size).transpose() {
        Ok(s) => s.unwrap_or(DEFAULT_SIZE),
        Err(e) => {
            eprintln!("nox: --size {e}");
            return EXIT_USAGE;
        }
    };
    let addr = match cli.listen.as_deref().map(listen_addr).transpose() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("nox: {e}");
            return EXIT_USAGE;
        }
    };
    let ws = match find_workspace(cli) {
        Some(ws) if ws.config_path().is_file() => ws,
        found => {
            let ws = found.unwrap_or_else(|| Workspace::at(super::cwd()));
            if let Err(e) = ws.init(&default_agent_toml()) {
                eprintln!("nox: cannot create {}: {e}", ws.dir().display());
                return EXIT_USAGE;
            }
            ws
        }
    };
    let cfg = match load(&ws) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let wake = Arc::new(Notify::new());
    let _guard = logging::init(&ws.logs_dir(), LogRing::new(Arc::clone(&wake)), cli.verbose);
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let lease = crate::core::lease_of(&cfg);
    tracing::info!(
        "nox {} headless in {}",
        env!("CARGO_PKG_VERSION"),
        ws.root.display()
    );
    let code = rt.block_on(async move {
        // Handlers first: a signal right after the first line (a script
        // that read it) must stop nox gracefully, not kill it.
        let mut signals = match super::stop_signals::StopSignals::new() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("nox: cannot install the signal handlers: {e}");
                return 1;
            }
        };
        let token_path = ws.dir().join("api-token");
        let socket = ws.dir().join("nox.sock");
        let opts = CoreOptions {
            workspace: ws,
            config: cfg,
            scrollback: crate::config::parse::DEFAULT_SCROLLBACK,
            size: (size.1, size.0),
            wake,
            nox_exe: std::env::current_exe().ok(),
            stop_grace: Duration::from_secs(5),
            lease,
        };
        let mut core = match Core::start(opts) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("nox: {e}");
                return e.exit_code();
            }
        };
        let first_line = match addr {
            None => format!("listening on unix:{}", socket.display()),
            Some(addr) => match listen(&mut core, addr, &token_path) {
                Ok(bound) => format!("listening on http://{bound}"),
                Err(e) => {
                    eprintln!("nox: {e}");
                    core.shutdown().await;
                    return 3;
                }
            },
        };
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{first_line}").and_then(|()| out.flush());
        }
        tracing::info!("{first_line}");
        let why = signals.next().await;
        tracing::info!("{why}: stopping agents");
        core.shutdown().await;
        0
    });
    rt.shutdown_timeout(Duration::from_millis(200));
    code
}

/// Binds `addr`, makes sure of the token, and serves the API there;
/// returns the bound address.
fn listen(
    core: &mut Core,
    addr: SocketAddr,
    token_path: &std::path::Path,
) -> Result<SocketAddr, String> {
    let token = crate::server::auth::ensure_token(token_path)
        .map_err(|e| format!("cannot make the API token {}: {e}", token_path.display()))?;
    let listener = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    if !bound.ip().is_loopback() {
        let msg = format!(
            "listening on {bound}, beyond this machine: anyone who can reach it and holds the token in {} controls these agents",
            token_path.display()
        );
        tracing::warn!("{msg}");
        eprintln!("nox: warning: {msg}");
    }
    core.serve_tcp(listener, crate::server::auth::Guard::new(&token, bound))
        .map_err(|e| e.to_string())?;
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_addresses_parse() {
        assert_eq!(parse_size("100x30"), Ok((100, 30)));
        assert!(parse_size("100").is_err());
        assert!(parse_size("0x30").is_err());
        assert_eq!(
            listen_addr("8080"),
            Ok("127.0.0.1:8080".parse().expect("a"))
        );
        assert_eq!(listen_addr(":0"), Ok("127.0.0.1:0".parse().expect("a")));
        assert_eq!(
            listen_addr("0.0.0.0:9"),
            Ok("0.0.0.0:9".parse().expect("a"))
        );
        assert!(listen_addr("nowhere").is_err());
    }
}
