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

/// `event id` → journal event, in commit order (ids are time-ordered).
pub const JOURNAL: TableDefinition<u128, &[u8]> = TableDefinition::new("journal");

/// `user id` → user record (email sealed, password as an argon2id hash).
pub const USERS: TableDefinition<u128, &[u8]> = TableDefinition::new("users");

/// keyed index of a user's email (see [`crate::crypto::index_with`]) → user id.
pub const USER_EMAILS: TableDefinition<&[u8], u128> = TableDefinition::new("user_emails");

/// SHA-256 of a session secret → session record.
pub const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions");

/// `token id` → token record (the secret only as its SHA-256).
pub const TOKENS: TableDefinition<u128, &[u8]> = TableDefinition::new("tokens");

/// SHA-256 of a token secret → token id.
pub const TOKEN_HASHES: TableDefinition<&[u8], u128> = TableDefinition::new("token_hashes");

/// `entry id` (time-ordered) → audit entry. Append-only.
pub const AUDIT: TableDefinition<u128, &[u8]> = TableDefinition::new("audit");

/// `(project id, assessment id)` → assessment record. Append-only.
pub const ASSESSMENTS: TableDefinition<(u128, u128), &[u8]> = TableDefinition::new("assessments");

/// `template id` → a custom checklist template (the built-in ones live in code).
pub const TEMPLATES: TableDefinition<u128, &[u8]> = TableDefinition::new("templates");

/// digest of a caller's scope and `Idempotency-Key` → the first answer to
/// that request, kept a day (see [`super::idempotency`]).
pub const IDEMPOTENCY: TableDefinition<u128, &[u8]> = TableDefinition::new("idempotency");

/// The planning tables, each `(project id, row id)` → planning record. The
/// one-per-project records (the North Star headline, the compliance rhythm)
/// use the project's id as their row id.
pub const NORTH_STARS: TableDefinition<(u128, u128), &[u8]> = TableDefinition::new("north_stars");
pub const NORTH_STAR_ROWS: TableDefinition<(u128, u128), &[u8]> =
    TableDefinition::new("north_star_rows");
pub const STAKEHOLDERS: TableDefinition<(u128, u128), &[u8]> = TableDefinition::new("stakeholders");
pub const COMPLIANCE: TableDefinition<(u128, u128), &[u8]> = TableDefinition::new("compliance");
pub const COMPLIANCE_INVENTORY: TableDefinition<(u128, u128), &[u8]> =
    TableDefinition::new("compliance_inventory");
pub const COMPLIANCE_TRIGGERS: TableDefinition<(u128, u128), &[u8]> =
    TableDefinition::new("compliance_triggers");
pub const COMPLIANCE_VENDORS: TableDefinition<(u128, u128), &[u8]> =
    TableDefinition::new("compliance_vendors");
pub const COMPLIANCE_REVIEWS: TableDefinition<(u128, u128), &[u8]> =
    TableDefinition::new("compliance_reviews");

/// The name of every table above; PostgreSQL's schema creates each.
pub const ALL: &[&str] = &[
    "meta",
    "projects",
    "checklists",
    "tasks",
    "journal",
    "users",
    "user_emails",
    "sessions",
    "tokens",
    "token_hashes",
    "audit",
    "assessments",
    "templates",
    "idempotency",
    "north_stars",
    "north_star_rows",
    "stakeholders",
    "compliance",
    "compliance_inventory",
    "compliance_triggers",
    "compliance_vendors",
    "compliance_reviews",
];

/// Every planning table, in backup order.
pub const PLANNING: &[TableDefinition<'static, (u128, u128), &'static [u8]>] = &[
    NORTH_STARS,
    NORTH_STAR_ROWS,
    STAKEHOLDERS,
    COMPLIANCE,
    COMPLIANCE_INVENTORY,
    COMPLIANCE_TRIGGERS,
    COMPLIANCE_VENDORS,
    COMPLIANCE_REVIEWS,
];

