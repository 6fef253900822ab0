#![forbid(unsafe_code)]
//! LaunchPad: a production-readiness tracker in one binary.
//!
//! The binary in `main.rs` only parses the command line and dispatches; every
//! capability lives in this library so tests drive the real application.

pub mod accounts;
pub mod admin;
pub mod backup;
pub mod cli;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod fsutil;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod passwords;
pub mod readiness;
pub mod report;
pub mod scorecards;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
