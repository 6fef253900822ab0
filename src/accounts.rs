//! The account service: adding users, creating tokens, signing in and out,
//! and resolving a caller's credentials. The HTTP routes, the CLI and the
//! admin socket all call these functions, so every surface applies the same
//! rules (a valid email, a strong password, a one-line token name) and
//! reports the same problems.
//!
//! Secrets are minted here and leave only once, in the answer to their
//! creator: the store keeps their SHA-256 digests.

use crate::crypto::{SecretDigest, random_secret};
use crate::domain::{FieldProblem, NewUser, TokenName, UserEmail, UserId, now_millis};
use crate::limits::Limits;
use crate::passwords;
use crate::store::accounts::{AuditContext, TokenInfo, User};
use crate::store::{Store, StoreError};
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Fields a request got wrong; every one is named.
    #[error("{}", describe(.0))]
    Invalid(Vec<FieldProblem>),
    #[error("no user has that email; add one with `launchpad user add`")]
    NoSuchUser,
    #[error("the email or password is wrong")]
    WrongCredentials,
    #[error("too many sign-in attempts; retry in {} s", .0.as_secs().max(1))]
    RateLimited(Duration),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Adds a user with a checked password.
pub async fn add_user(
    store: &Store,
    email: &str,
    role: &str,
    password: &str,
    who: AuditContext,
) -> Result<User, AccountError> {
    let new = NewUser::parse(email, role, password).map_err(AccountError::Invalid)?;
    let hash = passwords::hash(&new.password).await;
    Ok(store.create_user(new.email, new.role, hash, who).await?)
}

/// A new token and its secret, which is shown once.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub info: TokenInfo,
    pub secret: String,
}

fn token_name(raw: &str) -> Result<TokenName, AccountError> {
    TokenName::parse(raw)
        .map_err(|e| AccountError::Invalid(vec![FieldProblem::new("name", e.to_string())]))
}

/// Creates a token for `user`.
pub async fn create_token(
    store: &Store,
    user: UserId,
    name: &str,
    who: AuditContext,
) -> Result<CreatedToken, AccountError> {
    let name = token_name(name)?;
    let secret = random_secret("lp_", 32);
    let info = store
        .create_token(user, name, SecretDigest::of(&secret), who)
        .await?;
    Ok(CreatedToken { info, secret })
}

/// Creates a token for the user with `email` (the operator's commands).
pub async fn create_token_for(
    store: &Store,
    email: &str,
    name: &str,
    who: AuditContext,
) -> Result<CreatedToken, AccountError> {
    let mut problems = Vec::new();
    let email = UserEmail::parse(email)
        .map_err(|e| problems.push(FieldProblem::new("email", e.to_string())))
        .ok();
    if let Err(AccountError::Invalid(mut more)) = token_name(name) {
        problems.append(&mut more);
    }
    let Some(email) = email.filter(|_| problems.is_empty()) else {
        return Err(AccountError::Invalid(problems));
    };
    let (user, _) = store
        .blocking(move |store| store.user_by_email(&email))
        .await?
        .ok_or(AccountError::NoSuchUser)?;
    create_token(store, user.id, name, who).await
}

/// A signed-in user and the session secret for their cookie.
pub struct SignedIn {
    pub user: User,
    pub session: String,
}

