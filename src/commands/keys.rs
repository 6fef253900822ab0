//! `launchpad keys …`: the identity and the data key.

use super::{CommandError, explain_store_error};
use crate::admin::{self, Reached, Request};
use crate::config::{Overrides, Settings, display_path};
use crate::crypto::{Identity, Recipient};
use crate::domain::{now_millis, rfc3339};
use crate::store::{self, Store, classification};
use crate::telemetry::{self, Sink};
use anyhow::{Context, anyhow};
use serde_json::Value;

fn settings(overrides: &Overrides) -> Result<Settings, CommandError> {
    let settings = Settings::load(overrides)?;
    telemetry::init(&settings.log, Sink::Stderr);
    Ok(settings)
}

pub fn init(overrides: &Overrides) -> Result<(), CommandError> {
    let overrides = Overrides {
        identity_not_needed: true,
        ..overrides.clone()
    };
    let settings = settings(&overrides)?;
    let path = &settings.identity.path;
    let identity = Identity::create(path).map_err(|e| anyhow!("{e}"))?;
    println!(
        "wrote a new age identity to {} (mode 0600)",
        display_path(path)
    );
    println!("public key (recipient): {}", identity.recipient());
    println!(
        "keep a copy somewhere safe and offline: without it the personal data in a store wrapped to it cannot be read"
    );
    Ok(())
}

pub fn status(overrides: &Overrides) -> Result<(), CommandError> {
    let overrides = Overrides {
        identity_not_needed: true,
        ..overrides.clone()
    };
    let settings = settings(&overrides)?;
    let info = match admin::call(&settings.data_dir, &Request::KeysStatus)
        .context("asking the running server")?
    {
        Reached::Answered(answer) => answer.map_err(|e| anyhow!("the server says: {e}"))?,
        Reached::NoServer => read_offline(&settings)?,
    };
    let created = info["created_at"].as_i64().unwrap_or_default();
    let age_days = (now_millis() - created) / 86_400_000;
    let policy = (settings.ops.key_rotation.as_secs() / 86_400) as i64;
    println!(
        "data key:    {}",
        info["fingerprint"].as_str().unwrap_or("?")
    );
    println!(
        "created:     {} ({age_days} days ago)",
        rfc3339::format(created)
    );
    if age_days >= policy {
        println!(
            "rotation:    DUE (policy {policy} days, keys.rotation_days); run `launchpad keys rotate`"
        );
    } else {
        println!(
            "rotation:    due in {} days (policy {policy} days, keys.rotation_days)",
            policy - age_days
        );
    }
    let recipients: Vec<&str> = info["recipients"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    println!("wrapped for: {}", recipients.join(", "));
    println!(
        "identity:    {} ({:?})",
        display_path(&settings.identity.path),
        settings.identity.origin
    );
    let summary: Vec<String> = classification::summary()
        .iter()
        .map(|(class, n)| format!("{n} {class}"))
        .collect();
    println!("fields:      {}", summary.join(", "));
    for field in classification::FIELDS {
        println!(
            "  {:<11} {:<22} {:<12} {}",
            field.table,
            field.field,
            field.class.to_string(),
            field.protection()
        );
    }
    Ok(())
}

/// Reads the key facts from a store no server holds, without writing.
fn read_offline(settings: &Settings) -> Result<Value, CommandError> {
    let location = super::store_location(settings)?;
    if !location.exists().map_err(explain_store_error)? {
        return Err(anyhow!(
            "no store in {}; start `launchpad serve` once to create it",
            location.shown()
        )
        .into());
    }
    let info = store::read_key_info(&location).map_err(explain_store_error)?;
    Ok(serde_json::to_value(info).expect("key info serializes"))
}

pub fn rotate(overrides: &Overrides) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let rotation = match admin::call(&settings.data_dir, &Request::KeysRotate)
        .context("asking the running server")?
    {
        Reached::Answered(answer) => answer.map_err(|e| anyhow!("the server refused: {e}"))?,
        Reached::NoServer => with_existing_store(&settings, |store| async move {
            store
                .rotate_key()
                .await
                .map(|r| serde_json::to_value(r).expect("rotation serializes"))
        })?,
    };
    println!(
        "rotated the data key: {} -> {}",
        rotation["previous"].as_str().unwrap_or("?"),
        rotation["current"].as_str().unwrap_or("?")
    );
    println!(
        "re-sealed {} field(s) in one transaction",
        rotation["resealed_fields"]
    );
    Ok(())
}

pub fn rewrap(overrides: &Overrides, to: &str) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let recipient = Recipient::parse(to)
        .map_err(|e| anyhow!("{e}; pass the public key printed by `launchpad keys init`"))?;
    let request = Request::KeysRewrap {
        to: recipient.to_string(),
    };
    let info =
        match admin::call(&settings.data_dir, &request).context("asking the running server")? {
            Reached::Answered(answer) => answer.map_err(|e| anyhow!("the server refused: {e}"))?,
            Reached::NoServer => with_existing_store(&settings, |store| async move {
                store
                    .rewrap_key(Recipient::parse(to).expect("parsed above"))
                    .await
                    .map(|i| serde_json::to_value(i).expect("key info serializes"))
            })?,
        };
    println!(
        "the data key {} is now wrapped for {}",
        info["fingerprint"].as_str().unwrap_or("?"),
        recipient
    );
    println!(
        "next: point identity_file (LAUNCHPAD_IDENTITY_FILE) at that identity before the next start; the old identity no longer unwraps the key"
    );
    Ok(())
}

/// The offline path of rotate and rewrap: only for a store that exists.
fn with_existing_store<F, Fut>(settings: &Settings, work: F) -> Result<Value, CommandError>
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = Result<Value, store::StoreError>>,
{
    let location = super::store_location(settings)?;
    if !location.exists().map_err(explain_store_error)? {
        return Err(anyhow!("no store in {}; nothing to do", location.shown()).into());
    }
    super::with_store(settings, work)
}
