//! The readiness domain: projects hold checklists, checklists hold tasks.
//!
//! Every value that arrives from outside is parsed here into a type that can
//! only hold a valid value ("parse, don't validate"). The store and the HTTP
//! layer trade in these types, so a rule lives in exactly one place. Nothing
//! in this module does I/O.

pub mod assessment;
mod changes;
mod checklist;
mod ids;
pub mod planning;
mod project;
pub mod scorecard;
mod task;
pub mod template;
mod text;
mod user;
mod version;

pub use assessment::{Assessment, NewAssessment, Pillar, PillarScore, Score};
pub use changes::{NewChecklist, NewProject, NewTask, ProjectChanges, TaskChanges};
pub use checklist::{Checklist, ChecklistName};
pub use ids::{AssessmentId, ChecklistId, ProjectId, TaskId, TemplateId, TokenId, UserId};
pub use project::{Description, OwnerEmail, Project, ProjectName};
pub use scorecard::Level;
pub use task::{DueDate, Task, TaskNotes, TaskStatus, TaskTitle};
pub use text::{FieldProblem, Lines, Problems, TextError, WHITE_SPACE, schema_pattern};
pub use user::{NewUser, Password, Role, TokenName, UserEmail};
pub use version::{Expected, Version};

/// Milliseconds since the Unix epoch, UTC. Stored as an integer and shown as
/// RFC 3339 with millisecond precision, as the prototype's clients expect.
pub type Millis = i64;

/// The current time in [`Millis`].
pub fn now_millis() -> Millis {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as Millis
}

/// Serde helpers for a field that must be a JSON object. Derived structs
/// also accept an array of their fields in order, which no client means to
/// send; these refuse it and keep the path of an error inside the object.
pub mod object {
    use serde::de::value::MapAccessDeserializer;
    use serde::de::{DeserializeOwned, MapAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use std::marker::PhantomData;

    struct Object<T>(T);

    impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Only<T>(PhantomData<T>);
            impl<'de, T: DeserializeOwned> Visitor<'de> for Only<T> {
                type Value = Object<T>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                    T::deserialize(MapAccessDeserializer::new(map)).map(Object)
                }
            }
            d.deserialize_map(Only(PhantomData))
        }
    }

    /// An optional object: absent or `null` is `None`.
    pub fn optional<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<Object<T>>::deserialize(d).map(|o| o.map(|Object(t)| t))
    }

    /// A list of objects.
    pub fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
        Vec::<Object<T>>::deserialize(d).map(|v| v.into_iter().map(|Object(t)| t).collect())
    }
}

/// Serde helpers that render [`Millis`] as RFC 3339 UTC text.
pub mod rfc3339 {
    use serde::Serializer;
    use time::format_description::well_known::Rfc3339;

    pub fn format(millis: super::Millis) -> String {
        let nanos = i128::from(millis) * 1_000_000;
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        // Rfc3339 prints only the significant fraction digits; pad to the
        // three that JavaScript's toISOString() produces.
        let text = at.format(&Rfc3339).unwrap_or_default();
        match text.find('.') {
            Some(dot) => {
                let fraction_end = text.len() - 1;
                let digits = &text[dot + 1..fraction_end];
                format!("{}.{:0<3}Z", &text[..dot], &digits[..digits.len().min(3)])
            }
            None => format!("{}.000Z", &text[..text.len() - 1]),
        }
    }

    pub fn serialize<S: Serializer>(millis: &super::Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*millis))
    }

    /// Parses RFC 3339 text (any offset) into [`super::Millis`].
    pub fn parse(text: &str) -> Result<super::Millis, time::error::Parse> {
        let at = time::OffsetDateTime::parse(text, &Rfc3339)?;
        Ok((at.unix_timestamp_nanos() / 1_000_000) as super::Millis)
    }

    /// Both directions, for fields read back from JSON (the journal).
    pub mod text {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            millis: &crate::domain::Millis,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            super::serialize(millis, s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<crate::domain::Millis, D::Error> {
            let text = String::deserialize(d)?;
            super::parse(&text).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn timestamps_render_as_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339::format(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339::format(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            rfc3339::format(1_700_000_000_100),
            "2023-11-14T22:13:20.100Z"
        );
    }
}
