//! `plasma-ops serve`: the GitHub App service. It orchestrates — ingress, store, GitHub, policy —
//! and holds no rule of its own.

pub mod adr;
pub mod app;
pub mod board;
pub mod config;
pub mod dashboard;
pub mod deployments;
pub mod http_server;
pub mod incident_check;
pub mod incidents;
pub mod ingress;
pub mod keys;
pub mod logging;
pub mod mcp;
pub mod metrics;
pub mod notifier;
pub mod ops_metrics;
pub mod reconcile;
pub mod repo_config;
pub mod repo_labels;
pub mod retention;
pub mod scheduler;
pub mod shared_cache;
pub mod telemetry;
pub mod threads;
pub mod weekly_report;
pub mod worker;

pub use app::{App, Running, start, system_clock};
pub use config::{LogFormat, Secret, ServiceConfig};
