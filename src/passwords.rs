//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes).
//!
//! Hashing is slow and memory-hungry on purpose, so it runs on the blocking
//! pool and at most two at a time: a burst of logins cannot exhaust a small
//! instance's memory.

use crate::domain::Password;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// A well-formed hash of a random password, verified against when an
/// account does not exist so that the answer takes as long either way.
static DECOY: LazyLock<String> = LazyLock::new(|| hash_now("decoy password that nobody knows"));

fn hash_now(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("hashing with a fresh salt cannot fail")
        .to_string()
}

/// The argon2id PHC string for `password`.
pub async fn hash(password: &Password) -> String {
    let _permit = HASHING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .expect("hashing does not panic")
}

/// Hashes outside an async runtime (the CLI).
pub fn hash_blocking(password: &Password) -> String {
    hash_now(password.expose())
}

/// Whether `password` matches `stored`; with no stored hash, a decoy is
/// checked so the time taken does not reveal whether the account exists.
pub async fn verify(password: &str, stored: Option<String>) -> bool {
    let _permit = HASHING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let (stored, real) = match stored {
            Some(s) => (s, true),
            None => (DECOY.clone(), false),
        };
        let matches = PasswordHash::new(&stored).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        matches && real
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let password = Password::parse("correct horse battery staple 42", None).unwrap();
        let stored = hash(&password).await;

        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple 42", Some(stored.clone())).await);
        assert!(!verify("correct horse battery staple 43", Some(stored)).await);
        assert!(!verify("decoy password that nobody knows", None).await);
    }
}