/// Checks an email and password against the sign-in limits, records the
/// attempt in the audit log, and on success opens a session. A wrong
/// password and an unknown email are one answer, in the same time.
pub async fn sign_in(
    store: &Store,
    limits: &Limits,
    ip: IpAddr,
    email: &str,
    password: &str,
    who: AuditContext,
) -> Result<SignedIn, AccountError> {
    // Limits count attempts per account without keeping the email itself.
    let account = *SecretDigest::of(&email.trim().to_lowercase()).as_bytes();
    // On PostgreSQL the limits are the database's, shared by every instance.
    let shared = store.postgres();
    let account_key = [b"account:".as_slice(), &account].concat();
    match &shared {
        Some(pg) => {
            let keys = vec![format!("ip:{ip}").into_bytes(), account_key.clone()];
            if let Err(wait) = pg.login_attempt(keys, limits.login_per_minute()).await? {
                limits.count_login_refusal();
                return Err(AccountError::RateLimited(wait));
            }
        }
        None => limits
            .check_login(ip, &account)
            .map_err(AccountError::RateLimited)?,
    }
    let found = match UserEmail::parse(email) {
        Ok(email) => {
            store
                .blocking(move |store| store.user_by_email(&email))
                .await?
        }
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verified = passwords::verify(password, hash).await;
    let user = match user {
        Some(user) if verified => user,
        other => {
            match &shared {
                Some(pg) => pg.login_failed(account_key).await?,
                None => limits.login_failed(&account),
            }
            let target = other.map(|u| format!("user:{}", u.id));
            store.audit(who, "login.failure", target).await?;
            return Err(AccountError::WrongCredentials);
        }
    };
    match &shared {
        Some(pg) => pg.login_succeeded(account_key).await?,
        None => limits.login_succeeded(&account),
    }
    let session = random_secret("", 32);
    store
        .create_session(SecretDigest::of(&session), user.id, who)
        .await?;
    Ok(SignedIn { user, session })
}

/// How long sessions last, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub max: Duration,
}

/// What a presented credential turned out to be.
pub enum Credential {
    /// A valid token of this user.
    Token(User, TokenInfo),
    /// A live session of this user.
    Session(User, SecretDigest),
    /// Unknown, revoked, or its user is gone.
    Invalid(&'static str),
}

/// Resolves a bearer token, noting its use at most once a minute.
pub async fn by_token(store: &Store, secret: &str) -> Result<Credential, StoreError> {
    let digest = SecretDigest::of(secret);
    let found = store
        .blocking(move |store| {
            let Some(token) = store.token_by_digest(digest)? else {
                return Ok(None);
            };
            Ok(store.user(token.user_id)?.map(|user| (user, token)))
        })
        .await?;
    let Some((user, token)) = found else {
        return Ok(Credential::Invalid(
            "the API token is not valid or was revoked",
        ));
    };
    if token
        .last_used_at
        .is_none_or(|at| now_millis() - at > 60_000)
    {
        store.touch_token(token.id).await?;
    }
    Ok(Credential::Token(user, token))
}

/// Resolves a session secret under `policy`: an expired session is ended;
/// a live one is kept alive (its last-seen time is written at most every
/// quarter of the idle timeout, and at most once a minute).
pub async fn by_session(
    store: &Store,
    secret: &str,
    policy: SessionPolicy,
) -> Result<Credential, StoreError> {
    let digest = SecretDigest::of(secret);
    let found = store
        .blocking(move |store| {
            let Some(session) = store.session(digest)? else {
                return Ok(None);
            };
            Ok(store.user(session.user)?.map(|user| (user, session)))
        })
        .await?;
    let Some((user, session)) = found else {
        return Ok(Credential::Invalid("the session has ended; sign in again"));
    };
    let now = now_millis();
    let idle_ms = policy.idle.as_millis() as i64;
    let expired = now - session.last_seen_at > idle_ms
        || now - session.created_at > policy.max.as_millis() as i64;
    if expired {
        store.delete_session(digest, None).await?;
        return Ok(Credential::Invalid(
            "the session has expired; sign in again",
        ));
    }
    if now - session.last_seen_at > (idle_ms / 4).min(60_000) {
        store.touch_session(digest).await?;
    }
    Ok(Credential::Session(user, digest))
}

/// Ends a session, recording the sign-out.
pub async fn sign_out(
    store: &Store,
    session: SecretDigest,
    who: AuditContext,
) -> Result<(), StoreError> {
    store.delete_session(session, Some(who)).await
}

/// The initial development account: `admin@localhost` with a random
/// password, created only on a store without users. Returns the password.
pub async fn create_initial_admin(store: &Store) -> Result<Option<String>, AccountError> {
    if !store.blocking(|store| store.users()).await?.is_empty() {
        return Ok(None);
    }
    let secret = random_secret("", 18);
    add_user(
        store,
        "admin@localhost",
        "admin",
        &secret,
        AuditContext::local(),
    )
    .await?;
    Ok(Some(secret))
}
