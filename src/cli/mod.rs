//! The command line: the fixed command names of DESIGN §3.
//!
//! Configuration keys are read by [`crate::config`], which also reads the
//! `LAUNCHPAD_*` variables; flags here only override them.

mod readiness;

pub use readiness::{GateArgs, ReportArgs};

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("LAUNCHPAD_GIT_COMMIT"),
    ")"
);

const EXAMPLES: &str = "\
Examples:
  launchpad serve                                  run with a local ./launchpad-data and demo data
  LAUNCHPAD_ENV=production launchpad serve --config /etc/launchpad/launchpad.toml
  launchpad config check                           validate configuration and list unknown keys
  launchpad migrate --plan --data-dir /var/lib/launchpad

Exit codes: 0 success, 1 failure, 2 usage error, 78 bad configuration.";

#[derive(Debug, Parser)]
#[command(name = "launchpad", version = VERSION, about = "LaunchPad: track how ready your software is for production", after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML configuration file [env: LAUNCHPAD_CONFIG] [default: /etc/launchpad/launchpad.toml when present]
    #[arg(
        long,
        global = true,
        env = "LAUNCHPAD_CONFIG",
        value_name = "FILE",
        hide_env = true
    )]
    pub config: Option<PathBuf>,
    /// Folder holding the store [env: LAUNCHPAD_DATA_DIR] [default: ./launchpad-data, or $STATE_DIRECTORY]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address and port to serve on [env: LAUNCHPAD_LISTEN] [default: 127.0.0.1:8080]
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// age identity that unwraps the data key [env: LAUNCHPAD_IDENTITY_FILE] [default: $CREDENTIALS_DIRECTORY/age-identity, or <data dir>/identity.age in development]
    #[arg(long, global = true, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: the REST API and health endpoint
    #[command(after_help = "\
Examples:
  launchpad serve
  launchpad serve --listen 0.0.0.0:8080 --data-dir /var/lib/launchpad
  LAUNCHPAD_ENV=production LAUNCHPAD_DEMO_DATA=false launchpad serve --data-dir /var/lib/launchpad

Stops gracefully on SIGTERM or SIGINT: in-flight requests finish (up to
http.shutdown_timeout_secs), queued writes commit, the store closes.")]
    Serve,
    /// Show (--plan) or apply pending store migrations
    #[command(after_help = "\
Examples:
  launchpad migrate --plan                         list pending steps; changes nothing
  launchpad migrate                                apply them now (serve also applies them at start)

Migrations need the store to themselves: stop the service first to apply them.")]
    Migrate(MigrateArgs),
    /// Configuration tools
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Audit the deployment: configuration, identity, data key, backups, disk, schema
    #[command(after_help = "\
Examples:
  launchpad diagnose                               readable summary; exit 1 on a critical finding
  launchpad diagnose --json | jq '.findings[] | select(.severity != \"ok\")'
  launchpad diagnose --out /var/tmp/launchpad-diagnose.json --config /etc/launchpad/launchpad.toml

Covers configuration problems and drift, the identity file's permissions,
the data key's age against keys.rotation_days, the last backup's age against
backup.max_age_hours, store size and free disk, the schema version and the
field classification. Asks the running server when there is one; otherwise
reads the store without changing it. Exits 0 when nothing is critical, 1
when something is, 78 when the configuration cannot be loaded.")]
    Diagnose(DiagnoseArgs),
    /// The data key and the age identity that protects it
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Write a consistent snapshot of the store to a file
    #[command(after_help = "\
Examples:
  launchpad backup --out /var/lib/launchpad/backups --keep 14
  launchpad backup --out /tmp/before-upgrade.lpbackup
  launchpad backup --out backups/ --encrypt-to age1qz…

With a server running, the server takes the snapshot from one read
transaction while writes go on (the path must be writable by the service);
otherwise the store is opened directly. A folder gets a dated name
(launchpad-YYYYMMDDTHHMMSSZ.lpbackup). The file is written under a
temporary name, fsync'd and renamed: a partial file never has the final name.")]
    Backup(BackupArgs),
    /// Check a backup without restoring it
    #[command(after_help = "\
