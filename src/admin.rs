//! The local admin socket: how CLI commands reach a running server.
//!
//! redb locks its file, so while `launchpad serve` runs no other process can
//! open the store. Commands that need the live store (`keys rotate`, later
//! `backup`) connect to `launchpad.sock` in the data folder instead. The
//! socket has mode 0600 inside a 0700 folder: only the service's own user can
//! use it. The protocol is one JSON request line, one JSON answer line.

use crate::accounts;
use crate::crypto::Recipient;
use crate::domain::TokenId;
use crate::store::Store;
use crate::store::accounts::AuditContext;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

pub const SOCKET_NAME: &str = "launchpad.sock";

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// What a client may ask.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    KeysStatus,
    StoreFacts,
    KeysRotate,
    KeysRewrap {
        to: String,
    },
    Backup {
        out: PathBuf,
        encrypt_to: Option<String>,
        keep: Option<usize>,
    },
    JournalExport {
        since: Option<i64>,
    },
    UserAdd {
        email: String,
        role: String,
        password: String,
    },
    TokenCreate {
        email: String,
        name: String,
    },
    Report {
        project: String,
        format: String,
        include_personal: bool,
    },
}

/// Only the operation: a request may carry a password or an email.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.op())
    }
}

impl Request {
    /// The operation's name, safe to log.
    pub fn op(&self) -> &'static str {
        match self {
            Self::KeysStatus => "keys_status",
            Self::StoreFacts => "store_facts",
            Self::KeysRotate => "keys_rotate",
            Self::KeysRewrap { .. } => "keys_rewrap",
            Self::Backup { .. } => "backup",
            Self::JournalExport { .. } => "journal_export",
            Self::UserAdd { .. } => "user_add",
            Self::TokenCreate { .. } => "token_create",
            Self::Report { .. } => "report",
        }
    }
}

/// A token created through the socket: its id and its secret, shown once.
#[derive(Debug, Serialize, Deserialize)]
pub struct NewToken {
    pub id: TokenId,
    pub token: String,
}

impl From<accounts::CreatedToken> for NewToken {
    fn from(created: accounts::CreatedToken) -> Self {
        Self {
            id: created.info.id,
            token: created.secret,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    error: String,
}

/// Binds the socket, replacing a stale one left by a crashed server.
pub fn bind(data_dir: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(data_dir);
    if path.exists() {
        // The store lock proves no other server runs here; the file is stale.
        std::fs::remove_file(&path)?;
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Answers requests until the task is dropped.
pub async fn serve(listener: UnixListener, store: Store) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let store = store.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            let mut reader =
                tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(read, 64 * 1024));
            if reader.read_line(&mut line).await.is_err() {
                return;
            }
            let request = match serde_json::from_str::<Request>(&line) {
                Ok(request) => request,
                Err(e) => {
                    let answer = Answer {
                        ok: false,
                        result: Value::Null,
                        error: format!("bad request: {e}"),
                    };
                    let _ = write
                        .write_all(
                            format!("{}\n", serde_json::to_string(&answer).unwrap_or_default())
                                .as_bytes(),
                        )
                        .await;
                    return;
                }
            };
            // The operation only: requests carry passwords and emails.
            tracing::info!(op = request.op(), "admin request");
            let (progress, mut updates) = tokio::sync::mpsc::unbounded_channel::<(u64, u64)>();
            let work = handle(&store, request, progress);
            tokio::pin!(work);
            let answer = loop {
                tokio::select! {
                    answer = &mut work => break answer,
                    Some((done, total)) = updates.recv() => {
                        let line = format!("{}\n", serde_json::json!({ "progress": [done, total] }));
                        let _ = write.write_all(line.as_bytes()).await;
                    }
                }
            };
            let line = format!("{}\n", serde_json::to_string(&answer).unwrap_or_default());
            let _ = write.write_all(line.as_bytes()).await;
        });
    }
}

fn answer<T: Serialize>(result: Result<T, String>) -> Answer {
    match result {
        Ok(value) => Answer {
            ok: true,
            result: serde_json::to_value(value).unwrap_or_default(),
            error: String::new(),
        },
        Err(error) => Answer {
            ok: false,
            result: Value::Null,
            error,
        },
    }
}

