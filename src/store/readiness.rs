//! The store's readiness records for the surfaces: recording and paging
//! assessments, the facts a scorecard is computed from, and the templates,
//! built-in and custom. Reads run in one read transaction each; changes go
//! through the writer.

use super::accounts::AuditContext;
use super::read::children_of;
use super::records::{TaskRecord, decode};
use super::tables::{CHECKLISTS, PROJECTS, TASKS};
use super::templates::{TemplateRecord, TemplateTaskRecord};
use super::{Missing, Store, StoreError, assessments, ops, templates};
use crate::domain::scorecard::{OpenTask, TaskFacts};
use crate::domain::template::{BUILT_IN, TemplateName};
use crate::domain::{
    Assessment, AssessmentId, Checklist, ChecklistId, Millis, NewAssessment, NewChecklist, NewTask,
    Pillar, ProjectId, TaskId, TaskStatus, TemplateId,
};
use crate::store::engine::ReadTx;
use crate::store::engine::WriteTx;

/// What a scorecard of one project is computed from.
pub struct ScorecardFacts {
    /// The first and the latest assessment (one, or none), oldest first:
    /// the rules and the cards look at nothing in between.
    pub assessments: Vec<Assessment>,
    pub tasks: Vec<TaskFacts>,
    /// The open tasks, with their pillar.
    pub open: Vec<(Option<Pillar>, OpenTask)>,
    pub compliance_reviewed_at: Option<Millis>,
}

/// A template as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// A built-in template's fixed id, or a custom one's UUID.
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub built_in: bool,
    pub tasks: Vec<TemplateTaskRecord>,
}

/// Which template a checklist is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateRef {
    BuiltIn(&'static str),
    Custom(TemplateId),
}

impl TemplateRef {
    /// A built-in id, or the UUID of a custom template.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if let Some(built_in) = BUILT_IN.iter().find(|t| t.id == raw) {
            return Some(Self::BuiltIn(built_in.id));
        }
        TemplateId::parse(raw).ok().map(Self::Custom)
    }
}

fn require_project(tx: &ReadTx, project: ProjectId) -> Result<(), StoreError> {
    match tx.open_table(PROJECTS)?.get(project.as_u128())? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(Missing::Project(project))),
    }
}

impl Store {
    fn read_tx<T>(
        &self,
        f: impl FnOnce(&ReadTx, &crate::crypto::Keyring) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.db.get()?.begin_read()?;
        let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
        f(&tx, &ring)
    }

    pub async fn record_assessment(
        &self,
        project: ProjectId,
        new: NewAssessment,
        who: AuditContext,
    ) -> Result<Assessment, StoreError> {
        self.writer
            .submit(move |ctx| assessments::record(ctx, project, new, &who))
            .await
    }

    /// A page of a project's assessments, oldest first, and the cursor of
    /// the next page.
    pub fn assessments(
        &self,
        project: ProjectId,
        after: Option<AssessmentId>,
        limit: usize,
    ) -> Result<(Vec<Assessment>, Option<AssessmentId>), StoreError> {
        self.read_tx(|tx, ring| {
            require_project(tx, project)?;
            let mut page = assessments::page(tx, ring, project, after, limit + 1)?;
            let next = if page.len() > limit {
                page.truncate(limit);
                page.last().map(|a| a.id)
            } else {
                None
            };
            Ok((page, next))
        })
    }

    /// Every assessment of a project, oldest first.
    pub fn all_assessments(&self, project: ProjectId) -> Result<Vec<Assessment>, StoreError> {
        self.read_tx(|tx, ring| {
            require_project(tx, project)?;
            assessments::all(tx, ring, project)
        })
    }

    /// The facts of one project's scorecard, read in one transaction.
    pub fn scorecard_facts(&self, project: ProjectId) -> Result<ScorecardFacts, StoreError> {
        self.read_tx(|tx, ring| {
            require_project(tx, project)?;
            let assessments = assessments::first_and_last(tx, ring, project)?;
            let (tasks, open) = task_facts(tx, project)?;
            Ok(ScorecardFacts {
                assessments,
                tasks,
                open,
                compliance_reviewed_at: last_compliance_review(tx, ring, project)?,
            })
        })
    }