Examples:
  launchpad verify /var/lib/launchpad/backups/launchpad-20261123T020000Z.lpbackup
  launchpad verify offsite.lpbackup --decrypt-with /root/backup-identity.age

Checks the header, format version, checksum and manifest, reads back every
record, and opens every sealed field when the identity can unwrap the key.
Exits 1 with the reason when anything is wrong.")]
    Verify(VerifyArgs),
    /// Replace the store with a verified backup
    #[command(after_help = "\
Examples:
  launchpad restore backup.lpbackup --dry-run
  systemctl stop launchpad && launchpad restore backup.lpbackup --force && systemctl start launchpad

Refuses while a server holds the store. Verifies the whole file first, builds
the new store beside the old one, keeps the old one as
launchpad.redb.pre-restore-<time>, and swaps with one atomic rename.
Older schema versions are migrated forward. See runbooks/restore.md.")]
    Restore(RestoreArgs),
    /// The event journal: export it, or replay it onto a restored store
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Move the store between redb and PostgreSQL
    #[command(subcommand)]
    Store(StoreCommand),
    /// Accounts
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// A project's readiness report, as Markdown or printable HTML
    #[command(after_help = "\
Examples:
  launchpad report --project 0190f5a2-7b3c-7def-8abc-0123456789ab > READINESS.md
  launchpad report --project 0190f5a2-… --format html --out report.html

The level, each pillar before and after against its target, the evidence,
the open required tasks and the assessment history; personal data only with
--include-personal. Asks the running server when there is one; otherwise
opens the store itself.")]
    Report(ReportArgs),
    /// Exit 0 when a project has reached a readiness level, 1 when not
    #[command(after_help = "\
Examples:
  LAUNCHPAD_TOKEN=lp_… launchpad gate --url https://launchpad.example.com \\
      --project 0190f5a2-7b3c-7def-8abc-0123456789ab --level production-ready

Reads the project's scorecard with the API token in LAUNCHPAD_TOKEN (a
viewer's is enough). Below the level it prints every failing rule, one per
line, and exits 1, so a pipeline can block the release. Exit codes: 0 the
level is reached, 1 it is not (or the scorecard could not be read), 2 usage.")]
    Gate(GateArgs),
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy every record to another store, verified by counts and a checksum
    #[command(after_help = "\
Examples:
  launchpad store copy --from /var/lib/launchpad --to \"$(cat /etc/launchpad/postgres-url)\"
  launchpad store copy --from postgres://launchpad@db.internal/launchpad?sslmode=require \\
      --to ./laptop-copy

A side is a data folder (its launchpad.redb) or a postgres:// URL. The source
is read from one snapshot and written in one transaction, then read back and
compared row by row; a destination that holds a store is replaced only with
--force. The data key travels with the store: the same identity opens the
copy. Stop the service on a data folder first. Sessions are not copied.")]
    Copy(StoreCopyArgs),
}

