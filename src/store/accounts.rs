//! Accounts in the store: users, sessions, API tokens and the audit log.
//!
//! A user's email is personal data: it is sealed like an owner email and
//! found at sign-in through a keyed index (an HMAC under the data key), so
//! the store never holds it in plain text. Passwords are kept only as
//! argon2id hashes, session and token secrets only as SHA-256 digests.
//! Audited changes write their audit entry in the same transaction.

use super::StoreError;
use super::journal::Stamp;
use super::records::{FieldSlot, Sealed, decode, encode};
use super::tables::{AUDIT, SESSIONS, TOKEN_HASHES, TOKENS, USER_EMAILS, USERS};
use super::writer::WriteCtx;
use crate::crypto::Keyring;
use crate::domain::{Millis, Role, UserEmail, rfc3339};
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const USER_EMAIL: FieldSlot = FieldSlot {
    table: "users",
    field: "email",
};

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
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
            id: Uuid::from_u128(id),
            email,
            role: self.role,
            created_at: self.created_at,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub user: Uuid,
    pub created_at: Millis,
    pub last_seen_at: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    pub user: Uuid,
    pub name: String,
    /// Hex SHA-256 of the secret, to find its index entry on revocation.
    pub hash: String,
    pub created_at: Millis,
    #[serde(default)]
    pub last_used_at: Option<Millis>,
}

/// A token as the API lists it: never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "optional_time")]
    pub last_used_at: Option<Millis>,
}

fn optional_time<S: serde::Serializer>(at: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_some(&rfc3339::format(*at)),
        None => s.serialize_none(),
    }
}