/// Where a row table keeps its rows: under a project, or on its own.
#[derive(Clone, Copy)]
pub enum RowHome {
    /// Keyed `(project id, row id)`; deleted with its project.
    Project(TableDefinition<'static, (u128, u128), &'static [u8]>),
    /// Keyed by the row id alone.
    Own(TableDefinition<'static, u128, &'static [u8]>),
}

/// A table of independent rows, changed by generic `row.put` and
/// `row.delete` journal events.
#[derive(Clone, Copy)]
pub struct RowTable {
    pub name: &'static str,
    pub home: RowHome,
}

/// Every row table. The journal replays them by name, and deleting a
/// project deletes its rows in each `Project` table.
pub const ROW_TABLES: &[RowTable] = &[
    RowTable {
        name: "assessments",
        home: RowHome::Project(ASSESSMENTS),
    },
    RowTable {
        name: "templates",
        home: RowHome::Own(TEMPLATES),
    },
    RowTable {
        name: "north_stars",
        home: RowHome::Project(NORTH_STARS),
    },
    RowTable {
        name: "north_star_rows",
        home: RowHome::Project(NORTH_STAR_ROWS),
    },
    RowTable {
        name: "stakeholders",
        home: RowHome::Project(STAKEHOLDERS),
    },
    RowTable {
        name: "compliance",
        home: RowHome::Project(COMPLIANCE),
    },
    RowTable {
        name: "compliance_inventory",
        home: RowHome::Project(COMPLIANCE_INVENTORY),
    },
    RowTable {
        name: "compliance_triggers",
        home: RowHome::Project(COMPLIANCE_TRIGGERS),
    },
    RowTable {
        name: "compliance_vendors",
        home: RowHome::Project(COMPLIANCE_VENDORS),
    },
    RowTable {
        name: "compliance_reviews",
        home: RowHome::Project(COMPLIANCE_REVIEWS),
    },
    RowTable {
        name: "idempotency",
        home: RowHome::Own(IDEMPOTENCY),
    },
];

/// The row table called `name`.
pub fn row_table(name: &str) -> Option<RowTable> {
    ROW_TABLES.iter().find(|t| t.name == name).copied()
}

/// Keys of the [`META`] table.
pub mod meta_key {
    pub const SCHEMA_VERSION: &str = "schema_version";
    pub const CREATED_AT: &str = "created_at";
    pub const ID_HIGH_WATER: &str = "id_high_water";
    pub const DEMO_SEEDED: &str = "demo_seeded";
    pub const DATA_KEY_WRAPPED: &str = "data_key_wrapped";
    pub const DATA_KEY_FINGERPRINT: &str = "data_key_fingerprint";
    pub const DATA_KEY_RECIPIENTS: &str = "data_key_recipients";
    pub const DATA_KEY_CREATED_AT: &str = "data_key_created_at";
    pub const LAST_BACKUP: &str = "last_backup";
    pub const SNAPSHOT_AT: &str = "snapshot_at";

    /// Every key the meta table may hold, for classification.
    pub const ALL: &[&str] = &[
        SCHEMA_VERSION,
        CREATED_AT,
        ID_HIGH_WATER,
        DEMO_SEEDED,
        DATA_KEY_WRAPPED,
        DATA_KEY_FINGERPRINT,
        DATA_KEY_RECIPIENTS,
        DATA_KEY_CREATED_AT,
        LAST_BACKUP,
        SNAPSHOT_AT,
    ];
}

#[cfg(test)]
mod all_tests {
    #[test]
    fn every_table_definition_is_named_in_all() {
        let source = include_str!("tables.rs");
        let defined: Vec<&str> = source
            .split("TableDefinition::new(\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        let mut all = super::ALL.to_vec();
        let mut defined_sorted = defined.clone();
        all.sort();
        defined_sorted.sort();
        assert_eq!(all, defined_sorted);
    }
}
