//! Custom checklist templates: a name and task titles, each with its pillar,
//! saved from an existing checklist. The built-in templates live in
//! [`crate::domain::template`]; only custom ones are stored.

use super::accounts::{AuditContext, audit};
use super::error::StoreError;
use super::journal::{self, RowChange};
use super::records::{decode, encode};
use super::tables::TEMPLATES;
use super::writer::WriteCtx;
use crate::domain::template::TemplateName;
use crate::domain::{Millis, Pillar, TaskTitle, TemplateId};
use crate::store::engine::ReadTx;
use serde::{Deserialize, Serialize};

/// One task of a stored template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateTaskRecord {
    pub title: TaskTitle,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pillar: Option<Pillar>,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRecord {
    pub name: TemplateName,
    pub tasks: Vec<TemplateTaskRecord>,
    pub created_at: Millis,
}

/// Stores a new custom template.
pub fn create(
    ctx: &mut WriteCtx<'_>,
    name: TemplateName,
    tasks: Vec<TemplateTaskRecord>,
    who: &AuditContext,
) -> Result<(TemplateId, TemplateRecord), StoreError> {
    let id = ctx.mint_id();
    let stamp = ctx.stamp();
    let record = TemplateRecord {
        name,
        tasks,
        created_at: ctx.now,
    };
    let bytes = encode(&record);
    ctx.tx.open_table(TEMPLATES)?.insert(id, bytes.as_slice())?;
    journal::append_row(
        ctx.tx,
        ctx.ring,
        stamp,
        RowChange {
            table: "templates",
            project: None,
            row: id,
            record: Some(&bytes),
            sealed: false,
        },
    )?;
    let audit_stamp = ctx.stamp();
    let target = Some(format!("template:{}", TemplateId::from_u128(id)));
    audit(ctx.tx, audit_stamp, who, "template.create", target)?;
    Ok((TemplateId::from_u128(id), record))
}

/// Deletes a custom template; `false` when there is none with `id`.
pub fn delete(
    ctx: &mut WriteCtx<'_>,
    id: TemplateId,
    who: &AuditContext,
) -> Result<bool, StoreError> {
    let stamp = ctx.stamp();
    if ctx
        .tx
        .open_table(TEMPLATES)?
        .remove(id.as_u128())?
        .is_none()
    {
        return Ok(false);
    }
    journal::append_row(
        ctx.tx,
        ctx.ring,
        stamp,
        RowChange {
            table: "templates",
            project: None,
            row: id.as_u128(),
            record: None,
            sealed: false,
        },
    )?;
    let audit_stamp = ctx.stamp();
    audit(
        ctx.tx,
        audit_stamp,
        who,
        "template.delete",
        Some(format!("template:{id}")),
    )?;
    Ok(true)
}

/// Every custom template, oldest first.
pub fn all(tx: &ReadTx) -> Result<Vec<(TemplateId, TemplateRecord)>, StoreError> {
    let mut out = Vec::new();
    for row in tx.open_table(TEMPLATES)?.iter()? {
        let (key, value) = row?;
        out.push((
            TemplateId::from_u128(key.value()),
            decode("template", value.value())?,
        ));
    }
    Ok(out)
}

pub fn get(tx: &ReadTx, id: TemplateId) -> Result<Option<TemplateRecord>, StoreError> {
    let templates = tx.open_table(TEMPLATES)?;
    let row = templates.get(id.as_u128())?;
    row.map(|r| decode("template", r.value())).transpose()
}
