//! `launchpad report` and `launchpad gate`.
//!
//! The report goes through the running server's admin socket when there is
//! one and opens the store itself otherwise; either way the scorecard
//! service renders it. The gate asks a LaunchPad over HTTP, as a pipeline
//! would, with an API token.

use super::CommandError;
use crate::admin::{self, Reached, Request};
use crate::cli::{GateArgs, ReportArgs};
use crate::config::{Overrides, Settings};
use crate::domain::{Level, ProjectId};
use crate::report::Format;
use crate::telemetry::{self, Sink};
use anyhow::{Context, anyhow};

fn settings(overrides: &Overrides) -> Result<Settings, CommandError> {
    let settings = Settings::load(overrides)?;
    telemetry::init(&settings.log, Sink::Stderr);
    Ok(settings)
}

fn project_id(raw: &str) -> Result<ProjectId, CommandError> {
    ProjectId::parse(raw.trim()).map_err(|_| {
        CommandError::Usage(format!(
            "--project {raw:?} is not a project id; ids are UUIDs such as 0190f5a2-7b3c-7def-8abc-0123456789ab (GET /api/v1/projects lists them)"
        ))
    })
}

pub fn report(overrides: &Overrides, args: &ReportArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let project = project_id(&args.project)?;
    let format = Format::parse(&args.format).expect("clap checked the format");
    let request = Request::Report {
        project: project.to_string(),
        format: args.format.clone(),
        include_personal: args.include_personal,
    };
    let text: String = match admin::call(&settings.data_dir, &request)
        .context("asking the running server")?
    {
        Reached::Answered(answer) => serde_json::from_value(answer.map_err(|e| anyhow!("{e}"))?)
            .context("reading the server's answer")?,
        Reached::NoServer => super::with_store(&settings, |store| async move {
            crate::scorecards::rendered(&store, project, format, args.include_personal).await
        })?,
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("report written: {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Passes when the project has reached the level; otherwise prints every
/// failing rule up to it, one per line, and fails.
pub fn gate(args: &GateArgs) -> Result<(), CommandError> {
    let wanted = Level::parse(&args.level).expect("clap checked the level");
    let project = project_id(&args.project)?;
    let token = std::env::var("LAUNCHPAD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            CommandError::Usage(
                "set LAUNCHPAD_TOKEN to an API token (launchpad token create, or the UI's settings; a viewer's is enough)"
                    .into(),
            )
        })?;
    let card = fetch_scorecard(&args.url, project, token.trim())?;
    let reached = card["level"]
        .as_str()
        .and_then(|l| Level::parse(l).ok())
        .ok_or_else(|| anyhow!("the server's scorecard names no level: {card}"))?;
    if reached >= wanted {
        println!(
            "project {project} is {}: the {} gate passes",
            reached.as_str(),
            wanted.as_str()
        );
        return Ok(());
    }
    println!(
        "project {project} is {}; {} needs:",
        reached.as_str(),
        wanted.as_str()
    );
    for rule in card["rules"].as_array().into_iter().flatten() {
        let level = rule["level"].as_str().and_then(|l| Level::parse(l).ok());
        if rule["ok"] == false && level.is_some_and(|l| l <= wanted) {
            println!("{}", rule["detail"].as_str().unwrap_or_default());
        }
    }
    Err(anyhow!("the {} gate fails", wanted.as_str()).into())
}

/// `GET {url}/api/v1/projects/{project}/scorecard` with the token.
fn fetch_scorecard(
    url: &str,
    project: ProjectId,
    token: &str,
) -> Result<serde_json::Value, CommandError> {
    // One process-wide TLS provider; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(CommandError::Usage(format!(
            "--url {url:?} must start with http:// or https://"
        )));
    }
    let endpoint = format!("{base}/api/v1/projects/{project}/scorecard");
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("launchpad-gate/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(&endpoint)
        .bearer_auth(token)
        .send()
        .with_context(|| format!("asking {endpoint}"))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .with_context(|| format!("reading the answer of {endpoint}"))?;
    if !status.is_success() {
        let detail = body["detail"].as_str().unwrap_or("no detail");
        let hint = match status.as_u16() {
            401 => "; check LAUNCHPAD_TOKEN",
            404 => "; check --project",
            _ => "",
        };
        return Err(anyhow!("{endpoint} answered {status}: {detail}{hint}").into());
    }
    Ok(body)
}
