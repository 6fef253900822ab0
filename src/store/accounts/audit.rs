//! The audit log: who did what, from where, appended in the same
//! transaction as the change it records. It holds ids, never emails,
//! passwords or secrets.

use crate::domain::{Millis, rfc3339};
use crate::store::engine::ReadTx;
use crate::store::engine::WriteTx;
use crate::store::error::StoreError;
use crate::store::journal::Stamp;
use crate::store::records::{decode, encode};
use crate::store::tables::AUDIT;
use crate::store::writer::WriteCtx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One audit entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: Uuid,
    #[serde(with = "rfc3339::text")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Millis,
    /// `user:<id>`, `token:<id>`, `anonymous` or `local`.
    pub actor: String,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Who is acting and from where, carried into audited changes.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: String,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

impl AuditContext {
    /// The operator at the machine: the CLI or the admin socket.
    pub fn local() -> Self {
        Self {
            actor: "local".into(),
            client_ip: None,
            request_id: None,
        }
    }
}

/// Appends an audit entry in `tx`.
pub fn audit(
    tx: &WriteTx,
    stamp: Stamp,
    who: &AuditContext,
    action: &str,
    target: Option<String>,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        id: Uuid::from_u128(stamp.id),
        at: stamp.at,
        actor: who.actor.clone(),
        action: action.to_owned(),
        target,
        client_ip: who.client_ip.clone(),
        request_id: who.request_id.clone(),
    };
    tx.open_table(AUDIT)?
        .insert(stamp.id, encode(&entry).as_slice())?;
    Ok(())
}

/// An audit entry with no other change (a failed login, a backup).
pub fn audit_only(
    ctx: &mut WriteCtx<'_>,
    who: &AuditContext,
    action: &str,
    target: Option<String>,
) -> Result<(), StoreError> {
    let stamp = ctx.stamp();
    audit(ctx.tx, stamp, who, action, target)
}

/// Up to `limit` entries, newest first, older than `before`.
pub fn audit_page(
    tx: &ReadTx,
    before: Option<Uuid>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let table = tx.open_table(AUDIT)?;
    let range = match before {
        Some(id) => table.range(..id.as_u128())?,
        None => table.range(0..)?,
    };
    let mut out = Vec::new();
    for row in range.rev().take(limit) {
        out.push(decode("audit", row?.1.value())?);
    }
    Ok(out)
}
