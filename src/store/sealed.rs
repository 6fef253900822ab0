//! The one list of sealed fields: every personal field the store keeps
//! encrypted, where it lives and how its ciphertext is reached in a row.
//!
//! Key rotation, the migration that first sealed fields, backup verify and
//! the classification report all iterate [`SEALED`]; none of them names a
//! field on its own. A new personal field is sealed everywhere by adding one
//! line here (and, for a field that existed in plain text, a migration that
//! calls [`seal_plain_fields`] with its version). Tests fail when a `pii`
//! field is neither here nor a copy of sealed records.

use super::error::StoreError;
use super::records::{FieldSlot, NOTES, OWNER_EMAIL, Sealed};

use super::tables::{ASSESSMENTS, PROJECTS, TASKS, USER_EMAILS, USERS};
use crate::crypto::{DataKey, Keyring, binding, index_with, seal_with};
use crate::domain::{OwnerEmail, TaskNotes, TextError, UserEmail};
use crate::store::engine::WriteTx;
use redb::TableDefinition;

/// The table a sealed field lives in, typed, and where its key holds the
/// record id the ciphertext is bound to.
#[derive(Clone, Copy)]
pub enum Home {
    /// Keyed by the record id itself.
    Id(TableDefinition<'static, u128, &'static [u8]>),
    /// Keyed by `(parent, record id)`.
    Child(TableDefinition<'static, (u128, u128), &'static [u8]>),
}

/// One sealed field.
pub struct SealedField {
    /// Its table and JSON field name, which the ciphertext is bound to.
    pub slot: FieldSlot,
    pub home: Home,
    /// Re-checks an opened value, so verify proves it still parses.
    pub check: fn(&str) -> Result<(), TextError>,
    /// A keyed lookup index over the plaintext, rebuilt with a new key.
    pub index: Option<TableDefinition<'static, &'static [u8], u128>>,
    /// The schema version from which it is sealed: 2 for fields a migration
    /// sealed, the table's first version for fields sealed from the start.
    pub since: u32,
}

