//! Sign-in sessions, found by the digest of their secret: the cookie's
//! value never reaches the disk.

use super::audit::{AuditContext, audit};
use crate::crypto::SecretDigest;
use crate::domain::{Millis, UserId};
use crate::store::engine::ReadTx;
use crate::store::error::StoreError;
use crate::store::records::{decode, encode};
use crate::store::tables::SESSIONS;
use crate::store::writer::WriteCtx;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub user: UserId,
    pub created_at: Millis,
    pub last_seen_at: Millis,
}

pub fn create_session(
    ctx: &mut WriteCtx<'_>,
    digest: SecretDigest,
    user: UserId,
    who: &AuditContext,
) -> Result<(), StoreError> {
    let stamp = ctx.stamp();
    let record = SessionRecord {
        user,
        created_at: ctx.now,
        last_seen_at: ctx.now,
    };
    ctx.tx
        .open_table(SESSIONS)?
        .insert(digest.as_bytes().as_slice(), encode(&record).as_slice())?;
    audit(
        ctx.tx,
        stamp,
        who,
        "login.success",
        Some(format!("user:{user}")),
    )
}

pub fn touch_session(ctx: &mut WriteCtx<'_>, digest: SecretDigest) -> Result<(), StoreError> {
    let mut sessions = ctx.tx.open_table(SESSIONS)?;
    let key = digest.as_bytes().as_slice();
    let current = sessions
        .get(key)?
        .map(|row| decode::<SessionRecord>("session", row.value()));
    if let Some(record) = current {
        let record = SessionRecord {
            last_seen_at: ctx.now,
            ..record?
        };
        sessions.insert(key, encode(&record).as_slice())?;
    }
    Ok(())
}

pub fn delete_session(
    ctx: &mut WriteCtx<'_>,
    digest: SecretDigest,
    who: Option<&AuditContext>,
) -> Result<(), StoreError> {
    let stamp = ctx.stamp();
    let removed = ctx
        .tx
        .open_table(SESSIONS)?
        .remove(digest.as_bytes().as_slice())?
        .is_some();
    match who {
        Some(who) if removed => audit(ctx.tx, stamp, who, "logout", None),
        _ => Ok(()),
    }
}

/// Ends every session of `user` (their account was deleted).
pub fn delete_sessions_of(ctx: &mut WriteCtx<'_>, user: UserId) -> Result<(), StoreError> {
    ctx.tx.open_table(SESSIONS)?.retain(|_, value| {
        decode::<SessionRecord>("session", value).map_or(true, |s| s.user != user)
    })?;
    Ok(())
}

pub fn session(tx: &ReadTx, digest: &SecretDigest) -> Result<Option<SessionRecord>, StoreError> {
    let sessions = tx.open_table(SESSIONS)?;
    let row = sessions.get(digest.as_bytes().as_slice())?;
    row.map(|r| decode("session", r.value())).transpose()
}
