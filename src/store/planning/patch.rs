//! Changing a planning row: a JSON merge patch on its whole value, read
//! back as the row's kind so a type error names its field.

use super::{PlanError, PlanKind};
use crate::domain::FieldProblem;
use serde_json::{Map, Value};

/// RFC 7396: an object merges key by key, `null` removes, anything else replaces.
pub fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(&key);
            }
            Value::Object(inner) => match target.get_mut(&key) {
                Some(Value::Object(existing)) => merge(existing, inner),
                _ => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, inner);
                    target.insert(key, Value::Object(fresh));
                }
            },
            other => {
                target.insert(key, other);
            }
        }
    }
}

/// A merged value as kind `K`, a type error naming its field.
pub fn parse<K: PlanKind>(value: Map<String, Value>) -> Result<K, PlanError> {
    serde_path_to_error::deserialize(Value::Object(value)).map_err(|e| {
        let field = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing field is reported at the top, naming it in backticks.
        let field = if field == "." {
            message
                .split('`')
                .nth(1)
                .map_or_else(|| "body".to_owned(), str::to_owned)
        } else {
            field
        };
        PlanError::Invalid(vec![FieldProblem::new(field, message)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_replaces_clears_and_keeps() {
        let mut value = json!({ "a": 1, "b": 2, "c": { "d": 3, "e": 4 } })
            .as_object()
            .unwrap()
            .clone();
        let patch = json!({ "a": 9, "b": null, "c": { "e": null, "f": 5 } });
        merge(&mut value, patch.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(value),
            json!({ "a": 9, "c": { "d": 3, "f": 5 } })
        );
    }
}