impl TokenRecord {
    fn info(&self, id: u128) -> TokenInfo {
        TokenInfo {
            id: Uuid::from_u128(id),
            user_id: self.user,
            name: self.name.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// One audit entry. Holds ids, never emails, passwords or secrets.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: Uuid,
    #[serde(with = "rfc3339::text")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Millis,
    /// `user:<id>`, `token:<id>`, `anonymous` or `local`.
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

/// Who is acting and from where, carried into audited changes.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: String,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

impl AuditContext {
    /// The operator at the machine: the CLI or the admin socket.
    pub fn local() -> Self {
        Self {
            actor: "local".into(),
            client_ip: None,
            request_id: None,
        }
    }
}

/// Appends an audit entry in `tx`.
pub fn audit(
    tx: &WriteTransaction,
    stamp: Stamp,
    who: &AuditContext,
    action: &str,
    target: Option<String>,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        id: Uuid::from_u128(stamp.id),
        at: stamp.at,
        actor: who.actor.clone(),
        action: action.to_owned(),
        target,
        client_ip: who.client_ip.clone(),
        request_id: who.request_id.clone(),
    };
    tx.open_table(AUDIT)?
        .insert(stamp.id, encode(&entry).as_slice())?;
    Ok(())
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
        Some(format!("user:{}", Uuid::from_u128(id))),
    )?;
    record.into_user(id, ctx.ring)
}

pub fn delete_user(ctx: &mut WriteCtx<'_>, id: Uuid, who: &AuditContext) -> Result<(), StoreError> {
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
    ctx.tx.open_table(SESSIONS)?.retain(|_, value| {
        decode::<SessionRecord>("session", value).map_or(true, |s| s.user != id)
    })?;
    let mut tokens = ctx.tx.open_table(TOKENS)?;
    let mut hashes = ctx.tx.open_table(TOKEN_HASHES)?;
    let mut owned = Vec::new();
    for row in tokens.iter()? {
        let (key, value) = row?;
        let token: TokenRecord = decode("token", value.value())?;
        if token.user == id {
            owned.push((key.value(), token.hash));
        }
    }
    for (token, hash) in owned {
        tokens.remove(token)?;
        hashes.remove(hex_decode(&hash).as_slice())?;
    }
    audit(
        ctx.tx,
        stamp,
        who,
        "user.delete",
        Some(format!("user:{id}")),
    )
}

pub fn create_session(
    ctx: &mut WriteCtx<'_>,
    hash: [u8; 32],
    user: Uuid,
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
        .insert(hash.as_slice(), encode(&record).as_slice())?;
    audit(
        ctx.tx,
        stamp,
        who,
        "login.success",
        Some(format!("user:{user}")),
    )
}

pub fn touch_session(ctx: &mut WriteCtx<'_>, hash: [u8; 32]) -> Result<(), StoreError> {
    let mut sessions = ctx.tx.open_table(SESSIONS)?;
    let current = sessions
        .get(hash.as_slice())?
        .map(|row| decode::<SessionRecord>("session", row.value()));
    if let Some(record) = current {
        let record = SessionRecord {
            last_seen_at: ctx.now,
            ..record?
        };
        sessions.insert(hash.as_slice(), encode(&record).as_slice())?;
    }
    Ok(())
}

pub fn delete_session(
    ctx: &mut WriteCtx<'_>,
    hash: [u8; 32],
    who: Option<&AuditContext>,
) -> Result<(), StoreError> {
    let stamp = ctx.stamp();
    let removed = ctx
        .tx
        .open_table(SESSIONS)?
        .remove(hash.as_slice())?
        .is_some();
    match who {
        Some(who) if removed => audit(ctx.tx, stamp, who, "logout", None),
        _ => Ok(()),
    }
}

pub fn create_token(
    ctx: &mut WriteCtx<'_>,
    user: Uuid,
    name: String,
    hash: [u8; 32],
    who: &AuditContext,
) -> Result<TokenInfo, StoreError> {
    if ctx.tx.open_table(USERS)?.get(user.as_u128())?.is_none() {
        return Err(StoreError::Conflict(format!("user {user} does not exist")));
    }
    let id = ctx.mint_id();
    let stamp = ctx.stamp();
    let record = TokenRecord {
        user,
        name,
        hash: hex(&hash),
        created_at: ctx.now,
        last_used_at: None,
    };
    ctx.tx
        .open_table(TOKENS)?
        .insert(id, encode(&record).as_slice())?;
    ctx.tx
        .open_table(TOKEN_HASHES)?
        .insert(hash.as_slice(), id)?;
    audit(
        ctx.tx,
        stamp,
        who,
        "token.create",
        Some(format!("token:{}", Uuid::from_u128(id))),
    )?;
    Ok(record.info(id))
}

/// Revokes a token; `owner` limits it to that user's tokens (non-admins).
pub fn delete_token(
    ctx: &mut WriteCtx<'_>,
    id: Uuid,
    owner: Option<Uuid>,
    who: &AuditContext,
) -> Result<bool, StoreError> {
    let stamp = ctx.stamp();
    let mut tokens = ctx.tx.open_table(TOKENS)?;
    let record: TokenRecord = match tokens.get(id.as_u128())? {
        Some(row) => decode("token", row.value())?,
        None => return Ok(false),
    };
    if owner.is_some_and(|owner| owner != record.user) {
        return Ok(false);
    }
    tokens.remove(id.as_u128())?;
    ctx.tx
        .open_table(TOKEN_HASHES)?
        .remove(hex_decode(&record.hash).as_slice())?;
    audit(
        ctx.tx,
        stamp,
        who,
        "token.revoke",
        Some(format!("token:{id}")),
    )?;
    Ok(true)
}

pub fn touch_token(ctx: &mut WriteCtx<'_>, id: Uuid) -> Result<(), StoreError> {
    let mut tokens = ctx.tx.open_table(TOKENS)?;
    let current = tokens
        .get(id.as_u128())?
        .map(|row| decode::<TokenRecord>("token", row.value()));
    if let Some(record) = current {
        let record = TokenRecord {
            last_used_at: Some(ctx.now),
            ..record?
        };
        tokens.insert(id.as_u128(), encode(&record).as_slice())?;
    }
    Ok(())
}

/// An audit entry with no other change (a failed login, a backup).
pub fn audit_only(
    ctx: &mut WriteCtx<'_>,
    who: &AuditContext,
    action: &str,
    target: Option<String>,
) -> Result<(), StoreError> {
    let stamp = ctx.stamp();
    audit(ctx.tx, stamp, who, action, target)
}

/// Reads over any transaction's tables.
pub fn user_by_email(
    tx: &redb::ReadTransaction,
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
    let Some(row) = tx.open_table(USERS)?.get(id)? else {
        return Ok(None);
    };
    let record: UserRecord = decode("user", row.value())?;
    let hash = record.password_hash.clone();
    Ok(Some((record.into_user(id, ring)?, hash)))
}

pub fn user(
    tx: &redb::ReadTransaction,
    ring: &Keyring,
    id: Uuid,
) -> Result<Option<User>, StoreError> {
    let Some(row) = tx.open_table(USERS)?.get(id.as_u128())? else {
        return Ok(None);
    };
    decode::<UserRecord>("user", row.value())?
        .into_user(id.as_u128(), ring)
        .map(Some)
}

pub fn users(tx: &redb::ReadTransaction, ring: &Keyring) -> Result<Vec<User>, StoreError> {
    let mut out = Vec::new();
    for row in tx.open_table(USERS)?.iter()? {
        let (key, value) = row?;
        out.push(decode::<UserRecord>("user", value.value())?.into_user(key.value(), ring)?);
    }
    Ok(out)
}

pub fn session(
    tx: &redb::ReadTransaction,
    hash: &[u8; 32],
) -> Result<Option<SessionRecord>, StoreError> {
    let row = tx.open_table(SESSIONS)?.get(hash.as_slice())?;
    row.map(|r| decode("session", r.value())).transpose()
}

pub fn token_by_hash(
    tx: &redb::ReadTransaction,
    hash: &[u8; 32],
) -> Result<Option<TokenInfo>, StoreError> {
    let Some(id) = tx
        .open_table(TOKEN_HASHES)?
        .get(hash.as_slice())?
        .map(|v| v.value())
    else {
        return Ok(None);
    };
    let row = tx.open_table(TOKENS)?.get(id)?;
    row.map(|r| decode::<TokenRecord>("token", r.value()).map(|t| t.info(id)))
        .transpose()
}

pub fn tokens(
    tx: &redb::ReadTransaction,
    owner: Option<Uuid>,
) -> Result<Vec<TokenInfo>, StoreError> {
    let mut out = Vec::new();
    for row in tx.open_table(TOKENS)?.iter()? {
        let (key, value) = row?;
        let token: TokenRecord = decode("token", value.value())?;
        if owner.is_none_or(|o| o == token.user) {
            out.push(token.info(key.value()));
        }
    }
    Ok(out)
}

/// Up to `limit` entries, newest first, older than `before`.
pub fn audit_page(
    tx: &redb::ReadTransaction,
    before: Option<Uuid>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let table = tx.open_table(AUDIT)?;
    let range = match before {
        Some(id) => table.range(..id.as_u128())?,
        None => table.range(0..)?,
    };
    let mut out = Vec::new();
    for row in range.rev().take(limit) {
        out.push(decode("audit", row?.1.value())?);
    }
    Ok(out)
}

/// Re-seals user emails under `next` and rebuilds their index (key rotation).
pub fn reseal_users(
    tx: &WriteTransaction,
    ring: &Keyring,
    next: &crate::crypto::DataKey,
) -> Result<usize, StoreError> {
    let mut users = tx.open_table(USERS)?;
    let mut changed = Vec::new();
    for row in users.iter()? {
        let (key, value) = row?;
        let mut record: UserRecord = decode("user", value.value())?;
        let email = USER_EMAIL.open(ring, key.value(), &record.email, UserEmail::parse)?;
        let aad = crate::crypto::binding(USER_EMAIL.table, key.value(), USER_EMAIL.field);
        record.email = Sealed(crate::crypto::seal_with(
            next,
            &aad,
            email.as_str().as_bytes(),
        ));
        changed.push((
            key.value(),
            encode(&record),
            crate::crypto::index_with(next, email.as_str()),
        ));
    }
    let mut emails = tx.open_table(USER_EMAILS)?;
    emails.retain(|_, _| false)?;
    for (id, bytes, index) in &changed {
        users.insert(*id, bytes.as_slice())?;
        emails.insert(index.as_slice(), *id)?;
    }
    Ok(changed.len())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl super::Store {
    fn read_accounts<T>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction, &Keyring) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        use redb::ReadableDatabase;
        let tx = self.db.get()?.begin_read()?;
        let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
        f(&tx, &ring)
    }

