//! `launchpad backup`, `verify`, `restore` and `journal …`.

use super::{CommandError, explain_store_error};
use crate::admin::{self, Reached, Request};
use crate::backup::{self, BackupReport};
use crate::cli::{BackupArgs, ExportArgs, ReplayArgs, RestoreArgs, VerifyArgs};
use crate::config::{Overrides, Settings, display_path};
use crate::crypto::{Identity, Recipient};
use crate::domain::rfc3339;
use crate::store::engine::Db;
use crate::store::{self, journal::Event};
use crate::telemetry::{self, Sink};
use anyhow::{Context, anyhow};
use std::io::{BufRead, IsTerminal, Write};

fn settings(overrides: &Overrides) -> Result<Settings, CommandError> {
    let settings = Settings::load(overrides)?;
    telemetry::init(&settings.log, Sink::Stderr);
    Ok(settings)
}

/// A progress bar on a terminal; plain lines at each quarter otherwise.
fn progress() -> impl FnMut(u64, u64) {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed}")
                .expect("a valid template"),
        );
        bar
    });
    let mut quarter = 0;
    move |done, total| match &bar {
        Some(bar) => {
            bar.set_length(total);
            bar.set_position(done);
            if done >= total {
                bar.finish_and_clear();
            }
        }
        None => {
            let now = (done * 4).checked_div(total).unwrap_or(4);
            if now > quarter {
                quarter = now;
                eprintln!("backup: {done}/{total} rows");
            }
        }
    }
}

pub fn backup(overrides: &Overrides, args: &BackupArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let recipient = args
        .encrypt_to
        .as_deref()
        .map(Recipient::parse)
        .transpose()
        .map_err(|e| anyhow!("{e}; pass the backup recipient's public key"))?;
    let out = std::path::absolute(&args.out).context("resolving --out")?;
    let keep = args.keep.map(|n| n as usize);
    let mut tick = progress();
    let request = Request::Backup {
        out: out.clone(),
        encrypt_to: recipient.as_ref().map(ToString::to_string),
        keep,
    };
    let report: BackupReport =
        match admin::call_with_progress(&settings.data_dir, &request, &mut tick)
            .context("asking the running server")?
        {
            Reached::Answered(answer) => {
                let value =
                    answer.map_err(|e| anyhow!("the server could not take the backup: {e}"))?;
                serde_json::from_value(value).context("reading the server's report")?
            }
            Reached::NoServer => {
                let db = super::store_location(&settings)?
                    .open_unserved(settings.store.cache_size_mb << 20)
                    .map_err(explain_store_error)?;
                let ring = unlock_offline(&db, &settings)?;
                let shared = std::sync::Mutex::new(tick);
                let report = backup::take(&db, &ring, &out, recipient.as_ref(), keep, &|d, t| {
                    (shared.lock().expect("not poisoned"))(d, t)
                })
                .map_err(|e| anyhow!("{e}"))?;
                let tx = db.begin_write().map_err(|e| anyhow!("{e}"))?;
                store::meta::write_last_backup(&tx, &report.last()).map_err(explain_store_error)?;
                tx.commit()
                    .map_err(|e| anyhow!("recording the backup: {e}"))?;
                report
            }
        };
    println!("backup written: {}", report.file.path.display());
    println!("size:    {} bytes", report.file.size);
    println!("sha256:  {}", report.file.sha256);
    println!("time:    {} ms", report.duration_ms);
    println!(
        "schema:  {}   data key: {}",
        report.manifest.schema_version, report.manifest.data_key_fingerprint
    );
    let counts: Vec<String> = report
        .manifest
        .counts
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    println!("rows:    {}", counts.join(", "));
    if recipient.is_some() {
        println!(
            "encrypted with age to {}",
            args.encrypt_to.as_deref().unwrap_or_default()
        );
    }
    for path in &report.pruned {
        println!("pruned:  {}", path.display());
    }
    Ok(())
}

