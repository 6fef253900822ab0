//! `launchpad user add` and `launchpad token create`.
//!
//! Both go through the running server's admin socket when there is one, and
//! open the store themselves otherwise; either way the account service
//! ([`crate::accounts`]) does the work, so the rules are the API's rules.

use super::CommandError;
use crate::accounts;
use crate::admin::{self, NewToken, Reached, Request};
use crate::cli::{TokenCreateArgs, UserAddArgs};
use crate::config::{Overrides, Settings};
use crate::store::accounts::AuditContext;
use crate::telemetry::{self, Sink};
use anyhow::{Context, anyhow};
use std::io::IsTerminal;

fn settings(overrides: &Overrides) -> Result<Settings, CommandError> {
    let settings = Settings::load(overrides)?;
    telemetry::init(&settings.log, Sink::Stderr);
    Ok(settings)
}

/// The password from `LAUNCHPAD_PASSWORD`, or asked for twice on a terminal.
fn password() -> Result<String, CommandError> {
    if let Ok(password) = std::env::var("LAUNCHPAD_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "no password: set LAUNCHPAD_PASSWORD, or run on a terminal to be asked"
        )
        .into());
    }
    let first = rpassword::prompt_password("password: ").context("reading the password")?;
    let second = rpassword::prompt_password("again: ").context("reading the password")?;
    if first != second {
        return Err(anyhow!("the two passwords differ; nothing was changed").into());
    }
    Ok(first)
}

pub fn user_add(overrides: &Overrides, args: &UserAddArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let password = password()?;
    let request = Request::UserAdd {
        email: args.email.clone(),
        role: args.role.clone(),
        password: password.clone(),
    };
    match admin::call(&settings.data_dir, &request).context("asking the running server")? {
        Reached::Answered(answer) => {
            answer.map_err(|e| anyhow!("{e}"))?;
        }
        Reached::NoServer => {
            let (email, role) = (args.email.clone(), args.role.clone());
            super::with_store(&settings, |store| async move {
                accounts::add_user(&store, &email, &role, &password, AuditContext::local())
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            })?;
        }
    }
    println!(
        "added user {} (role {})",
        args.email.trim().to_lowercase(),
        args.role
    );
    Ok(())
}

pub fn token_create(overrides: &Overrides, args: &TokenCreateArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let request = Request::TokenCreate {
        email: args.email.clone(),
        name: args.name.clone(),
    };
    let token: NewToken = match admin::call(&settings.data_dir, &request)
        .context("asking the running server")?
    {
        Reached::Answered(answer) => serde_json::from_value(answer.map_err(|e| anyhow!("{e}"))?)
            .context("reading the server's answer")?,
        Reached::NoServer => {
            let (email, name) = (args.email.clone(), args.name.clone());
            super::with_store(&settings, |store| async move {
                accounts::create_token_for(&store, &email, &name, AuditContext::local())
                    .await
                    .map(NewToken::from)
                    .map_err(|e| e.to_string())
            })?
        }
    };
    eprintln!(
        "created token {} \"{}\" for {}; it is shown once, below",
        token.id, args.name, args.email
    );
    println!("{}", token.token);
    Ok(())
}
