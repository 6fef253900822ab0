//! User accounts. A user's email is personal data: it is sealed like an
//! owner email and found at sign-in through a keyed index (an HMAC under the
//! data key), so the store never holds it in plain text. Passwords are kept
//! only as argon2id hashes.

use super::audit::{AuditContext, audit};
use crate::crypto::Keyring;
use crate::domain::{Millis, Role, UserEmail, UserId, rfc3339};
use crate::store::engine::ReadTx;
use crate::store::error::StoreError;
use crate::store::records::{FieldSlot, Sealed, decode, encode};
use crate::store::tables::{USER_EMAILS, USERS};
use crate::store::writer::WriteCtx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const USER_EMAIL: FieldSlot = FieldSlot {
    table: "users",
    field: "email",
};

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    #[schema(value_type = String)]
    pub email: UserEmail,
    pub role: Role,
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    pub email: Sealed,
    pub role: Role,
    pub password_hash: String,
    pub created_at: Millis,
}

impl UserRecord {
    fn into_user(self, id: u128, ring: &Keyring) -> Result<User, StoreError> {
        let email = USER_EMAIL.open(ring, id, &self.email, UserEmail::parse)?;
        Ok(User {
            id: UserId::from_u128(id),
            email,
            role: self.role,
            created_at: self.created_at,
        })
    }
}

pub fn create_user(
    ctx: &mut WriteCtx<'_>,
    email: UserEmail,
    role: Role,
    password_hash: String,
    who: &AuditContext,
) -> Result<User, StoreError> {
    let index = ctx.ring.index(email.as_str());
    let mut emails = ctx.tx.open_table(USER_EMAILS)?;
    if emails.get(index.as_slice())?.is_some() {
        return Err(StoreError::Conflict(
            "a user with that email already exists".into(),
        ));
    }
    let id = ctx.mint_id();
    let stamp = ctx.stamp();
    let record = UserRecord {
        email: USER_EMAIL.seal(ctx.ring, id, email.as_str()),
        role,
        password_hash,
        created_at: ctx.now,
    };
    ctx.tx
        .open_table(USERS)?
        .insert(id, encode(&record).as_slice())?;
    emails.insert(index.as_slice(), id)?;
    audit(
        ctx.tx,
        stamp,
        who,
        "user.create",
        Some(format!("user:{}", UserId::from_u128(id))),
    )?;
    record.into_user(id, ctx.ring)
}

/// Deletes a user with their sessions and tokens.
pub fn delete_user(
    ctx: &mut WriteCtx<'_>,
    id: UserId,
    who: &AuditContext,
) -> Result<(), StoreError> {
    let stamp = ctx.stamp();
    let mut users = ctx.tx.open_table(USERS)?;
    let record: UserRecord = match users.get(id.as_u128())? {
        Some(row) => decode("user", row.value())?,
        None => return Err(StoreError::Conflict(format!("user {id} does not exist"))),
    };
    let email = USER_EMAIL.open(ctx.ring, id.as_u128(), &record.email, UserEmail::parse)?;
    ctx.tx
        .open_table(USER_EMAILS)?
        .remove(ctx.ring.index(email.as_str()).as_slice())?;
    users.remove(id.as_u128())?;
    drop(users);
    super::sessions::delete_sessions_of(ctx, id)?;
    super::tokens::delete_tokens_of(ctx, id)?;
    audit(
        ctx.tx,
        stamp,
        who,
        "user.delete",
        Some(format!("user:{id}")),
    )
}

/// The user with `email` and their password hash.
pub fn user_by_email(
    tx: &ReadTx,
    ring: &Keyring,
    email: &UserEmail,
) -> Result<Option<(User, String)>, StoreError> {
    let Some(id) = tx
        .open_table(USER_EMAILS)?
        .get(ring.index(email.as_str()).as_slice())?
        .map(|v| v.value())
    else {
        return Ok(None);
    };
    let users = tx.open_table(USERS)?;
    let Some(row) = users.get(id)? else {
        return Ok(None);
    };
    let record: UserRecord = decode("user", row.value())?;
    let hash = record.password_hash.clone();
    Ok(Some((record.into_user(id, ring)?, hash)))
}

pub fn user(tx: &ReadTx, ring: &Keyring, id: UserId) -> Result<Option<User>, StoreError> {
    let users = tx.open_table(USERS)?;
    let Some(row) = users.get(id.as_u128())? else {
        return Ok(None);
    };
    decode::<UserRecord>("user", row.value())?
        .into_user(id.as_u128(), ring)
        .map(Some)
}

pub fn users(tx: &ReadTx, ring: &Keyring) -> Result<Vec<User>, StoreError> {
    let mut out = Vec::new();
    for row in tx.open_table(USERS)?.iter()? {
        let (key, value) = row?;
        out.push(decode::<UserRecord>("user", value.value())?.into_user(key.value(), ring)?);
    }
    Ok(out)
}

/// Whether any admin account exists. Reads roles only: no email is opened.
pub fn admin_exists(tx: &ReadTx) -> Result<bool, StoreError> {
    for row in tx.open_table(USERS)?.iter()? {
        if decode::<UserRecord>("user", row?.1.value())?.role == Role::Admin {
            return Ok(true);
        }
    }
    Ok(false)
}
