//! Accounts: who may do what. Roles are ordered: a viewer reads, an editor
//! also changes projects, checklists and tasks, an admin also manages users,
//! tokens, backups and keys and reads the audit log.

use super::TextError;
use super::text::{FieldProblem, Lines, Problems, bounded_text, redacted_debug, text_conversions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw.trim())
            .ok_or(TextError::Invalid("must be one of viewer, editor, admin"))
    }
}

/// A user's sign-in email, normalised to lower case. Personal data: sealed
/// at rest and found through a keyed index, never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserEmail(String);

impl UserEmail {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        // The same rules as an owner email, except that `admin@localhost`, the
        // development default, has no dot in its domain.
        let trimmed = raw.trim().to_lowercase();
        if trimmed == "admin@localhost" {
            return Ok(Self(trimmed));
        }
        super::OwnerEmail::parse(&trimmed).map(|e| Self(e.as_str().to_owned()))
    }
}

text_conversions!(UserEmail);
redacted_debug!(UserEmail);

/// A password that passed the policy. Never stored: only its argon2id hash is.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 12;

    /// At least 12 characters, and not guessable: zxcvbn's score of 3 or more,
    /// which rejects its bundled lists of common passwords, words and names,
    /// and anything built from the email.
    pub fn parse(raw: &str, email: Option<&UserEmail>) -> Result<Self, TextError> {
        if raw.chars().count() < Self::MIN {
            return Err(TextError::Invalid(
                "password must be at least 12 characters",
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(TextError::Invalid(
                "password must not contain control characters",
            ));
        }
        // The address, and each word of its local part, count as guessable.
        let mut hints: Vec<&str> = vec!["launchpad"];
        if let Some(email) = email {
            hints.push(email.as_str());
            let local = email.as_str().split('@').next().unwrap_or_default();
            hints.extend(
                local
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty()),
            );
        }
        let local = email
            .map(|e| e.as_str().split('@').next().unwrap_or_default())
            .unwrap_or_default();
        if local.chars().count() >= 4 && raw.to_lowercase().contains(local) {
            return Err(TextError::Invalid(
                "password must not contain the email address",
            ));
        }
        let strength = zxcvbn::zxcvbn(raw, &hints);
        if (strength.score() as u8) < 3 {
            return Err(TextError::Invalid(
                "password is too common or too easy to guess; use a longer passphrase of unrelated words",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

redacted_debug!(Password);

bounded_text!(
    /// What an API token is called by its owner ("ci deploy"): one line,
    /// 1–60 characters.
    TokenName,
    1,
    60,
    Lines::Single
);

/// A user to add, every field checked: the one rule set for the API, the
/// CLI and the admin socket.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: UserEmail,
    pub role: Role,
    pub password: Password,
}

impl NewUser {
    /// Checks every field and reports every problem at once.
    pub fn parse(email: &str, role: &str, password: &str) -> Result<Self, Vec<FieldProblem>> {
        let mut problems = Problems::default();
        let email = problems.check("email", UserEmail::parse(email));
        let role = problems.check("role", Role::parse(role));
        let password = match &email {
            Some(email) => problems.check("password", Password::parse(password, Some(email))),
            None => problems.check("password", Password::parse(password, None)),
        };
        problems.finish(|| Self {
            email: email.expect("checked"),
            role: role.expect("checked"),
            password: password.expect("checked"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_viewer_editor_admin() {
        assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Admin);
        assert_eq!(Role::parse("editor"), Ok(Role::Editor));
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn passwords_need_twelve_characters_and_must_not_be_common() {
        assert!(Password::parse("short", None).is_err());
        assert!(Password::parse("password1234", None).is_err());
        assert!(Password::parse("qwertyuiop123", None).is_err());
        assert!(Password::parse("correct horse battery staple 42", None).is_ok());
    }

    #[test]
    fn a_password_built_from_the_email_is_refused() {
        let email = UserEmail::parse("margaret.hamilton@example.com").unwrap();
        assert!(Password::parse("margaret.hamilton1", Some(&email)).is_err());
    }

    #[test]
    fn a_new_user_reports_every_bad_field_at_once() {
        let problems = NewUser::parse("not-an-email", "root", "short").unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["email", "role", "password"]);
    }

    #[test]
    fn token_names_are_one_line_of_one_to_sixty_characters() {
        assert!(TokenName::parse("ci deploy").is_ok());
        assert!(TokenName::parse(" ").is_err());
        assert!(TokenName::parse("ci\u{7}deploy").is_err());
        assert!(TokenName::parse(&"x".repeat(61)).is_err());
    }

    #[test]
    fn user_emails_are_lower_cased_and_redacted_in_debug_output() {
        let email = UserEmail::parse(" Ada@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada@example.com");
        assert!(!format!("{email:?}").contains("ada"));
        assert!(UserEmail::parse("admin@localhost").is_ok());
    }
}