/// The store's data key, unwrapped with its identity, for a backup taken
/// without a server: the backup is signed with it.
fn unlock_offline(db: &Db, settings: &Settings) -> Result<crate::crypto::Keyring, CommandError> {
    let identity = Identity::load(&settings.identity.path).map_err(|e| {
        anyhow!("{e}; a backup is signed with the store's data key, which needs its identity (--identity)")
    })?;
    let (info, wrapped) = store::keys::read(db)
        .map_err(explain_store_error)?
        .ok_or_else(|| anyhow!("the store has no data key yet; start the service once"))?;
    store::keys::unlock(&info, &wrapped, &identity).map_err(explain_store_error)
}

/// The identity for decrypting a backup file, when one was named.
fn decrypt_identity(path: Option<&std::path::Path>) -> Result<Option<Identity>, CommandError> {
    path.map(|p| Identity::load(p).map_err(|e| anyhow!("{e}").into()))
        .transpose()
}

/// The store's identity, if it can be loaded; verification opens sealed fields with it.
fn store_identity(settings: &Settings) -> Option<Identity> {
    Identity::load(&settings.identity.path).ok()
}

pub fn verify(overrides: &Overrides, args: &VerifyArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let decrypt = decrypt_identity(args.decrypt_with.as_deref())?;
    let identity = store_identity(&settings);
    let (verified, _) = backup::verify(&args.file, decrypt.as_ref(), identity.as_ref())
        .map_err(|e| anyhow!("verification failed: {e}"))?;
    let m = &verified.manifest;
    println!("backup OK: {}", display_path(&args.file));
    match &verified.authenticity {
        backup::Authenticity::Authentic { data_key } => {
            println!("authentic: its tag matches its content under data key {data_key}")
        }
        backup::Authenticity::IntegrityOnly => println!(
            "integrity only: checksum and structure checked, authenticity not (no identity at {}; pass --identity to check it)",
            display_path(&settings.identity.path)
        ),
        backup::Authenticity::Unsigned => println!(
            "not authenticated: a format-1 backup carries no tag, so an edit would not show (restore needs --accept-unsigned)"
        ),
    }
    println!(
        "format {}, schema {}, written by launchpad {} at {}",
        m.format, m.schema_version, m.app_version, m.created_at
    );
    println!(
        "data key {}{}",
        m.data_key_fingerprint,
        if verified.encrypted {
            "; file age-encrypted"
        } else {
            ""
        }
    );
    let counts: Vec<String> = m.counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("every record read back: {}", counts.join(", "));
    match verified.sealed_fields_opened {
        Some(n) => println!(
            "sealed fields opened with {}: {n}",
            display_path(&settings.identity.path)
        ),
        None => println!(
            "sealed fields not opened (no identity at {}; pass --identity to check them too)",
            display_path(&settings.identity.path)
        ),
    }
    println!("size {} bytes, sha256 {}", verified.size, verified.sha256);
    Ok(())
}

pub fn restore(overrides: &Overrides, args: &RestoreArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let decrypt = decrypt_identity(args.decrypt_with.as_deref())?;
    let identity = Identity::load(&settings.identity.path).map_err(|e| {
        anyhow!("{e}; restore needs the identity that unwraps the backup's data key (--identity)")
    })?;
    let options = backup::RestoreOptions {
        dry_run: args.dry_run,
        force: args.force,
        accept_unsigned: args.accept_unsigned,
        served: admin::is_served(&settings.data_dir),
    };
    let location = super::store_location(&settings)?;
    let report = match &location {
        store::Location::Folder(dir) => {
            backup::restore(dir, &args.file, decrypt.as_ref(), &identity, options)
        }
        store::Location::Postgres(_) => {
            let db = location.open_read_only().map_err(explain_store_error)?;
            backup::restore_into(
                &db,
                &location.shown(),
                &args.file,
                decrypt.as_ref(),
                &identity,
                options,
            )
        }
    }
    .map_err(|e| anyhow!("restore refused: {e}"))?;
    let m = &report.verified.manifest;
    let counts: Vec<String> = m
        .counts
        .iter()
        .filter(|(t, _)| *t != "meta")
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    println!(
        "backup verified: written {} by launchpad {}, schema {}",
        m.created_at, m.app_version, m.schema_version
    );
    println!("backup holds:  {}", counts.join(", "));
    match &report.replacing {
        Some(current) => {
            let current: Vec<String> = current.iter().map(|(t, n)| format!("{t} {n}")).collect();
            println!("store now:     {} ({})", current.join(", "), report.store);
        }
        None => println!("store now:     none at {}", report.store),
    }
    if report.dry_run {
        println!(
            "dry run: nothing was changed; rerun without --dry-run{} to restore",
            if report.replacing.is_some() {
                " and with --force"
            } else {
                ""
            }
        );
        return Ok(());
    }
    if let Some(from) = report.migrated_from {
        println!(
            "migrated from schema {from} to {}",
            store::migrations::latest_version()
        );
    }
    if let Some(kept) = &report.kept_as {
        println!("previous store kept as {}", display_path(kept));
    }
    println!("restored; start the service to use it");
    Ok(())
}

