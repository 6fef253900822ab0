//! Integration tests: the real application on port 0 with a temporary data
//! folder, driven over HTTP; CLI tests run the built binary.

mod account_rules;
mod auth;
mod backup;
mod backup_hostile;
mod backup_sealed;
mod bad_input;
mod checklists;
mod cli;
mod diagnose;
mod docs;
mod encryption;
mod file_modes;
mod full_disk;
mod helpers;
mod http_basics;
mod logs;
mod methods;
mod metrics;
mod openapi;
mod persistence;
mod planning;
mod projects;
mod readiness;
mod readiness_records;
mod reports;
mod route_table;
mod scorecards;
mod service;
mod status;
mod tasks;
mod templates;
mod traces;
mod ui;