    /// The built-in templates, then the custom ones, oldest first.
    pub fn templates(&self) -> Result<Vec<Template>, StoreError> {
        let custom = self.read_tx(|tx, _| templates::all(tx))?;
        let mut out: Vec<Template> = BUILT_IN
            .iter()
            .map(|t| Template {
                id: t.id.to_owned(),
                name: t.name.to_owned(),
                description: Some(t.description.to_owned()),
                built_in: true,
                tasks: t
                    .tasks
                    .iter()
                    .map(|task| TemplateTaskRecord {
                        title: crate::domain::TaskTitle::parse(task.title)
                            .expect("built-in titles are valid"),
                        pillar: Some(task.pillar),
                        required: task.required,
                    })
                    .collect(),
            })
            .collect();
        out.extend(
            custom
                .into_iter()
                .map(|(id, record)| custom_template(id, record)),
        );
        Ok(out)
    }

    /// The template `which` names, if it exists.
    pub fn template(&self, which: TemplateRef) -> Result<Option<Template>, StoreError> {
        match which {
            TemplateRef::BuiltIn(id) => Ok(self.templates()?.into_iter().find(|t| t.id == id)),
            TemplateRef::Custom(id) => self.read_tx(|tx, _| {
                Ok(templates::get(tx, id)?.map(|record| custom_template(id, record)))
            }),
        }
    }

    /// Saves the tasks of an existing checklist as a custom template.
    pub async fn save_template(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        name: TemplateName,
        who: AuditContext,
    ) -> Result<Template, StoreError> {
        self.writer
            .submit(move |ctx| {
                let tasks = checklist_tasks(ctx.tx, project, checklist)?;
                let (id, record) = templates::create(ctx, name, tasks, &who)?;
                Ok(custom_template(id, record))
            })
            .await
    }

    /// Deletes a custom template; `false` when there is none with `id`.
    pub async fn delete_template(
        &self,
        id: TemplateId,
        who: AuditContext,
    ) -> Result<bool, StoreError> {
        self.writer
            .submit(move |ctx| templates::delete(ctx, id, &who))
            .await
    }

    /// Creates a project from the guided kit, in one transaction: the Quick
    /// start checklist, an empty North Star to fill, and a compliance scan
    /// waiting for its three answers. The four pillars await their Day-0
    /// assessment on the scorecard.
    pub async fn create_project_with_starter(
        &self,
        new: crate::domain::NewProject,
        who: AuditContext,
    ) -> Result<crate::domain::Project, StoreError> {
        use crate::domain::planning::{ComplianceRhythm, NorthStar, Scan};
        let kit = crate::domain::template::built_in("quick-start").expect("a built-in template");
        self.writer
            .submit(move |ctx| {
                let mut project = ops::create_project(ctx, new)?;
                let name =
                    crate::domain::ChecklistName::parse(kit.name).expect("the kit's name is valid");
                let mut checklist = ops::create_checklist(ctx, project.id, NewChecklist { name })?;
                for task in kit.tasks {
                    let task = NewTask {
                        title: crate::domain::TaskTitle::parse(task.title)
                            .expect("the kit's titles are valid"),
                        notes: None,
                        due_date: None,
                        pillar: Some(task.pillar),
                        required: task.required,
                    };
                    checklist
                        .tasks
                        .push(ops::create_task(ctx, project.id, checklist.id, task)?);
                }
                project.checklists.push(checklist);
                let plan = |e: super::planning::PlanError| match e {
                    super::planning::PlanError::Store(e) => e,
                    super::planning::PlanError::Invalid(_) => {
                        StoreError::Corrupt("the guided kit broke a planning rule".into())
                    }
                };
                super::planning::set_single(ctx, project.id, NorthStar::default(), &who)
                    .map_err(plan)?;
                let rhythm = ComplianceRhythm {
                    scan: Some(Scan::default()),
                    ..Default::default()
                };
                super::planning::set_single(ctx, project.id, rhythm, &who).map_err(plan)?;
                Ok(project)
            })
            .await
    }

