//! A scripted endpoint of the Anthropic Messages API (SPEC §8): `POST
//! /v1/messages` answered from a script of turns, streamed as SSE like the
//! real API (or plain JSON when `stream` is false), so the real Claude Code
//! CLI runs offline with no key. Stateless per request: the turn is read
//! from the conversation each request carries (see [`script::position`]),
//! so resumed sessions continue the script.

pub mod script;
pub mod server;
pub mod sse;

pub use script::{Script, Step, Turn};
pub use server::{StubServer, serve};
