//! Identifier newtypes, so a task id can never be passed where a project id
//! is expected. LaunchPad mints time-ordered UUIDv7 ids (they keep redb's
//! B-tree appends local and keep insertion order); paths accept any UUID.

use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Parses any valid UUID in its hyphenated, simple, braced or URN form.
            pub fn parse(raw: &str) -> Result<Self, uuid::Error> {
                Uuid::try_parse(raw).map(Self)
            }

            pub fn from_u128(raw: u128) -> Self {
                Self(Uuid::from_u128(raw))
            }

            pub fn as_u128(self) -> u128 {
                self.0.as_u128()
            }

            pub fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a project.
    ProjectId
);
id_type!(
    /// Identifies a checklist within a project.
    ChecklistId
);
id_type!(
    /// Identifies a task within a checklist.
    TaskId
);
id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies one recorded assessment of a project.
    AssessmentId
);
id_type!(
    /// Identifies a custom checklist template.
    TemplateId
);
id_type!(
    /// Identifies an API token (never its secret).
    TokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_valid_uuid_is_accepted_not_only_v7() {
        assert!(ProjectId::parse("6f1c2b8e-4a1d-4c1e-9f0a-1b2c3d4e5f60").is_ok());
        assert!(ProjectId::parse("00000000-0000-0000-0000-000000000000").is_ok());
    }

    #[test]
    fn non_uuids_are_refused() {
        for raw in [
            "",
            "1",
            "not-a-uuid",
            "6f1c2b8e-4a1d-4c1e-9f0a-1b2c3d4e5f6",
            "../etc/passwd",
        ] {
            assert!(ProjectId::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn ids_round_trip_through_their_integer_key() {
        let id = TaskId::parse("0190f5a2-7b3c-7def-8abc-0123456789ab").unwrap();
        assert_eq!(TaskId::from_u128(id.as_u128()), id);
        assert_eq!(id.to_string(), "0190f5a2-7b3c-7def-8abc-0123456789ab");
    }
}