    /// Creates a checklist holding a copy of `tasks`, in one transaction.
    pub async fn create_checklist_with(
        &self,
        project: ProjectId,
        new: NewChecklist,
        tasks: Vec<NewTask>,
    ) -> Result<Checklist, StoreError> {
        self.writer
            .submit(move |ctx| {
                let mut checklist = ops::create_checklist(ctx, project, new)?;
                for task in tasks {
                    let task = ops::create_task(ctx, project, checklist.id, task)?;
                    checklist.tasks.push(task);
                }
                Ok(checklist)
            })
            .await
    }
}

fn custom_template(id: TemplateId, record: TemplateRecord) -> Template {
    Template {
        id: id.to_string(),
        name: record.name.into(),
        description: None,
        built_in: false,
        tasks: record.tasks,
    }
}

/// The tasks of a checklist, as a template holds them.
fn checklist_tasks(
    tx: &WriteTx,
    project: ProjectId,
    checklist: ChecklistId,
) -> Result<Vec<TemplateTaskRecord>, StoreError> {
    if tx.open_table(PROJECTS)?.get(project.as_u128())?.is_none() {
        return Err(StoreError::NotFound(Missing::Project(project)));
    }
    let key = (project.as_u128(), checklist.as_u128());
    if tx.open_table(CHECKLISTS)?.get(key)?.is_none() {
        return Err(StoreError::NotFound(Missing::Checklist(checklist)));
    }
    let mut out = Vec::new();
    for row in tx
        .open_table(TASKS)?
        .range(children_of(checklist.as_u128()))?
    {
        let record: TaskRecord = decode("task", row?.1.value())?;
        out.push(TemplateTaskRecord {
            title: record.title,
            pillar: record.pillar,
            required: record.required,
        });
    }
    Ok(out)
}

type TaskLists = (Vec<TaskFacts>, Vec<(Option<Pillar>, OpenTask)>);

/// Every task of a project as the rules see it, and the open ones.
fn task_facts(tx: &ReadTx, project: ProjectId) -> Result<TaskLists, StoreError> {
    let checklists = tx.open_table(CHECKLISTS)?;
    let tasks = tx.open_table(TASKS)?;
    let mut facts = Vec::new();
    let mut open = Vec::new();
    for row in checklists.range(children_of(project.as_u128()))? {
        let checklist = row?.0.value().1;
        for row in tasks.range(children_of(checklist))? {
            let (key, value) = row?;
            let record: TaskRecord = decode("task", value.value())?;
            if record.status != TaskStatus::Done {
                open.push((
                    record.pillar,
                    OpenTask {
                        id: TaskId::from_u128(key.value().1),
                        checklist_id: ChecklistId::from_u128(checklist),
                        title: record.title.clone(),
                        status: record.status,
                        required: record.required,
                    },
                ));
            }
            facts.push(TaskFacts {
                pillar: record.pillar,
                required: record.required,
                status: record.status,
                done_at: record.done_at,
            });
        }
    }
    Ok((facts, open))
}

/// When the project's compliance was last reviewed, as the start of that
/// day (UTC): the latest review held or the rhythm's "last reviewed".
fn last_compliance_review(
    tx: &ReadTx,
    ring: &crate::crypto::Keyring,
    project: ProjectId,
) -> Result<Option<Millis>, StoreError> {
    use crate::domain::planning::{ComplianceRhythm, Review};
    let planning = super::planning::Planning {
        compliance: super::planning::single::<ComplianceRhythm>(tx, ring, project)?,
        reviews: super::planning::list::<Review>(tx, ring, project)?,
        ..Default::default()
    };
    Ok(planning.last_review().map(|day| {
        let midnight = day.date().midnight().assume_utc();
        (midnight.unix_timestamp_nanos() / 1_000_000) as Millis
    }))
}
