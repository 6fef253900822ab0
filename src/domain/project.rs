//! Projects: the unit a team takes from prototype to production.

use super::text::{Lines, bounded_text, redacted_debug, text_conversions};
use super::{Checklist, Millis, ProjectId, TextError};
use serde::Serialize;
use utoipa::ToSchema;

bounded_text!(
    /// A project's name: 3–50 characters after trimming, one line.
    ProjectName, 3, 50, Lines::Single
);
bounded_text!(
    /// A project's optional description: at most 280 characters.
    Description, 0, 280, Lines::Multi
);

/// The owner's email address. Personal data: sealed at rest, never logged.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OwnerEmail(String);

impl OwnerEmail {
    /// The longest address SMTP can carry (RFC 5321 §4.5.3.1).
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Blank);
        }
        if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(TextError::Invalid(
                "must be a single email address without spaces",
            ));
        }
        let got = trimmed.chars().count();
        if got > Self::MAX {
            return Err(TextError::TooLong {
                max: Self::MAX,
                got,
            });
        }
        // Plain addr-spec only: no display names, no quoted local parts.
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal();
        let valid = email_address::EmailAddress::parse_with_options(trimmed, options).is_ok()
            && !trimmed.starts_with('"')
            && trimmed
                .rsplit_once('@')
                .is_some_and(|(_, d)| d.contains('.'));
        if !valid {
            return Err(TextError::Invalid(
                "must be a valid email address such as name@example.com",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

text_conversions!(OwnerEmail);
// Personal data never reaches a log through `{:?}`.
redacted_debug!(OwnerEmail);

/// A project with its checklists, as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    #[schema(value_type = uuid::Uuid)]
    pub id: ProjectId,
    #[schema(value_type = String, min_length = 3, max_length = 50)]
    pub name: ProjectName,
    #[schema(value_type = Option<String>, max_length = 280)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    #[schema(value_type = Option<String>, format = Email)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<OwnerEmail>,
    #[serde(with = "super::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    #[serde(with = "super::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Millis,
    pub checklists: Vec<Checklist>,
    /// The North Star headline, when one is set (`…/north-star`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub headline: Option<String>,
    /// Present (and true) when the next compliance review date has passed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compliance_review_overdue: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_follow_the_three_to_fifty_character_rule() {
        assert!(ProjectName::parse("abc").is_ok());
        assert!(ProjectName::parse(&"x".repeat(50)).is_ok());
        assert!(ProjectName::parse(&"x".repeat(51)).is_err());
        assert!(ProjectName::parse("ab").is_err());
        // 50 emoji are 200 bytes and still a valid name.
        assert!(ProjectName::parse(&"🚀".repeat(50)).is_ok());
        assert!(ProjectName::parse(&"🚀".repeat(51)).is_err());
        assert!(ProjectName::parse("LaunchPad – v0 Readiness").is_ok());
    }

    #[test]
    fn descriptions_may_be_empty_but_not_longer_than_280() {
        assert_eq!(Description::parse("  ").unwrap().as_str(), "");
        assert!(Description::parse(&"é".repeat(280)).is_ok());
        assert!(Description::parse(&"é".repeat(281)).is_err());
    }

    #[test]
    fn owner_emails_must_be_plain_addresses() {
        assert_eq!(
            OwnerEmail::parse(" ada@example.com ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(OwnerEmail::parse("josé@exämple.org").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a b@example.com",
            "Ada <ada@example.com>",
            "ada@example.com\u{0}",
            "ada@@example.com",
        ] {
            assert!(OwnerEmail::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(OwnerEmail::parse(&long).is_err());
    }

    #[test]
    fn owner_email_debug_output_hides_the_address() {
        let email = OwnerEmail::parse("ada@example.com").unwrap();
        assert!(!format!("{email:?}").contains("ada"));
    }
}
