//! Every redb table LaunchPad stores, in one place.
//!
//! Keys are UUIDs as `u128`, so time-ordered v7 ids sort by creation and a
//! child table's composite key `(parent, child)` keeps a parent's children
//! together and in insertion order. Values are the JSON records of
//! [`super::records`]; JSON keeps old records readable as fields are added.

use redb::TableDefinition;

/// Store-wide facts: schema version, creation time, the id high-water mark.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// `project id` → project record.
pub const PROJECTS: TableDefinition<u128, &[u8]> = TableDefinition::new("projects");

/// `(project id, checklist id)` → checklist record.
pub const CHECKLISTS: TableDefinition<(u128, u128), &[u8]> = TableDefinition::new("checklists");

/// `(checklist id, task id)` → task record.
pub const TASKS: TableDefinition<(u128, u128), &[u8]> = TableDefinition::new("tasks");

/// Keys of the [`META`] table.
pub mod meta_key {
    pub const SCHEMA_VERSION: &str = "schema_version";
    pub const CREATED_AT: &str = "created_at";
    pub const ID_HIGH_WATER: &str = "id_high_water";
}