/// Every sealed field.
pub const SEALED: &[SealedField] = &[
    SealedField {
        slot: OWNER_EMAIL,
        home: Home::Id(PROJECTS),
        check: |s| OwnerEmail::parse(s).map(drop),
        index: None,
        since: 2,
    },
    SealedField {
        slot: NOTES,
        home: Home::Child(TASKS),
        check: |s| TaskNotes::parse(s).map(drop),
        index: None,
        since: 2,
    },
    SealedField {
        slot: super::accounts::USER_EMAIL,
        home: Home::Id(USERS),
        check: |s| UserEmail::parse(s).map(drop),
        index: Some(USER_EMAILS),
        since: 4,
    },
    SealedField {
        slot: super::assessments::OWNERS,
        home: Home::Child(ASSESSMENTS),
        check: super::assessments::check_owners,
        index: None,
        since: 5,
    },
    // The planning tables: each row's personal fields, sealed as one value.
    SealedField {
        slot: FieldSlot {
            table: "north_stars",
            field: "sealed",
        },
        home: Home::Child(super::tables::NORTH_STARS),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    SealedField {
        slot: FieldSlot {
            table: "north_star_rows",
            field: "sealed",
        },
        home: Home::Child(super::tables::NORTH_STAR_ROWS),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    SealedField {
        slot: FieldSlot {
            table: "stakeholders",
            field: "sealed",
        },
        home: Home::Child(super::tables::STAKEHOLDERS),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    SealedField {
        slot: FieldSlot {
            table: "compliance",
            field: "sealed",
        },
        home: Home::Child(super::tables::COMPLIANCE),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    SealedField {
        slot: FieldSlot {
            table: "compliance_inventory",
            field: "sealed",
        },
        home: Home::Child(super::tables::COMPLIANCE_INVENTORY),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    SealedField {
        slot: FieldSlot {
            table: "compliance_triggers",
            field: "sealed",
        },
        home: Home::Child(super::tables::COMPLIANCE_TRIGGERS),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    SealedField {
        slot: FieldSlot {
            table: "compliance_vendors",
            field: "sealed",
        },
        home: Home::Child(super::tables::COMPLIANCE_VENDORS),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    SealedField {
        slot: FieldSlot {
            table: "compliance_reviews",
            field: "sealed",
        },
        home: Home::Child(super::tables::COMPLIANCE_REVIEWS),
        check: super::planning::check_sealed,
        index: None,
        since: 6,
    },
    // A kept answer may carry any personal field of what it answers.
    SealedField {
        slot: super::idempotency::ANSWER,
        home: Home::Id(super::tables::IDEMPOTENCY),
        check: super::idempotency::check_answer,
        index: None,
        since: 7,
    },
];

/// Whether `table.field` is sealed.
pub fn is_sealed(table: &str, field: &str) -> bool {
    SEALED
        .iter()
        .any(|f| f.slot.table == table && f.slot.field == field)
}

/// The sealed fields of one table.
pub fn in_table(table: &str) -> impl Iterator<Item = &'static SealedField> + '_ {
    SEALED.iter().filter(move |f| f.slot.table == table)
}

impl SealedField {
    /// The record id in a raw key, as a backup frame carries it.
    pub fn record_id(&self, key: &[u8]) -> Option<u128> {
        let bytes = match self.home {
            Home::Id(_) => key.get(..16)?,
            Home::Child(_) => key.get(16..32)?,
        };
        Some(u128::from_be_bytes(bytes.try_into().ok()?))
    }

    /// The field's ciphertext in a JSON row, if the row has one.
    pub fn ciphertext(&self, row: &[u8]) -> Result<Option<Sealed>, StoreError> {
        let value: serde_json::Value = serde_json::from_slice(row)
            .map_err(|e| StoreError::Corrupt(format!("a {} row: {e}", self.slot.table)))?;
        match value.get(self.slot.field) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(sealed) => serde_json::from_value(sealed.clone())
                .map(Some)
                .map_err(|e| {
                    StoreError::Corrupt(format!("{}.{}: {e}", self.slot.table, self.slot.field))
                }),
        }
    }

    /// Opens the field of a raw row and checks it parses; `false` when the
    /// row has none.
    pub fn open_in_row(&self, ring: &Keyring, key: &[u8], row: &[u8]) -> Result<bool, StoreError> {
        let Some(sealed) = self.ciphertext(row)? else {
            return Ok(false);
        };
        let id = self
            .record_id(key)
            .ok_or_else(|| StoreError::Corrupt(format!("a {} key", self.slot.table)))?;
        self.slot.open(ring, id, &sealed, self.check)?;
        Ok(true)
    }

    /// `row` with the field replaced by `sealed`.
    fn with_ciphertext(&self, row: &[u8], sealed: &Sealed) -> Result<Vec<u8>, StoreError> {
        let mut value: serde_json::Value = serde_json::from_slice(row)
            .map_err(|e| StoreError::Corrupt(format!("a {} row: {e}", self.slot.table)))?;
        value[self.slot.field] = serde_json::to_value(sealed).expect("sealed bytes serialize");
        Ok(serde_json::to_vec(&value).expect("JSON re-serializes"))
    }
}

/// Every row of a sealed field's table, as (record id, key, row) for
/// rewriting: the key in whichever form the table takes.
enum Key {
    Id(u128),
    Child((u128, u128)),
}

fn rows(tx: &WriteTx, home: Home) -> Result<Vec<(u128, Key, Vec<u8>)>, StoreError> {
    let mut out = Vec::new();
    match home {
        Home::Id(def) => {
            for row in tx.open_table(def)?.iter()? {
                let (key, value) = row?;
                out.push((key.value(), Key::Id(key.value()), value.value().to_vec()));
            }
        }
        Home::Child(def) => {
            for row in tx.open_table(def)?.iter()? {
                let (key, value) = row?;
                let key = key.value();
                out.push((key.1, Key::Child(key), value.value().to_vec()));
            }
        }
    }
    Ok(out)
}

fn put(tx: &WriteTx, home: Home, key: Key, row: &[u8]) -> Result<(), StoreError> {
    match (home, key) {
        (Home::Id(def), Key::Id(key)) => drop(tx.open_table(def)?.insert(key, row)?),
        (Home::Child(def), Key::Child(key)) => drop(tx.open_table(def)?.insert(key, row)?),
        _ => unreachable!("a key always comes from its own table"),
    }
    Ok(())
}

/// Re-seals every sealed field under `next` and rebuilds the lookup
/// indexes, in `tx` (key rotation). Returns the number of fields re-sealed.
pub fn reseal_all(tx: &WriteTx, ring: &Keyring, next: &DataKey) -> Result<usize, StoreError> {
    let mut count = 0;
    for field in SEALED {
        let mut index = Vec::new();
        for (id, key, row) in rows(tx, field.home)? {
            let Some(sealed) = field.ciphertext(&row)? else {
                continue;
            };
            let aad = binding(field.slot.table, id, field.slot.field);
            let plain = ring.open(&aad, &sealed.0).map_err(|e| {
                StoreError::Corrupt(format!(
                    "{}.{} of {id:032x}: {e}",
                    field.slot.table, field.slot.field
                ))
            })?;
            let resealed = Sealed(seal_with(next, &aad, &plain));
            put(
                tx,
                field.home,
                key,
                &field.with_ciphertext(&row, &resealed)?,
            )?;
            if field.index.is_some() {
                let text = std::str::from_utf8(&plain)
                    .map_err(|_| StoreError::Corrupt("an indexed field is not UTF-8".into()))?;
                index.push((index_with(next, text), id));
            }
            count += 1;
        }
        if let Some(def) = field.index {
            let mut table = tx.open_table(def)?;
            table.retain(|_, _| false)?;
            for (digest, id) in &index {
                table.insert(digest.as_slice(), *id)?;
            }
        }
    }
    Ok(count)
}

/// Seals the fields that schema `version` began sealing, in rows that
/// still hold them as plain strings (the migration to that version).
pub fn seal_plain_fields(tx: &WriteTx, ring: &Keyring, version: u32) -> Result<(), StoreError> {
    for field in SEALED.iter().filter(|f| f.since == version) {
        for (id, key, row) in rows(tx, field.home)? {
            let value: serde_json::Value = serde_json::from_slice(&row)
                .map_err(|e| StoreError::Corrupt(format!("a {} row: {e}", field.slot.table)))?;
            let Some(plain) = value.get(field.slot.field).and_then(|v| v.as_str()) else {
                continue;
            };
            let sealed = field.slot.seal(ring, id, plain);
            put(tx, field.home, key, &field.with_ciphertext(&row, &sealed)?)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::classification::{Class, FIELDS};

    #[test]
    fn every_sealed_field_is_classified_personal_data() {
        for field in SEALED {
            let class = FIELDS
                .iter()
                .find(|f| f.table == field.slot.table && f.field == field.slot.field)
                .map(|f| f.class);
            assert_eq!(
                class,
                Some(Class::Pii),
                "{}.{}",
                field.slot.table,
                field.slot.field
            );
        }
    }

    #[test]
    fn every_personal_field_is_sealed_or_a_copy_of_sealed_records() {
        for field in FIELDS.iter().filter(|f| f.class == Class::Pii) {
            assert!(
                is_sealed(field.table, field.field)
                    || (field.table, field.field) == ("journal", "record"),
                "{}.{} is personal data but not in SEALED",
                field.table,
                field.field
            );
        }
    }

    #[test]
    fn the_record_id_comes_from_the_right_half_of_the_key() {
        let key: Vec<u8> = [7u128.to_be_bytes(), 9u128.to_be_bytes()].concat();
        let notes = SEALED.iter().find(|f| f.slot.field == "notes").unwrap();
        let owner = SEALED
            .iter()
            .find(|f| f.slot.field == "owner_email")
            .unwrap();
        assert_eq!(notes.record_id(&key), Some(9));
        assert_eq!(owner.record_id(&key[..16]), Some(7));
    }
}