async fn handle(
    store: &Store,
    request: Request,
    progress: tokio::sync::mpsc::UnboundedSender<(u64, u64)>,
) -> Answer {
    match request {
        Request::KeysStatus => answer(store.key_info().map_err(|e| e.to_string())),
        Request::StoreFacts => answer(store.facts().map_err(|e| e.to_string())),
        Request::KeysRotate => answer(store.rotate_key().await.map_err(|e| e.to_string())),
        Request::KeysRewrap { to } => match Recipient::parse(&to) {
            Ok(recipient) => answer(store.rewrap_key(recipient).await.map_err(|e| e.to_string())),
            Err(e) => answer::<()>(Err(e.to_string())),
        },
        Request::Backup {
            out,
            encrypt_to,
            keep,
        } => answer(online_backup(store, out, encrypt_to, keep, progress).await),
        Request::JournalExport { since } => {
            answer(store.journal_since(since).map_err(|e| e.to_string()))
        }
        Request::UserAdd {
            email,
            role,
            password,
        } => answer(
            accounts::add_user(store, &email, &role, &password, AuditContext::local())
                .await
                .map_err(|e| e.to_string()),
        ),
        Request::TokenCreate { email, name } => answer(
            accounts::create_token_for(store, &email, &name, AuditContext::local())
                .await
                .map(NewToken::from)
                .map_err(|e| e.to_string()),
        ),
        Request::Report {
            project,
            format,
            include_personal,
        } => answer(report(store, &project, &format, include_personal).await),
    }
}

/// A backup taken inside the server from one read transaction; writers go on.
async fn online_backup(
    store: &Store,
    out: PathBuf,
    encrypt_to: Option<String>,
    keep: Option<usize>,
    progress: tokio::sync::mpsc::UnboundedSender<(u64, u64)>,
) -> Result<crate::backup::BackupReport, String> {
    let recipient = encrypt_to
        .map(|r| Recipient::parse(&r))
        .transpose()
        .map_err(|e| e.to_string())?;
    let db = store.database().map_err(|e| e.to_string())?;
    let keys = store.keyring();
    let report = tokio::task::spawn_blocking(move || {
        let tick = move |done, total| {
            let _ = progress.send((done, total));
        };
        let ring = keys.read().unwrap_or_else(|e| e.into_inner());
        crate::backup::take(&db, &ring, &out, recipient.as_ref(), keep, &tick)
    })
    .await
    .map_err(|e| format!("the backup task failed: {e}"))?
    .map_err(|e| e.to_string())?;
    store
        .record_backup(report.last())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(path = %report.file.path.display(), size = report.file.size, duration_ms = report.duration_ms, "backup written");
    Ok(report)
}

/// A project's report, rendered in the server.
async fn report(
    store: &Store,
    project: &str,
    format: &str,
    include_personal: bool,
) -> Result<String, String> {
    let project = crate::domain::ProjectId::parse(project).map_err(|e| e.to_string())?;
    let format = crate::report::Format::parse(format).ok_or("an unknown report format")?;
    crate::scorecards::rendered(store, project, format, include_personal).await
}

/// Whether a server answers on the socket for `data_dir`.
pub fn is_served(data_dir: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(socket_path(data_dir)).is_ok()
}

/// Whether a server answered, and how.
pub enum Reached {
    /// No server listens for this data folder.
    NoServer,
    Answered(Result<Value, String>),
}

/// Sends `request` to the server for `data_dir`, if one runs.
pub fn call(data_dir: &Path, request: &Request) -> std::io::Result<Reached> {
    call_with_progress(data_dir, request, &mut |_, _| {})
}

/// [`call`], reporting the server's progress lines as they arrive.
pub fn call_with_progress(
    data_dir: &Path,
    request: &Request,
    on_progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<Reached> {
    let path = socket_path(data_dir);
    let mut stream = match std::os::unix::net::UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(Reached::NoServer);
        }
        Err(e) => return Err(e),
    };
    let mut line = serde_json::to_string(request).expect("requests serialize");
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut lines = BufReader::new(stream);
    let mut answer = String::new();
    loop {
        answer.clear();
        lines.read_line(&mut answer)?;
        match serde_json::from_str::<Value>(&answer)
            .ok()
            .and_then(|v| v.get("progress").cloned())
        {
            Some(Value::Array(pair)) if pair.len() == 2 => {
                on_progress(pair[0].as_u64().unwrap_or(0), pair[1].as_u64().unwrap_or(0));
            }
            _ => break,
        }
    }
    let answer: Answer = serde_json::from_str(&answer).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the server's answer: {e}"),
        )
    })?;
    Ok(Reached::Answered(if answer.ok {
        Ok(answer.result)
    } else {
        Err(answer.error)
    }))
}
