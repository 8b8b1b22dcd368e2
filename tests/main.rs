//! Integration tests: one binary, modules by layer (ARCHITECTURE.md §9).

mod support;

mod architecture;
mod dashboard;
mod e2e_agents;
mod e2e_approvals;
mod e2e_attention;
mod e2e_claude;
mod e2e_core;
mod e2e_dashboard;
mod e2e_demo;
mod e2e_doctor;
mod e2e_hardening;
mod e2e_headless;
mod e2e_http_limits;
mod e2e_inbox;
mod e2e_lifecycle;
mod e2e_mcp;
mod e2e_messages;
mod e2e_metrics;
mod e2e_openapi;
mod e2e_resize;
mod e2e_routes;
mod e2e_run;
mod e2e_sse;
mod e2e_storm;
mod e2e_tasks;
mod e2e_team;
mod e2e_wedge;
mod fidelity;
mod hostile;
mod prop_api;
mod snapshots;
