//! Counts over the whole store: how many projects, checklists and tasks, and
//! tasks by status. The dashboard's headline and the `/metrics` gauges both
//! read them.
//!
//! Counting reads every task row, so the answer is kept until the store's
//! generation (or the calendar day, which decides what is overdue) changes:
//! a scrape every few seconds then costs nothing while nobody writes.

use super::error::StoreError;
use super::records::decode;
use super::tables;
use crate::domain::{DueDate, TaskStatus};
use crate::store::engine::Db;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Task counts by status, plus those past their due date and not done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskCounts {
    pub total: u64,
    pub pending: u64,
    pub in_progress: u64,
    pub done: u64,
    pub overdue: u64,
}

impl TaskCounts {
    pub fn of(&self, status: TaskStatus) -> u64 {
        match status {
            TaskStatus::Pending => self.pending,
            TaskStatus::InProgress => self.in_progress,
            TaskStatus::Done => self.done,
        }
    }
}

/// Counts over every project in the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub projects: u64,
    pub checklists: u64,
    pub tasks: TaskCounts,
}

/// Only what counting needs from a task row; the sealed notes are skipped
/// unread.
#[derive(Deserialize)]
struct TaskFacts {
    status: TaskStatus,
    #[serde(default)]
    due_date: Option<DueDate>,
}

/// The last summary and what it was computed from.
#[derive(Default)]
pub struct SummaryCache {
    last: Mutex<Option<(u64, time::Date, Summary)>>,
}

impl SummaryCache {
    /// The summary at `generation`, computed again only when the store or
    /// the day has changed since the last call.
    pub fn get(&self, db: &Db, generation: u64, today: time::Date) -> Result<Summary, StoreError> {
        if let Some((g, d, summary)) = *self.last.lock().unwrap_or_else(|e| e.into_inner())
            && g == generation
            && d == today
        {
            return Ok(summary);
        }
        let summary = count(db, today)?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((generation, today, summary));
        Ok(summary)
    }
}

fn count(db: &Db, today: time::Date) -> Result<Summary, StoreError> {
    let tx = db.begin_read()?;
    let mut tasks = TaskCounts::default();
    for row in tx.open_table(tables::TASKS)?.iter()? {
        let (_, value) = row?;
        let facts: TaskFacts = decode("task", value.value())?;
        tasks.total += 1;
        match facts.status {
            TaskStatus::Pending => tasks.pending += 1,
            TaskStatus::InProgress => tasks.in_progress += 1,
            TaskStatus::Done => tasks.done += 1,
        }
        if facts.status != TaskStatus::Done && facts.due_date.is_some_and(|d| d.date() < today) {
            tasks.overdue += 1;
        }
    }
    Ok(Summary {
        projects: tx.open_table(tables::PROJECTS)?.len()?,
        checklists: tx.open_table(tables::CHECKLISTS)?.len()?,
        tasks,
    })
}