    pub fn user_by_email(&self, email: &UserEmail) -> Result<Option<(User, String)>, StoreError> {
        self.read_accounts(|tx, ring| user_by_email(tx, ring, email))
    }

    pub fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.read_accounts(|tx, ring| user(tx, ring, id))
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read_accounts(users)
    }

    /// Whether any admin account exists. Reads roles only: no email is
    /// opened, since `/ready` asks this on every probe.
    pub fn admin_exists(&self) -> Result<bool, StoreError> {
        self.read_accounts(|tx, _| {
            for row in tx.open_table(USERS)?.iter()? {
                if decode::<UserRecord>("user", row?.1.value())?.role == Role::Admin {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    pub fn session(&self, hash: [u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        self.read_accounts(|tx, _| session(tx, &hash))
    }

    pub fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<TokenInfo>, StoreError> {
        self.read_accounts(|tx, _| token_by_hash(tx, &hash))
    }

    pub fn tokens(&self, owner: Option<Uuid>) -> Result<Vec<TokenInfo>, StoreError> {
        self.read_accounts(|tx, _| tokens(tx, owner))
    }

    pub fn audit_page(
        &self,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.read_accounts(|tx, _| audit_page(tx, before, limit))
    }

    pub async fn create_user(
        &self,
        email: UserEmail,
        role: Role,
        password_hash: String,
        who: AuditContext,
    ) -> Result<User, StoreError> {
        self.writer
            .submit(move |ctx| create_user(ctx, email, role, password_hash, &who))
            .await
    }

    pub async fn delete_user(&self, id: Uuid, who: AuditContext) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| delete_user(ctx, id, &who))
            .await
    }

    pub async fn create_session(
        &self,
        hash: [u8; 32],
        user: Uuid,
        who: AuditContext,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| create_session(ctx, hash, user, &who))
            .await
    }

    pub async fn touch_session(&self, hash: [u8; 32]) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| touch_session(ctx, hash))
            .await
    }

    pub async fn delete_session(
        &self,
        hash: [u8; 32],
        who: Option<AuditContext>,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| delete_session(ctx, hash, who.as_ref()))
            .await
    }

    pub async fn create_token(
        &self,
        user: Uuid,
        name: String,
        hash: [u8; 32],
        who: AuditContext,
    ) -> Result<TokenInfo, StoreError> {
        self.writer
            .submit(move |ctx| create_token(ctx, user, name, hash, &who))
            .await
    }

    pub async fn delete_token(
        &self,
        id: Uuid,
        owner: Option<Uuid>,
        who: AuditContext,
    ) -> Result<bool, StoreError> {
        self.writer
            .submit(move |ctx| delete_token(ctx, id, owner, &who))
            .await
    }

    pub async fn touch_token(&self, id: Uuid) -> Result<(), StoreError> {
        self.writer.submit(move |ctx| touch_token(ctx, id)).await
    }

    /// Records an action that changes nothing else (a failed login, a backup).
    pub async fn audit(
        &self,
        who: AuditContext,
        action: &'static str,
        target: Option<String>,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| audit_only(ctx, &who, action, target))
            .await
    }
}
