//! Accounts, roles, sessions, API tokens, the audit log, rate limits and
//! security headers, against the contract in the auth spec: users are made
//! with the CLI on the data folder before the server starts, then the real
//! server is driven over HTTP. One file per area; `support` holds what they
//! share.

mod audit;
mod config;
mod headers;
mod initial_admin;
mod limits;
mod roles;
mod sessions;
pub mod support;
mod tokens;
mod users;
