//! Accounts in the store: users, sessions, API tokens and the audit log,
//! one module per record kind. Audited changes write their audit entry in
//! the same transaction. The rules for what may be created (a valid email,
//! a strong password, a token name) live in the account service,
//! [`crate::accounts`]; this layer keeps what it is given.

mod audit;
mod sessions;
mod tokens;
mod users;

pub use audit::{AuditContext, AuditEntry, audit};
pub use sessions::SessionRecord;
pub use tokens::{TokenInfo, TokenRecord};
pub use users::{USER_EMAIL, User, UserRecord};

use super::error::StoreError;
use crate::crypto::{Keyring, SecretDigest};
use crate::domain::{Role, TokenId, TokenName, UserEmail, UserId};
use crate::store::engine::ReadTx;
use uuid::Uuid;

impl super::Store {
    fn read_accounts<T>(
        &self,
        f: impl FnOnce(&ReadTx, &Keyring) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.db.get()?.begin_read()?;
        let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
        f(&tx, &ring)
    }

    pub fn user_by_email(&self, email: &UserEmail) -> Result<Option<(User, String)>, StoreError> {
        self.read_accounts(|tx, ring| users::user_by_email(tx, ring, email))
    }

    pub fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read_accounts(|tx, ring| users::user(tx, ring, id))
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read_accounts(users::users)
    }

    /// Whether any admin account exists. Reads roles only: no email is
    /// opened, since `/ready` asks this on every probe.
    pub fn admin_exists(&self) -> Result<bool, StoreError> {
        self.read_accounts(|tx, _| users::admin_exists(tx))
    }

    pub fn session(&self, digest: SecretDigest) -> Result<Option<SessionRecord>, StoreError> {
        self.read_accounts(|tx, _| sessions::session(tx, &digest))
    }

    pub fn token_by_digest(&self, digest: SecretDigest) -> Result<Option<TokenInfo>, StoreError> {
        self.read_accounts(|tx, _| tokens::token_by_digest(tx, &digest))
    }

    pub fn tokens(&self, owner: Option<UserId>) -> Result<Vec<TokenInfo>, StoreError> {
        self.read_accounts(|tx, _| tokens::tokens(tx, owner))
    }

    pub fn audit_page(
        &self,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.read_accounts(|tx, _| audit::audit_page(tx, before, limit))
    }

    pub async fn create_user(
        &self,
        email: UserEmail,
        role: Role,
        password_hash: String,
        who: AuditContext,
    ) -> Result<User, StoreError> {
        self.writer
            .submit(move |ctx| users::create_user(ctx, email, role, password_hash, &who))
            .await
    }

    pub async fn delete_user(&self, id: UserId, who: AuditContext) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| users::delete_user(ctx, id, &who))
            .await
    }

    pub async fn create_session(
        &self,
        digest: SecretDigest,
        user: UserId,
        who: AuditContext,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| sessions::create_session(ctx, digest, user, &who))
            .await
    }

    pub async fn touch_session(&self, digest: SecretDigest) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| sessions::touch_session(ctx, digest))
            .await
    }

    pub async fn delete_session(
        &self,
        digest: SecretDigest,
        who: Option<AuditContext>,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| sessions::delete_session(ctx, digest, who.as_ref()))
            .await
    }

    pub async fn create_token(
        &self,
        user: UserId,
        name: TokenName,
        digest: SecretDigest,
        who: AuditContext,
    ) -> Result<TokenInfo, StoreError> {
        self.writer
            .submit(move |ctx| tokens::create_token(ctx, user, name, digest, &who))
            .await
    }

    pub async fn delete_token(
        &self,
        id: TokenId,
        owner: Option<UserId>,
        who: AuditContext,
    ) -> Result<bool, StoreError> {
        self.writer
            .submit(move |ctx| tokens::delete_token(ctx, id, owner, &who))
            .await
    }

    pub async fn touch_token(&self, id: TokenId) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| tokens::touch_token(ctx, id))
            .await
    }

    /// Records an action that changes nothing else (a failed login, a backup).
    pub async fn audit(
        &self,
        who: AuditContext,
        action: &'static str,
        target: Option<String>,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| audit::audit_only(ctx, &who, action, target))
            .await
    }
}
