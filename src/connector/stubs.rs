//! The scripted model endpoints the runtime starts for `kind = "claude"`
//! agents with a `model_script`: one loopback server per script file,
//! started on first use and shared by the agents that name it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokio::sync::Mutex;

use crate::model_stub::{Script, StubServer, serve};

/// Running stub servers by script path.
#[derive(Default)]
pub struct StubPool {
    servers: Mutex<HashMap<PathBuf, StubServer>>,
}

impl StubPool {
    /// The base URL of the server for `script`, starting it if needed.
    /// A bad script is an `InvalidData` error naming file, line and column.
    pub async fn url_for(&self, script: &Path) -> std::io::Result<String> {
        let mut servers = self.servers.lock().await;
        if let Some(s) = servers.get(script) {
            return Ok(s.url());
        }
        let parsed = Script::load(script)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let server = serve(listener, parsed)?;
        tracing::info!("model stub for {} on {}", script.display(), server.url());
        let url = server.url();
        servers.insert(script.to_path_buf(), server);
        Ok(url)
    }
}
