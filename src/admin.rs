//! The local admin socket: how CLI commands reach a running server.
//!
//! redb locks its file, so while `launchpad serve` runs no other process can
//! open the store. Commands that need the live store (`keys rotate`, later
//! `backup`) connect to `launchpad.sock` in the data folder instead. The
//! socket has mode 0600 inside a 0700 folder: only the service's own user can
//! use it. The protocol is one JSON request line, one JSON answer line.

use crate::crypto::Recipient;
use crate::store::Store;
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
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    KeysStatus,
    KeysRotate,
    KeysRewrap { to: String },
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
            let answer = match serde_json::from_str::<Request>(&line) {
                Ok(request) => {
                    tracing::info!(request = ?request, "admin request");
                    handle(&store, request).await
                }
                Err(e) => Answer {
                    ok: false,
                    result: Value::Null,
                    error: format!("bad request: {e}"),
                },
            };
            let mut text = serde_json::to_string(&answer).unwrap_or_default();
            text.push('\n');
            let _ = write.write_all(text.as_bytes()).await;
        });
    }
}

async fn handle(store: &Store, request: Request) -> Answer {
    let result = match request {
        Request::KeysStatus => store
            .key_info()
            .map(|info| serde_json::to_value(info).unwrap_or_default())
            .map_err(|e| e.to_string()),
        Request::KeysRotate => store
            .rotate_key()
            .await
            .map(|r| serde_json::to_value(r).unwrap_or_default())
            .map_err(|e| e.to_string()),
        Request::KeysRewrap { to } => match Recipient::parse(&to) {
            Ok(recipient) => store
                .rewrap_key(recipient)
                .await
                .map(|i| serde_json::to_value(i).unwrap_or_default())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
    };
    match result {
        Ok(result) => Answer {
            ok: true,
            result,
            error: String::new(),
        },
        Err(error) => Answer {
            ok: false,
            result: Value::Null,
            error,
        },
    }
}

/// Whether a server answered, and how.
pub enum Reached {
    /// No server listens for this data folder.
    NoServer,
    Answered(Result<Value, String>),
}

/// Sends `request` to the server for `data_dir`, if one runs.
pub fn call(data_dir: &Path, request: &Request) -> std::io::Result<Reached> {
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
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
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