#[derive(Debug, Args)]
pub struct StoreCopyArgs {
    /// The store to read: a data folder or a postgres:// URL
    #[arg(long, value_name = "PATH_OR_URL")]
    pub from: String,
    /// The store to write: a data folder or a postgres:// URL
    #[arg(long, value_name = "PATH_OR_URL")]
    pub to: String,
    /// Replace a store that is already there
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password comes from LAUNCHPAD_PASSWORD or a prompt
    #[command(after_help = "\
Examples:
  launchpad user add --email ada@example.com --role admin          # prompts for the password
  LAUNCHPAD_PASSWORD='…' launchpad user add --email bob@example.com --role editor

Passwords need at least 12 characters and must not be common or built from
the email. Goes through the running server when there is one.")]
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The sign-in email
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    /// admin, editor or viewer
    #[arg(long, value_name = "ROLE", value_parser = ["admin", "editor", "viewer"])]
    pub role: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it once
    #[command(after_help = "\
Examples:
  launchpad token create --email ci@example.com --name deploy
  curl -H \"Authorization: Bearer $(launchpad token create --email ci@example.com --name ci | tail -1)\" …

The token acts with its user's role. It is printed once, on the last line,
and stored only as a SHA-256 digest; revoke it with DELETE /api/v1/tokens/{id}.")]
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The user the token acts as
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    /// A name to recognise it by
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A file to write, or a folder for a dated name
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Encrypt the whole file with age to this recipient (age1…)
    #[arg(long, value_name = "RECIPIENT")]
    pub encrypt_to: Option<String>,
    /// Keep only the newest N dated backups in the folder
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backup file
    pub file: PathBuf,
    /// Identity to decrypt an age-encrypted backup with
    #[arg(long, value_name = "FILE")]
    pub decrypt_with: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file
    pub file: PathBuf,
    /// Verify and show what would change, without changing anything
    #[arg(long)]
    pub dry_run: bool,
    /// Replace an existing store (it is kept as a .pre-restore copy)
    #[arg(long)]
    pub force: bool,
    /// Restore a format-1 backup, written before backups were signed
    #[arg(long)]
    pub accept_unsigned: bool,
    /// Identity to decrypt an age-encrypted backup with
    #[arg(long, value_name = "FILE")]
    pub decrypt_with: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Write the journal as JSON Lines
    #[command(after_help = "\
Examples:
  launchpad journal export --out /var/lib/launchpad/journal.jsonl
  launchpad journal export --since 2026-11-23T00:00:00Z > since-midnight.jsonl

Personal fields stay sealed in the export. Asks the running server when
there is one.")]
    Export(ExportArgs),
    /// Apply exported events onto a (restored) store, idempotently
    #[command(after_help = "\
Examples:
  launchpad journal replay journal.jsonl
  launchpad journal replay journal.jsonl --until 2026-11-23T14:05:00Z

Run with the service stopped, after `launchpad restore`. Every event is
checked first; nothing is applied if one is refused. Replaying twice changes
nothing. See runbooks/point-in-time-recovery.md.")]
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only events at or after this RFC 3339 time
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A JSON Lines file from `journal export`
    pub file: PathBuf,
    /// Apply only events at or before this RFC 3339 time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new age identity and print its public key (recipient)
    #[command(after_help = "\
Examples:
  launchpad keys init --identity /etc/launchpad/age-identity
  LAUNCHPAD_IDENTITY_FILE=/etc/launchpad/age-identity launchpad keys init

Writes the file with mode 0600 and never overwrites one. Keep a copy
somewhere safe: without it, personal data in the store cannot be read.")]
    Init,
    /// Show the data key's fingerprint, age, recipients and the field classification
    #[command(after_help = "\
Examples:
  launchpad keys status
  launchpad keys status --data-dir /var/lib/launchpad

Asks the running server when there is one; otherwise reads the store.")]
    Status,
    /// Re-seal every personal field under a new data key, in one transaction
    #[command(after_help = "\
Examples:
  launchpad keys rotate
  launchpad keys rotate --data-dir /var/lib/launchpad --identity /etc/launchpad/age-identity

Online through the running server when one holds the store, otherwise
directly. Safe to interrupt: the store stays readable under exactly one key.
See runbooks/key-rotation.md.")]
    Rotate,
    /// Wrap the data key for a new identity's recipient instead of the current one
    #[command(after_help = "\
Examples:
  launchpad keys init --identity /etc/launchpad/identity-2027.age     # prints age1…
  launchpad keys rewrap --to age1qz…                                  # then switch the identity

After a rewrap only the new identity unwraps the data key: point
identity_file at it before the next start. See runbooks/key-rotation.md.")]
    Rewrap(RewrapArgs),
}

#[derive(Debug, Args)]
pub struct RewrapArgs {
    /// The new identity's public key (age1…)
    #[arg(long, value_name = "RECIPIENT")]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Print the pending migrations without changing anything
    #[arg(long)]
    pub plan: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration without starting, and report drift
    #[command(after_help = "\
Examples:
  launchpad config check
  launchpad config check --config /etc/launchpad/launchpad.toml --strict

Prints every key with its value and where it came from (default, file,
variable or flag), then unknown or deprecated keys and variables (drift).
Exits 78 when the configuration is invalid, or with --strict when it drifts.")]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Print the report as JSON instead of the summary
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON report to this file
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Treat unknown or deprecated keys as errors (exit 78)
    #[arg(long)]
    pub strict: bool,
}
