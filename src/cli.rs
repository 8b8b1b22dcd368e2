//! Command-line definitions (clap derive), SPEC §3.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// nox: a terminal workstation for running a team of coding agents.
#[derive(Debug, Parser)]
#[command(name = "nox", version, about, long_about = None)]
pub struct Cli {
    /// Use the workspace at DIR instead of searching upwards from the current directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    #[allow(clippy::doc_markdown)]
    /// Theme name: default, light, solarized, or a file in $XDG_CONFIG_HOME/nox/themes/.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    #[allow(clippy::doc_markdown)]
    /// Keymap name: default, vim, or a file in $XDG_CONFIG_HOME/nox/keymaps/.
    #[arg(long, global = true, value_name = "NAME")]
    pub keymap: Option<String>,
    /// Log at debug level.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Run the core with no screen: agents, tasks and the API (on nox.sock, and on --listen).
    #[arg(long)]
    pub headless: bool,
    /// With --headless: also serve the API on this TCP address (a bare port means loopback; :0 picks one), behind the bearer token in .nox/api-token.
    #[arg(long, value_name = "ADDR", requires = "headless")]
    pub listen: Option<String>,
    /// With --headless: the agents' PTY size (default 120x40).
    #[arg(long, value_name = "COLSxROWS", requires = "headless")]
    pub size: Option<String>,
    /// What to do; without a command, open the dashboard.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A self-contained tour: three agents in a temporary workspace delegate to each other (no API key needed).
    Demo,
    /// Create .nox/ with a commented nox.toml.
    Init {
        /// Directory to initialise (default: the current directory).
        dir: Option<PathBuf>,
    },
    /// Manage agents (through the running instance, or nox.toml when none runs).
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Print the event log (agent.status, task.*, hook…), oldest first.
    Events {
        /// Only events after this id.
        #[arg(long, value_name = "ID", default_value_t = 0)]
        since: u64,
        /// Keep printing new events as they happen (needs a running instance).
        #[arg(long)]
        follow: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Manage tasks (through the running instance, or the store when none runs).
    #[command(subcommand)]
    Task(TaskCommand),
    /// Send a message from the user to an agent (delivered when its turn ends, or at once when idle).
    Send {
        /// The receiving agent.
        agent: String,
        /// The message.
        text: String,
    },
    /// Run a plan of agents and tasks with no screen; exit 0 when every task is done (reports: --report, --junit).
    Run(crate::commands::run::RunArgs),
    /// Called by Claude Code hooks with the hook JSON on stdin (SPEC §7).
    Hook {
        /// The hook event (SessionStart, UserPromptSubmit, PreToolUse, …).
        event: String,
        /// The agent the hook belongs to.
        #[arg(long)]
        agent: String,
    },
    /// Serve MCP on stdio for an agent: its tools reach the running instance (Claude Code starts it).
    Mcp {
        /// The agent the tools act for.
        #[arg(long)]
        agent: String,
    },
    /// Check the terminal, git, the agents' programs, the store, the socket and the token file.
    Doctor {
        /// Print a JSON array of {check, status, detail, fix}.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script: nox completions bash > ~/.local/share/bash-completion/completions/nox
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Serve a model script as a scripted Anthropic Messages endpoint on loopback.
    #[command(name = "model-stub", hide = true)]
    ModelStub {
        /// The script (TOML).
        script: PathBuf,
        /// Port (0 picks a free one; the URL is printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

/// `nox agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Add an agent: nox agent add NAME [--kind K] [--cap C]... -- COMMAND [ARGS...]
    Add(AgentAdd),
    /// List the workspace's agents with their live status.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an agent (stops it when an instance runs).
    Rm {
        /// Agent name.
        name: String,
    },
    /// Start a stopped, exited, crashed or failed agent.
    Start {
        /// Agent name.
        name: String,
    },
    /// Stop an agent (SIGTERM, SIGKILL after 5 s).
    Stop {
        /// Agent name.
        name: String,
    },
    /// Restart an agent.
    Restart {
        /// Agent name.
        name: String,
    },
    /// Why an agent has its status: the evidence, its time, a pending approval or delivery.
    Explain {
        /// Agent name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `nox agent add`.
#[derive(Debug, Args)]
pub struct AgentAdd {
    /// Agent name: [a-z0-9][a-z0-9_-]{0,31}.
    pub name: String,
    /// claude or generic.
    #[arg(long, default_value = "generic")]
    pub kind: String,
    /// A capability, for task routing (repeatable).
    #[arg(long = "cap", value_name = "C")]
    pub caps: Vec<String>,
    /// Isolation: worktree.
    #[arg(long, value_name = "MODE")]
    pub isolation: Option<String>,
    /// Restart policy: never, on-failure, always.
    #[arg(long, value_name = "R")]
    pub restart: Option<String>,
    /// The program and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `nox task …`.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Add a task.
    Add(TaskAdd),
    /// List tasks.
    List {
        /// Only tasks of this status (blocked, queued, assigned, running, done, failed, cancelled).
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a task, its result and its events.
    Show {
        /// Task id.
        id: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a task.
    Cancel {
        /// Task id.
        id: u64,
    },
}

/// Arguments of `nox task add`.
#[derive(Debug, Args)]
pub struct TaskAdd {
    /// One-line title.
    pub title: String,
    /// The prompt delivered to the agent (default: the title).
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Read the prompt from FILE.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Priority (higher first).
    #[arg(long, default_value_t = 0)]
    pub priority: i32,
    /// A capability the agent needs (repeatable).
    #[arg(long, value_name = "CAP")]
    pub needs: Vec<String>,
    /// A task that must be done first (repeatable).
    #[arg(long, value_name = "ID")]
    pub after: Vec<u64>,
    /// Deliver to this agent.
    #[arg(long, value_name = "AGENT")]
    pub assign: Option<String>,
    /// Idempotency key (default: a new one). Repeating a request with the
    /// key it printed returns that task instead of adding another.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
}
