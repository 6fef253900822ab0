//! `launchpad store copy`: moves a store between redb and PostgreSQL, in
//! either direction, and proves the copy by reading it back.

use super::{CommandError, explain_store_error};
use crate::admin;
use crate::cli::StoreCopyArgs;
use crate::config::{Overrides, Settings};
use crate::fsutil::display_path;
use crate::store::engine::{Db, schema};
use crate::store::postgres::{self, PostgresOptions, PostgresUrl};
use crate::store::{self, Location};
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One end of a copy, as the operator named it.
enum End {
    Folder(PathBuf),
    Database(Box<PostgresOptions>),
}

/// A `postgres://` URL, else a data folder (or the store file in it).
fn parse_end(flag: &str, text: &str, settings: &Settings) -> Result<End, CommandError> {
    let trimmed = text.trim();
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        let url = PostgresUrl::parse(trimmed)
            .map_err(|e| anyhow!("{flag}: {e}; give a postgres:// URL or a data folder"))?;
        // The timeout and the CA of the configuration, for any URL.
        return Ok(End::Database(Box::new(PostgresOptions {
            url,
            pool_size: 4,
            connect_timeout: settings.store.postgres_connect_timeout,
            ca_file: settings.store.postgres_ca_file.clone(),
        })));
    }
    if trimmed.is_empty() {
        return Err(anyhow!("{flag} is empty; give a data folder or a postgres:// URL").into());
    }
    let path = Path::new(trimmed);
    let folder = if path.file_name().is_some_and(|n| n == store::FILE_NAME) {
        path.parent().unwrap_or(Path::new(".")).to_owned()
    } else {
        path.to_owned()
    };
    Ok(End::Folder(folder))
}

impl End {
    fn location(&self) -> Result<Location, CommandError> {
        Ok(match self {
            Self::Folder(dir) => Location::Folder(dir.clone()),
            Self::Database(options) => {
                let pool = postgres::pool(options).map_err(anyhow::Error::from)?;
                Location::postgres(pool).map_err(explain_store_error)?
            }
        })
    }

    /// A store folder in use by a server on this machine is refused: its
    /// file is locked, and a copy must see one quiet state.
    fn refuse_if_served(&self, flag: &str) -> Result<(), CommandError> {
        if let Self::Folder(dir) = self
            && admin::is_served(dir)
        {
            return Err(anyhow!(
                "{flag}: a server is running on {}; stop it first (systemctl stop launchpad)",
                display_path(dir)
            )
            .into());
        }
        Ok(())
    }
}

/// Opens the source, which must hold a store.
fn open_source(location: &Location) -> Result<Db, CommandError> {
    if !location.exists().map_err(explain_store_error)? {
        return Err(anyhow!("--from: no store in {}", location.shown()).into());
    }
    location.open_read_only().map_err(explain_store_error)
}

/// Opens the destination, creating an empty store file or the tables of
/// an empty database.
fn open_destination(location: &Location, cache_bytes: usize) -> Result<Db, CommandError> {
    match location {
        Location::Folder(dir) => {
            crate::fsutil::create_private_dir(dir)
                .map_err(|e| anyhow!("--to: creating {}: {e}", display_path(dir)))?;
            let path = dir.join(store::FILE_NAME);
            let db =
                store::create_private_store(&path, cache_bytes).map_err(explain_store_error)?;
            Ok(Db::Redb(Arc::new(db)))
        }
        Location::Postgres(_) => {
            let db = location.open_read_only().map_err(explain_store_error)?;
            schema::migrate(db.postgres().expect("a PostgreSQL database"))
                .map_err(explain_store_error)?;
            Ok(db)
        }
    }
}

pub fn copy(overrides: &Overrides, args: &StoreCopyArgs) -> Result<(), CommandError> {
    let settings = Settings::load(overrides)?;
    let from = parse_end("--from", &args.from, &settings)?;
    let to = parse_end("--to", &args.to, &settings)?;
    from.refuse_if_served("--from")?;
    to.refuse_if_served("--to")?;
    let (from, to) = (from.location()?, to.location()?);
    if from.shown() == to.shown() {
        return Err(anyhow!("--from and --to name the same store ({})", from.shown()).into());
    }
    let cache = settings.store.cache_size_mb << 20;
    let source = open_source(&from)?;
    let destination = open_destination(&to, cache)?;
    let report = crate::backup::copy(&source, &destination, args.force)
        .map_err(|e| anyhow!("copy refused: {e}"))?;
    let counts: Vec<String> = report
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    println!("copied {} -> {}", from.shown(), to.shown());
    println!("rows:     {}", counts.join(", "));
    println!(
        "sha256:   {} (read back from the destination and compared)",
        report.checksum
    );
    println!("sessions are not copied: everyone signs in again on the new store");
    Ok(())
}