fn parse_time(flag: &str, text: Option<&str>) -> Result<Option<i64>, CommandError> {
    text.map(|t| {
        rfc3339::parse(t).map_err(|e| {
            anyhow!("{flag} {t:?} is not an RFC 3339 time such as 2026-11-23T14:05:00Z: {e}").into()
        })
    })
    .transpose()
}

pub fn journal_export(overrides: &Overrides, args: &ExportArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let since = parse_time("--since", args.since.as_deref())?;
    let events: Vec<Event> =
        match admin::call(&settings.data_dir, &Request::JournalExport { since })
            .context("asking the running server")?
        {
            Reached::Answered(answer) => {
                serde_json::from_value(answer.map_err(|e| anyhow!("the server says: {e}"))?)
                    .context("reading the server's events")?
            }
            Reached::NoServer => {
                let db = super::store_location(&settings)?
                    .open_unserved(settings.store.cache_size_mb << 20)
                    .map_err(explain_store_error)?;
                let tx = db.begin_read().map_err(explain_store_error)?;
                let table = tx
                    .open_table(store::tables::JOURNAL)
                    .map_err(explain_store_error)?;
                store::journal::events_since(&table, since).map_err(explain_store_error)?
            }
        };
    let mut text = String::new();
    for event in &events {
        text.push_str(&serde_json::to_string(event).expect("events serialize"));
        text.push('\n');
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} event(s) to {}", events.len(), display_path(path));
        }
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            eprintln!("exported {} event(s)", events.len());
        }
    }
    Ok(())
}

pub fn journal_replay(overrides: &Overrides, args: &ReplayArgs) -> Result<(), CommandError> {
    let settings = settings(overrides)?;
    let until = parse_time("--until", args.until.as_deref())?;
    if admin::is_served(&settings.data_dir) {
        return Err(anyhow!(
            "a server is running on {}; stop it first, then replay",
            display_path(&settings.data_dir)
        )
        .into());
    }
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let mut events = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", args.file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let event: Event = serde_json::from_str(&line).map_err(|e| {
            anyhow!(
                "line {} of {} is not a journal event: {e}",
                n + 1,
                args.file.display()
            )
        })?;
        events.push(event);
    }
    // Plan against a read-only open first: a refused replay leaves the
    // store file byte for byte as it was.
    let live = super::store_location(&settings)?;
    if !live.exists().map_err(explain_store_error)? {
        return Err(anyhow!("no store in {}; restore a backup first", live.shown()).into());
    }
    match live.open_read_only() {
        Ok(db) => {
            store::journal::plan(&db, &events, until)
                .map_err(|e| anyhow!("replay refused, nothing applied: {e}"))?;
        }
        Err(store::StoreError::NeedsRepair(_)) => {}
        Err(e) => return Err(explain_store_error(e)),
    }
    let db = live
        .open_unserved(settings.store.cache_size_mb << 20)
        .map_err(explain_store_error)?;
    let replayed = store::journal::replay(&db, &events, until)
        .map_err(|e| anyhow!("replay refused, nothing applied: {e}"))?;
    println!(
        "applied {} event(s); {} already in the store; {} after --until left out",
        replayed.applied, replayed.already_present, replayed.skipped_after_until
    );
    Ok(())
}
