//! API tokens: a name and an owner, found by the digest of their secret,
//! which is shown once and never stored.

use super::audit::{AuditContext, audit};
use crate::crypto::SecretDigest;
use crate::domain::{Millis, TokenId, TokenName, UserId, rfc3339};
use crate::store::error::StoreError;
use crate::store::records::{decode, encode};
use crate::store::tables::{TOKEN_HASHES, TOKENS, USERS};
use crate::store::writer::WriteCtx;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    pub user: UserId,
    /// Kept as written: names from before [`TokenName`]'s rules still load.
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
    #[schema(value_type = uuid::Uuid)]
    pub id: TokenId,
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
    pub name: String,
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(
        serialize_with = "optional_time",
        skip_serializing_if = "Option::is_none"
    )]
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
            id: TokenId::from_u128(id),
            user_id: self.user,
            name: self.name.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }

    fn digest(&self) -> Result<SecretDigest, StoreError> {
        SecretDigest::from_hex(&self.hash)
            .ok_or_else(|| StoreError::Corrupt("a token's digest is not 64 hex digits".into()))
    }
}

pub fn create_token(
    ctx: &mut WriteCtx<'_>,
    user: UserId,
    name: TokenName,
    digest: SecretDigest,
    who: &AuditContext,
) -> Result<TokenInfo, StoreError> {
    if ctx.tx.open_table(USERS)?.get(user.as_u128())?.is_none() {
        return Err(StoreError::Conflict(format!("user {user} does not exist")));
    }
    let id = ctx.mint_id();
    let stamp = ctx.stamp();
    let record = TokenRecord {
        user,
        name: name.into(),
        hash: digest.to_hex(),
        created_at: ctx.now,
        last_used_at: None,
    };
    ctx.tx
        .open_table(TOKENS)?
        .insert(id, encode(&record).as_slice())?;
    ctx.tx
        .open_table(TOKEN_HASHES)?
        .insert(digest.as_bytes().as_slice(), id)?;
    audit(
        ctx.tx,
        stamp,
        who,
        "token.create",
        Some(format!("token:{}", TokenId::from_u128(id))),
    )?;
    Ok(record.info(id))
}

/// Revokes a token; `owner` limits it to that user's tokens (non-admins).
pub fn delete_token(
    ctx: &mut WriteCtx<'_>,
    id: TokenId,
    owner: Option<UserId>,
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
        .remove(record.digest()?.as_bytes().as_slice())?;
    audit(
        ctx.tx,
        stamp,
        who,
        "token.revoke",
        Some(format!("token:{id}")),
    )?;
    Ok(true)
}

/// Revokes every token of `user` (their account was deleted).
pub fn delete_tokens_of(ctx: &mut WriteCtx<'_>, user: UserId) -> Result<(), StoreError> {
    let mut tokens = ctx.tx.open_table(TOKENS)?;
    let mut hashes = ctx.tx.open_table(TOKEN_HASHES)?;
    let mut owned = Vec::new();
    for row in tokens.iter()? {
        let (key, value) = row?;
        let token: TokenRecord = decode("token", value.value())?;
        if token.user == user {
            owned.push((key.value(), token.digest()?));
        }
    }
    for (token, digest) in owned {
        tokens.remove(token)?;
        hashes.remove(digest.as_bytes().as_slice())?;
    }
    Ok(())
}

pub fn touch_token(ctx: &mut WriteCtx<'_>, id: TokenId) -> Result<(), StoreError> {
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

pub fn token_by_digest(
    tx: &redb::ReadTransaction,
    digest: &SecretDigest,
) -> Result<Option<TokenInfo>, StoreError> {
    let Some(id) = tx
        .open_table(TOKEN_HASHES)?
        .get(digest.as_bytes().as_slice())?
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
    owner: Option<UserId>,
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
