//! `launchpad user add` and `launchpad token create`.
//!
//! Both go through the running server's admin socket when there is one, and
//! open the store themselves otherwise; the same functions do the work in
//! either place, so the rules cannot drift apart.

use super::CommandError;
use crate::admin::{self, Reached, Request};
use crate::cli::{TokenCreateArgs, UserAddArgs};
use crate::config::{Overrides, Settings};
use crate::domain::{Password, Role, UserEmail};
use crate::http::access::digest;
use crate::store::Store;
use crate::store::accounts::{AuditContext, TokenInfo, User};
use crate::telemetry::{self, Sink};
use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;

/// Adds a user with a checked password. Shared by the CLI and the admin socket.
pub async fn add_user(
    store: &Store,
    email: &str,
    role: &str,
    password: &str,
) -> Result<User, String> {
    let email = UserEmail::parse(email).map_err(|e| format!("the email {e}"))?;
    let role = Role::parse(role).map_err(|e| format!("the role {e}"))?;
    let password = Password::parse(password, Some(&email)).map_err(|e| e.to_string())?;
    let hash = crate::passwords::hash(&password).await;
    store
        .create_user(email, role, hash, AuditContext::local())
        .await
        .map_err(|e| e.to_string())
}

/// A new token and its secret, shown once.
#[derive(Debug, Serialize, Deserialize)]
pub struct NewToken {
    pub id: uuid::Uuid,
    pub token: String,
}

/// Creates a token for the user with `email`. Shared by the CLI and the admin socket.
pub async fn create_token(store: &Store, email: &str, name: &str) -> Result<NewToken, String> {
    let email = UserEmail::parse(email).map_err(|e| format!("the email {e}"))?;
    let (user, _) = store
        .user_by_email(&email)
        .map_err(|e| e.to_string())?
        .ok_or("no user has that email; add one with `launchpad user add`")?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err("the name must be 1–60 characters".into());
    }
    let token = crate::crypto::random_secret("lp_", 32);
    let info: TokenInfo = store
        .create_token(
            user.id,
            name.to_owned(),
            digest(&token),
            AuditContext::local(),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(NewToken { id: info.id, token })
}

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
                add_user(&store, &email, &role, &password).await.map(drop)
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
                create_token(&store, &email, &name).await
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
