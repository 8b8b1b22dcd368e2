//! The same-run baselines of `benches/http.rs`: bare axum servers in the
//! bench process, each on its own two-worker tokio runtime (as nox's
//! `commands::runtime()`), so they compete with the load generator for the
//! machine's cores as nox does. `axum::serve` with its defaults (HTTP/1.1,
//! keep-alive unless the client sends `Connection: close`), `TCP_NODELAY` on
//! accepted connections (as nox sets on its TCP listener). For where
//! nox's time goes, the same hello world also behind nox's own serving
//! layers (`nox::server::listen::serve`, the TCP guard, the JSON-error
//! middleware), in this process; and the hello world in a process of its
//! own ([`hello_process`]), as nox runs.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::sync::watch;

/// A bare server: its runtime (dropping it stops the server) and its
/// TCP address.
pub struct Bare {
    /// The server's runtime.
    pub rt: Option<tokio::runtime::Runtime>,
    /// What stops a `listen::serve` server.
    pub stop: Option<watch::Sender<bool>>,
    /// Where it listens on TCP.
    pub addr: SocketAddr,
}

impl Drop for Bare {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// A two-worker runtime, as nox's.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bare-axum")
        .enable_all()
        .build()
        .expect("baseline runtime")
}

/// Serves `app` with `axum::serve` on a new loopback port; its address.
pub fn serve_tcp(rt: &tokio::runtime::Runtime, app: Router) -> SocketAddr {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind the baseline");
    let addr = listener.local_addr().expect("baseline address");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    rt.spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Hello world: `GET /health` answers `Hello, World!`.
pub fn hello() -> Bare {
    let rt = runtime();
    let app = Router::new().route("/health", get(|| async { "Hello, World!" }));
    let addr = serve_tcp(&rt, app);
    Bare {
        rt: Some(rt),
        stop: None,
        addr,
    }
}

/// The token the guarded hello world wants.
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// Hello world (`GET /api/hello`) served by nox's connection layer
/// (`listen::serve`: the connection cap, the head deadline, one request
/// per connection); with `guarded`, also behind nox's TCP guard (Host and
/// bearer token [`TOKEN`]) and its JSON-error middleware, as nox layers
/// its router. nox's body-limit middleware is private and left out.
pub fn nox_layers(guarded: bool) -> Bare {
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut app = Router::new().route("/api/hello", get(|| async { "Hello, World!" }));
    if guarded {
        app = app
            .layer(axum::middleware::from_fn(nox::server::error::json_errors))
            .layer(axum::middleware::from_fn_with_state(
                nox::server::auth::Guard::new(TOKEN, addr),
                nox::server::auth::check,
            ));
    }
    let (stop, rx) = watch::channel(false);
    rt.spawn(nox::server::listen::serve(listener, app, rx));
    Bare {
        rt: Some(rt),
        stop: Some(stop),
        addr,
    }
}

/// Makes the bench binary serve [`hello`] alone, in a process of its own
/// ([`hello_process`]).
pub const SERVE_ENV: &str = "NOX_BENCH_BARE_SERVE";

/// The child's side of [`hello_process`]: serves [`hello`], prints its
/// address, and stops when stdin closes.
pub fn serve_child() {
    let bare = hello();
    println!("{}", bare.addr);
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(bare);
}

/// [`hello`] in a process of its own, as nox is: the same two-worker
/// runtime, but its wake-ups cross processes like nox's do.
pub struct Process {
    child: std::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Process {
    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts [`hello`] in a child process (this bench binary again).
pub fn hello_process() -> Process {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().expect("the bench binary"))
        .env(SERVE_ENV, "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the baseline process");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the baseline's address");
    let addr = line.trim().parse().expect("an address");
    Process { child, addr }
}
