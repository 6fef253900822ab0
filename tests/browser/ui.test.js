// The browser UI, driven in headless Chromium against the real binary.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { contrastFailures } from './contrast.js';
import { PASSWORD, ROOT, USERS, startServer } from './server.js';

const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? join(ROOT, 'target', 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };

let server;
let browser;
/** CSP reports and uncaught errors from every page: there must be none. */
const problems = [];

async function newPage(viewport = DESKTOP, on = server) {
  const context = await browser.newContext({ viewport, baseURL: on.url });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (error) => problems.push(`${error.message}`));
  return page;
}

async function signIn(page, role) {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(USERS[role]);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('role').waitFor();
}

/** Calls the API with the page's session, as the UI itself does. */
async function callApi(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const response = await fetch(`/api/v1${p}`, {
      method: m,
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'launchpad' },
      body: b === undefined ? undefined : JSON.stringify(b),
    });
    return response.status === 204 ? null : response.json();
  }, [method, path, body]);
}

/** A project with one checklist and tasks, made through the API. */
async function seedProject(page, name, tasks = ['Write the deploy runbook']) {
  const project = await callApi(page, 'POST', '/projects', { name, ownerEmail: 'owner@example.com' });
  const checklist = await callApi(page, 'POST', `/projects/${project.id}/checklists`, { name: 'Launch checks' });
  for (const title of tasks) {
    await callApi(page, 'POST', `/projects/${project.id}/checklists/${checklist.id}/tasks`, { title });
  }
  return project;
}

const taskRow = (page, title) => page.locator(`li.task[data-task="${title}"]`);

/** Someone else at work at the same time: another person, in a browser of their own. */
async function someoneElse(role = 'admin', on = server) {
  const page = await newPage(DESKTOP, on);
  await signIn(page, role);
  return page;
}

/** A project's first checklist and the API path of each of its tasks. */
async function firstChecklist(page, projectId) {
  const [list] = (await callApi(page, 'GET', `/projects/${projectId}`)).checklists;
  const path = (task) => `/projects/${projectId}/checklists/${list.id}/tasks/${task.id}`;
  return { list, tasks: list.tasks, path };
}

/** The statuses of the answers to `method` requests the page sends from now on. */
function answers(page, method) {
  const statuses = [];
  page.on('response', (r) => { if (r.request().method() === method) statuses.push(r.status()); });
  return statuses;
}

const DEMO = 'LaunchPad – v0 Readiness';
const PILLARS = ['reliability', 'security', 'observability', 'supportability'];

/** The project a fresh store starts with, which has a Day-0 and a later assessment. */
async function demoProject(page) {
  const projects = await callApi(page, 'GET', '/projects?limit=200');
  return projects.find((p) => p.name === DEMO);
}

/** Records an assessment through the API: `scores` and `targets` in pillar order. */
async function assess(page, projectId, scores, targets = [4, 4, 4, 4], extra = {}) {
  return callApi(page, 'POST', `/projects/${projectId}/assessments`, {
    scores: PILLARS.map((pillar, i) => ({
      pillar, score: scores[i], target: targets[i], evidence: `Evidence for ${pillar}.`, ...(extra[pillar] ?? {}),
    })),
  });
}

const tab = (page, name) => page.getByRole('tab', { name });
const table = (page, id) => page.locator(`section.plan-table[data-table="${id}"]`);
const planRow = (page, name) => page.locator(`li.plan-row[data-row="${name}"]`);

/** Opens a planning table's add form, fills it ({label: value}) and adds the row. */
async function addRow(page, id, open, values, submit) {
  const section = table(page, id);
  await section.getByRole('button', { name: open }).click();
  for (const [label, value] of Object.entries(values)) {
    const field = section.locator('form').getByLabel(label);
    if (value === true) await field.check();
    else if (await field.evaluate((el) => el.tagName === 'SELECT')) await field.selectOption(value);
    else await field.fill(value);
  }
  const before = await section.locator('li.plan-row').count();
  await section.getByRole('button', { name: submit }).click();
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [`section.plan-table[data-table="${id}"] li.plan-row`, before]);
}

/**
 * Runs `work` while the demo project's next compliance review is a date in
 * the past, then puts its review rhythm back as it was.
 */
async function withOverdueDemo(page, work) {
  const demo = await demoProject(page);
  const notes = await callApi(page, 'GET', `/projects/${demo.id}/compliance`);
  const rhythm = { lastReviewed: notes.lastReviewed, nextReview: notes.nextReview, scan: notes.scan };
  await callApi(page, 'PUT', `/projects/${demo.id}/compliance`, { ...rhythm, nextReview: '2020-01-31' });
  try {
    await work(demo);
  } finally {
    await callApi(page, 'PUT', `/projects/${demo.id}/compliance`, rhythm);
  }
}

/** The input is marked invalid and the error beside it matches `expected`. */
async function assertFieldError(page, input, expected) {
  await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await input.elementHandle());
  const id = (await input.getAttribute('aria-describedby')).split(' ').at(-1);
  const error = page.locator(`#${id}`);
  assert.ok(await error.isVisible(), 'the error is not shown');
  assert.match(await error.textContent(), expected);
  const beside = await input.evaluate((el, errorId) => el.closest('.field').contains(document.getElementById(errorId)), id);
  assert.ok(beside, 'the error is not beside its field');
}

const pillarPanel = (page, pillar) => page.locator(`article.pillar[data-pillar="${pillar}"]`);
const chartRows = (page, pillar) => pillarPanel(page, pillar).locator('.chart-table tbody tr');

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('working on a project', () => {
  test('an editor creates a project, a checklist and a task, cycles its status, and finds it after a reload', async () => {
    const page = await newPage();
    await signIn(page, 'editor');

    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByLabel('Project name').fill('Payments API');
    await page.getByLabel('Description').fill('Card payments for the web shop');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { level: 1, name: 'Payments API' }).waitFor();
    assert.match(page.url(), /\/projects\/[0-9a-f-]{36}$/);

    await page.getByLabel('Checklist name').fill('Observability');
    await page.getByRole('button', { name: 'Add checklist' }).click();
    const checklist = page.getByRole('region', { name: 'Observability' });
    await checklist.getByLabel('New task in Observability').fill('Export request metrics');
    await checklist.getByRole('button', { name: 'Add task' }).click();
    const status = taskRow(page, 'Export request metrics').getByTestId('status');
    await assertText(status, 'Pending');

    await status.click();
    await assertText(status, 'In progress');
    await status.click();
    await assertText(status, 'Done');
    await assertText(checklist.locator('.checklist-title p'), '1 of 1 done');

    await page.reload();
    await assertText(taskRow(page, 'Export request metrics').getByTestId('status'), 'Done');
    await page.context().close();
  });

  test('the status button works from the keyboard and keeps focus', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Keyboard project');
    await page.goto(`/projects/${project.id}`);
    const status = taskRow(page, 'Write the deploy runbook').getByTestId('status');

    await status.focus();
    await page.keyboard.press('Enter');
    await assertText(status, 'In progress');
    await page.keyboard.press('Space');
    await assertText(status, 'Done');

    const focused = await page.evaluate(() => document.activeElement?.dataset.testid);
    assert.equal(focused, 'status', 'focus left the status button');
    await page.context().close();
  });

  test('notes, a due date in the past and an owner are edited, and the overdue task stands out', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Edited project');
    await page.goto(`/projects/${project.id}`);
    const row = taskRow(page, 'Write the deploy runbook');

    await row.getByRole('button', { name: 'Edit “Write the deploy runbook”' }).click();
    await row.getByLabel('Due date').fill('2020-01-31');
    await row.getByLabel('Notes').fill('Cover rollback and the on-call handover.');
    await row.getByRole('button', { name: 'Save task' }).click();
    await row.getByText('Overdue').waitFor();
    assert.match(await row.getAttribute('class'), /is-overdue/);
    await assertText(row.locator('.task-notes'), 'Cover rollback');

    await page.getByRole('button', { name: 'Edit details' }).click();
    await page.getByLabel('Owner email').fill('release.manager@example.com');
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.getByText('release.manager@example.com').waitFor();
    await page.context().close();
  });

  test('a name that is too short is refused beside its field and what was typed stays', async () => {
    const page = await newPage();
    await signIn(page, 'editor');

    await page.getByRole('button', { name: 'New project' }).click();
    const name = page.getByLabel('Project name');
    await name.fill('ab');
    await page.getByRole('button', { name: 'Create project' }).click();

    await page.waitForSelector('[aria-invalid="true"]');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    const described = (await name.getAttribute('aria-describedby')).split(' ');
    const error = page.locator(`#${described.at(-1)}`);
    assert.ok(await error.isVisible(), 'the error is not shown');
    assert.match(await error.textContent(), /3/);
    const nextToField = await name.evaluate((input, id) => input.closest('.field').contains(document.getElementById(id)), described.at(-1));
    assert.ok(nextToField, 'the error is not beside its field');
    assert.equal(await name.inputValue(), 'ab');
    await page.context().close();
  });

  test('a delete asks first in a dialog, and only the dialog’s delete button deletes', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Project to prune', ['Keep this task', 'Remove this task']);
    await page.goto(`/projects/${project.id}`);

    const remove = page.getByRole('button', { name: 'Delete “Remove this task”' });
    await remove.click();
    const dialog = page.getByRole('dialog', { name: 'Delete the task “Remove this task”?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await taskRow(page, 'Remove this task').count(), 1, 'escape deleted the task');

    await remove.click();
    await dialog.getByRole('button', { name: 'Delete task' }).click();
    await taskRow(page, 'Remove this task').waitFor({ state: 'detached' });
    assert.equal(await taskRow(page, 'Keep this task').count(), 1);

    await page.getByRole('button', { name: 'Delete project' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.waitForURL(`${server.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Readiness overview' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Project to prune' }).count(), 0);
    await page.context().close();
  });

  test('a lost connection shows a banner and keeps what was typed', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Offline project');
    await page.goto(`/projects/${project.id}`);
    const title = page.getByLabel('New task in Launch checks');
    await title.waitFor();

    await page.context().setOffline(true);
    await title.fill('Written while offline');
    await page.getByRole('button', { name: 'Add task' }).click();
    const banner = page.locator('#connection');
    await banner.waitFor();
    assert.equal(await banner.getAttribute('role'), 'alert');
    assert.match(await banner.textContent(), /offline/i);
    assert.equal(await title.inputValue(), 'Written while offline');

    await page.context().setOffline(false);
    await page.getByRole('button', { name: 'Add task' }).click();
    await taskRow(page, 'Written while offline').waitFor();
    await banner.waitFor({ state: 'hidden' });
    await page.context().close();
  });
});

describe('the overview', () => {
  test('pages through projects with the API’s cursor', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    for (let i = 1; i <= 11; i += 1) await seedProject(page, `Paged project ${String(i).padStart(2, '0')}`, []);
    await page.goto('/');
    await page.locator('.project-link').first().waitFor();

    const names = () => page.locator('.project-link').allTextContents();
    const first = await names();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2', { exact: true }).first().waitFor();
    const second = await names();
    assert.ok(second.length > 0, 'the second page is empty');
    assert.ok(second.every((n) => !first.includes(n)), 'a project appears on both pages');
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1', { exact: true }).first().waitFor();
    assert.deepEqual(await names(), first);
    await page.context().close();
  });

  test('shows overall readiness and the counts by status', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    await page.goto('/');
    const overall = await page.getByTestId('overall').textContent();
    assert.match(overall, /^\d{1,3}%$/);
    for (const id of ['count-projects', 'count-checklists', 'count-tasks', 'count-done', 'count-progress', 'count-pending', 'count-overdue']) {
      assert.match(await page.getByTestId(id).textContent(), /^\d+$/, id);
    }
    assert.ok(await page.getByRole('progressbar').count() > 1, 'no progress bars');
    await page.context().close();
  });

  test('names the running release in the footer, as Cargo.toml has it', async () => {
    const version = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)[1];
    const page = await newPage();
    await signIn(page, 'viewer');
    await page.goto('/');
    assert.equal(await page.locator('footer').textContent(), `LaunchPad ${version}`);
    assert.ok(await page.locator('footer').isVisible(), 'the footer is hidden');
    await page.context().close();
  });
});

describe('the readiness scorecard', () => {
  test('an editor records an assessment with every pillar at 3 and the demo project goes from prototype to hardened', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const demo = await demoProject(page);
    await page.goto(`/projects/${demo.id}`);
    const level = page.getByTestId('scorecard').getByTestId('level');
    await assertText(level, 'Prototype');
    const before = await chartRows(page, 'reliability').count();
    assert.ok(before >= 2, 'the demo project has no trend to show');

    await page.getByRole('button', { name: 'Record an assessment' }).click();
    const form = page.locator('form.assessment-form');
    await form.getByRole('list', { name: 'Scoring legend' }).waitFor();
    for (const name of ['Reliability', 'Security', 'Observability', 'Supportability']) {
      const group = form.getByRole('group', { name });
      await group.getByLabel('Score').selectOption('3');
      await group.getByLabel('Target').selectOption('4');
    }
    await form.getByRole('button', { name: 'Record assessment' }).click();

    await assertText(level, 'Hardened');
    await form.waitFor({ state: 'detached' });
    assert.equal(await chartRows(page, 'reliability').count(), before + 1);
    assert.equal(await pillarPanel(page, 'security').locator('.chart-dot').count(), before + 1);
    await page.getByRole('heading', { name: /To reach Production-ready/ }).waitFor();
    assert.equal(await page.getByRole('heading', { name: /To reach Hardened/ }).count(), 0);
    await assertText(page.locator('.ladder [aria-current="step"]'), 'Hardened');

    await page.goto('/');
    await assertText(page.locator(`.project-card[data-project="${DEMO}"]`).getByTestId('level'), 'Hardened');
    await page.context().close();
  });

  test('the chart’s table holds every assessment’s score and target, and the keyboard steps through the points', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Charted project', []);
    await assess(page, project.id, [1, 2, 2, 2], [5, 4, 4, 4]);
    await assess(page, project.id, [4, 3, 2, 2], [5, 4, 4, 4]);
    await page.goto(`/projects/${project.id}`);

    const rows = chartRows(page, 'reliability');
    await rows.first().waitFor({ state: 'attached' });
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).textContent(), /1 \(Nonexistent\)5$/);
    assert.match(await rows.nth(1).textContent(), /4 \(Mature\)5$/);
    const headers = await pillarPanel(page, 'reliability').locator('.chart-table thead th').allTextContents();
    assert.deepEqual(headers, ['Recorded', 'Score', 'Target']);

    const panel = pillarPanel(page, 'reliability');
    await panel.getByText('Reliability scores as a table').click();
    assert.ok(await rows.first().isVisible(), 'the table does not open');

    const chart = panel.getByRole('img', { name: 'Reliability score over time' });
    assert.match(await chart.getAttribute('aria-describedby'), /chart-summary/);
    await chart.focus();
    const readout = panel.getByTestId('chart-readout');
    await page.keyboard.press('Home');
    await assertText(readout, 'score 1 (Nonexistent), target 5');
    await page.keyboard.press('ArrowRight');
    await assertText(readout, 'score 4 (Mature), target 5');
    await page.context().close();
  });

  test('a missing score and a link that is not http(s) are shown beside their fields, and what was typed stays', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Unscored project', []);
    await page.goto(`/projects/${project.id}`);
    await page.getByText('No assessment recorded yet').waitFor();
    await page.getByRole('button', { name: 'Record an assessment' }).click();
    const form = page.locator('form.assessment-form');
    for (const name of ['Reliability', 'Security', 'Observability', 'Supportability']) {
      const group = form.getByRole('group', { name });
      if (name !== 'Security') await group.getByLabel('Score').selectOption('2');
      await group.getByLabel('Target').selectOption('4');
    }
    const links = form.getByRole('group', { name: 'Reliability' }).getByLabel('Links');
    await links.fill('https://ci.example.com/run/42\nftp://files.example.com/report');
    await form.getByRole('button', { name: 'Record assessment' }).click();

    const score = form.getByRole('group', { name: 'Security' }).getByLabel('Score');
    for (const [input, expected] of [[score, /required/], [links, /^Link 2: .*http/]]) {
      await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await input.elementHandle());
      const id = (await input.getAttribute('aria-describedby')).split(' ').at(-1);
      const error = page.locator(`#${id}`);
      assert.ok(await error.isVisible(), 'the error is not shown');
      assert.match(await error.textContent(), expected);
      const beside = await input.evaluate((el, errorId) => el.closest('.field').contains(document.getElementById(errorId)), id);
      assert.ok(beside, 'the error is not beside its field');
    }
    assert.equal(await links.inputValue(), 'https://ci.example.com/run/42\nftp://files.example.com/report');
    assert.equal(await form.getByRole('group', { name: 'Reliability' }).getByLabel('Score').inputValue(), '2');
    assert.equal(await page.getByTestId('scorecard').getByTestId('level').textContent(), 'Prototype');
    await page.context().close();
  });

  test('a checklist started from a template has the template’s tasks with their pillars and required marks', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Templated project', []);
    const templates = await callApi(page, 'GET', '/templates');
    const template = templates.find((t) => t.id === 'production-readiness');
    await page.goto(`/projects/${project.id}`);

    const select = page.getByRole('region', { name: 'Add a checklist' }).getByLabel('Template');
    await select.selectOption({ label: template.name });
    await page.getByText(`${template.tasks.length} tasks`).waitFor();
    await page.getByRole('button', { name: 'Add checklist' }).click();

    const checklist = page.getByRole('region', { name: template.name });
    await checklist.waitFor();
    assert.equal(await checklist.locator('li.task').count(), template.tasks.length);
    const first = taskRow(page, template.tasks[0].title);
    assert.equal(await first.getByTestId('pillar').textContent(), 'Reliability');
    assert.equal(await first.getByTestId('required').count(), template.tasks[0].required ? 1 : 0);
    const open = await pillarPanel(page, 'security').locator('.pillar-task').count();
    assert.equal(open, template.tasks.filter((t) => t.pillar === 'security').length);
    await page.context().close();
  });

  test('an editor sets a task’s pillar and required mark, clears them, and saves the checklist as a template', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Pillared project', []);
    await page.goto(`/projects/${project.id}`);
    const checklist = page.getByRole('region', { name: 'Launch checks' });
    await checklist.getByLabel('New task in Launch checks').fill('Rotate the signing keys');
    await checklist.getByLabel('Pillar').selectOption('security');
    await checklist.getByLabel('Required').check();
    await checklist.getByRole('button', { name: 'Add task' }).click();

    const row = taskRow(page, 'Rotate the signing keys');
    await assertText(row.getByTestId('pillar'), 'Security');
    await row.getByTestId('required').waitFor();
    await pillarPanel(page, 'security').getByText('Rotate the signing keys').waitFor();

    await row.getByRole('button', { name: 'Edit “Rotate the signing keys”' }).click();
    assert.equal(await row.getByLabel('Pillar').inputValue(), 'security');
    assert.ok(await row.getByLabel('Required for the next level').isChecked());
    await row.getByLabel('Pillar').selectOption('');
    await row.getByLabel('Required for the next level').uncheck();
    await row.getByRole('button', { name: 'Save task' }).click();
    await row.getByTestId('pillar').waitFor({ state: 'detached' });
    assert.equal(await row.getByTestId('required').count(), 0);
    assert.equal(await pillarPanel(page, 'security').getByText('Rotate the signing keys').count(), 0);

    await checklist.getByRole('button', { name: 'Save checklist Launch checks as a template' }).click();
    await checklist.getByLabel('Template name').fill('Key rotation drill');
    await checklist.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('region', { name: 'Add a checklist' }).getByLabel('Template').locator('option', { hasText: 'Key rotation drill' }).waitFor({ state: 'attached' });
    await page.context().close();
  });
});

describe('the planning tabs', () => {
  test('an editor fills in the North Star, the stakeholder canvas and the compliance notes, and the report shows them', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Planned project', []);
    await page.goto(`/projects/${project.id}`);

    await page.getByRole('button', { name: 'Write the North Star' }).click();
    assert.equal(await tab(page, 'North Star').getAttribute('aria-selected'), 'true');
    const headline = page.getByLabel('Headline', { exact: true });
    assert.ok(await headline.evaluate((el) => el === document.activeElement), 'the headline is not focused');
    await headline.fill('Take card payments without losing one');
    await page.getByLabel('Leading metric').fill('Failed payments a week');
    await page.getByLabel('Target').fill('Zero');
    await page.getByRole('button', { name: 'Save North Star' }).click();
    await assertText(page.getByTestId('headline'), 'Take card payments without losing one');

    const alignment = table(page, 'alignment');
    await alignment.getByRole('button', { name: 'Add an alignment row' }).click();
    await alignment.getByLabel('Goal or outcome').fill('Refunds within a day');
    await alignment.getByLabel('Success metric').fill('Refund time');
    await alignment.getByLabel('Deadline or guardrail').fill('Before launch');
    await alignment.getByLabel('Risks and mitigations').fill('Manual steps; script them');
    await alignment.getByRole('button', { name: 'Add alignment row' }).click();
    const goal = planRow(page, 'Refunds within a day');
    await assertText(goal, 'Before launch');
    await goal.getByRole('button', { name: 'Edit alignment row “Refunds within a day”' }).click();
    await goal.getByLabel('Deadline or guardrail').fill('Before the pilot');
    await goal.getByRole('button', { name: 'Save alignment row' }).click();
    await assertText(goal.locator('.plan-fields'), 'Before the pilot');
    assert.equal(await goal.locator('form').count(), 0, 'the edit form stayed open');

    await tab(page, 'Stakeholders').click();
    const canvas = table(page, 'stakeholders');
    for (const [role, owner] of [['Head of support', 'Grace Hopper'], ['Passing interest', '']]) {
      await canvas.getByRole('button', { name: 'Add a stakeholder' }).click();
      await canvas.getByLabel('Role or group').fill(role);
      await canvas.getByLabel('Why they care').fill('They answer the tickets');
      if (owner) await canvas.getByLabel('Owner').fill(owner);
      await canvas.getByRole('button', { name: 'Add stakeholder' }).click();
      await planRow(page, role).waitFor();
    }
    await assertText(planRow(page, 'Head of support'), 'Grace Hopper');
    await page.getByRole('button', { name: 'Delete stakeholder “Passing interest”' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete stakeholder' }).click();
    await planRow(page, 'Passing interest').waitFor({ state: 'detached' });

    await tab(page, /^Compliance/).click();
    await page.getByRole('button', { name: 'Edit rhythm' }).click();
    await page.getByLabel('Next review').fill('2099-01-31');
    await page.getByLabel('Owner').fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Save rhythm' }).click();
    await assertText(page.getByTestId('next-review'), '2099');
    await addRow(page, 'inventory', 'Add a data category', { 'Data category': 'Customer emails', Retention: 'Two years' }, 'Add data category');
    await addRow(page, 'triggers', 'Add a trigger', { 'Standard or law': 'hipaa', Status: 'in-progress', 'Why it applies, or not': 'Clinics pay with cards' }, 'Add trigger');
    await addRow(page, 'vendors', 'Add a vendor', { Vendor: 'Card processor', 'Compliance verified': true }, 'Add vendor');
    await addRow(page, 'reviews', 'Add a review', { Date: '2026-11-20', Findings: 'Inventory complete' }, 'Add review');
    await assertText(planRow(page, 'HIPAA'), 'In progress');
    await assertText(planRow(page, 'Card processor'), 'Compliance verified');
    await table(page, 'reviews').locator('.plan-row').waitFor();

    await page.reload();
    await planRow(page, 'Customer emails').waitFor();
    assert.equal(await tab(page, /^Compliance/).getAttribute('aria-selected'), 'true', 'the tab is not kept in the address');
    const report = await page.evaluate(async (path) => (await fetch(path)).text(), `/api/v1/projects/${project.id}/report?format=html`);
    for (const expected of ['Take card payments without losing one', 'Refunds within a day', 'Head of support', 'HIPAA', 'Customer emails', '2099-01-31']) {
      assert.ok(report.includes(expected), `the report lacks “${expected}”`);
    }
    assert.ok(!report.includes('Grace Hopper'), 'the report names a stakeholder’s owner without being asked');
    await page.context().close();
  });

  test('a next review that is not a date, an over-long headline and a trigger without a standard are refused beside their fields, and what was typed stays', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Misplanned project', []);
    await page.goto(`/projects/${project.id}?tab=compliance`);

    await page.getByRole('button', { name: 'Edit rhythm' }).click();
    const next = page.getByLabel('Next review');
    await next.fill('2027-02-30');
    await page.getByRole('button', { name: 'Save rhythm' }).click();
    await assertFieldError(page, next, /calendar date/);
    assert.equal(await next.inputValue(), '2027-02-30');

    const triggers = table(page, 'triggers');
    await triggers.getByRole('button', { name: 'Add a trigger' }).click();
    await triggers.getByLabel('Why it applies, or not').fill('Not sure yet');
    await triggers.getByRole('button', { name: 'Add trigger' }).click();
    await assertFieldError(page, triggers.getByLabel('Standard or law'), /is required/);
    assert.equal(await triggers.getByLabel('Why it applies, or not').inputValue(), 'Not sure yet');

    await tab(page, 'North Star').click();
    const long = 'A headline that goes on and on '.repeat(7);
    const headline = page.getByLabel('Headline', { exact: true });
    await headline.fill(long);
    await page.getByRole('button', { name: 'Save North Star' }).click();
    await assertFieldError(page, headline, /200/);
    assert.equal(await headline.inputValue(), long);
    const star = await callApi(page, 'GET', `/projects/${project.id}/north-star`);
    assert.equal(star.headline, undefined, 'the over-long headline was saved');
    await page.context().close();
  });

  test('the guided start makes a project with the Quick start checklist and the scan’s questions, and the answers raise triggers', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByLabel('Project name').fill('Guided project');
    await page.getByLabel('Start from the guided kit').check();
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { level: 1, name: 'Guided project' }).waitFor();

    const quick = page.getByRole('region', { name: 'Quick start' });
    await quick.waitFor();
    assert.equal(await quick.locator('li.task').count(), 6);
    await page.getByRole('region', { name: 'North Star headline' }).getByText('No North Star yet').waitFor();

    await tab(page, 'Readiness').focus();
    await page.keyboard.press('End');
    assert.equal(await tab(page, /^Compliance/).getAttribute('aria-selected'), 'true');
    const scan = page.getByTestId('scan');
    await scan.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.tab), 'compliance', 'focus left the tabs');
    const { scanQuestions } = await callApi(page, 'GET', `/projects/${page.url().split('/projects/')[1].split('?')[0]}/compliance`);
    assert.equal(scanQuestions.length, 3);
    const [data, payments, industry] = scanQuestions.map((q) => scan.getByLabel(q.question));
    await data.fill('Customers in the EU; we store their emails');
    await payments.selectOption('yes');
    await industry.fill('Retail');
    await scan.getByRole('button', { name: 'Save answers' }).click();

    await assertText(scan.getByRole('status'), 'raised 2 triggers: GDPR, PCI DSS');
    await planRow(page, 'GDPR').waitFor();
    await planRow(page, 'PCI DSS').waitFor();
    await assertText(scan, 'Customers in the EU; we store their emails');
    await tab(page, /^Compliance/).focus();
    await page.keyboard.press('Home');
    await page.getByRole('tabpanel', { name: 'Readiness' }).getByRole('region', { name: 'Quick start' }).waitFor();
    await page.context().close();
  });

  test('a viewer reads the North Star, the stakeholders and the compliance notes and can change none of them', async () => {
    const page = await newPage();
    await signIn(page, 'viewer');
    const demo = await demoProject(page);
    await page.goto(`/projects/${demo.id}`);
    await assertText(page.getByTestId('headline'), demo.headline);

    for (const [name, row] of [['North Star', 'Restore from backup in under an hour'], ['Stakeholders', 'Pilot customers'], [/^Compliance/, 'GDPR']]) {
      await tab(page, name).click();
      await planRow(page, row).waitFor();
      assert.equal(await page.locator('form, select, input, textarea').count(), 0, `${name}: a form is shown`);
      assert.equal(await page.getByRole('button', { name: /Add|Edit|Delete|Save|Change|Write/ }).count(), 0, `${name}: a control is shown`);
    }
    await page.getByTestId('scan').getByText('Teams in the EU and the US').waitFor();
    await page.context().close();
  });

  test('the overview shows a project’s North Star headline and flags a compliance review that is overdue', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    await withOverdueDemo(page, async (demo) => {
      await page.goto('/');
      const card = page.locator(`.project-card[data-project="${DEMO}"]`);
      await assertText(card.getByTestId('headline'), demo.headline);
      await card.getByTestId('compliance-overdue').click();
      await page.getByTestId('review-overdue').waitFor();
      assert.equal(await tab(page, /^Compliance/).getAttribute('aria-selected'), 'true');
      assert.match(await tab(page, /^Compliance/).textContent(), /review overdue/);
    });
    await page.goto('/');
    await page.locator(`.project-card[data-project="${DEMO}"]`).getByTestId('headline').waitFor();
    assert.equal(await page.getByTestId('compliance-overdue').count(), 0);
    await page.context().close();
  });
});

describe('accounts and roles', () => {
  test('without signing in the UI asks for it', async () => {
    const page = await newPage();
    await page.goto('/projects/0190f5a2-7b3c-7def-8abc-0123456789ab');
    await page.getByRole('heading', { name: 'Sign in to LaunchPad' }).waitFor();
    assert.match(page.url(), /\/signin\?next=/);
    await page.context().close();
  });

  test('a wrong password is refused and the email stays', async () => {
    const page = await newPage();
    await page.goto('/signin');
    await page.getByLabel('Email').fill(USERS.editor);
    await page.getByLabel('Password').fill('not-the-password-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor();
    assert.equal(await page.getByLabel('Email').inputValue(), USERS.editor);
    await page.context().close();
  });

  test('a viewer sees the work but no control that changes it', async () => {
    const editor = await newPage();
    await signIn(editor, 'editor');
    const project = await seedProject(editor, 'Viewed project');
    await editor.context().close();

    const page = await newPage();
    await signIn(page, 'viewer');
    assert.equal(await page.getByTestId('role').textContent(), 'Viewer');
    assert.equal(await page.getByRole('button', { name: 'New project' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);

    await page.goto(`/projects/${project.id}`);
    await page.getByRole('heading', { level: 1, name: 'Viewed project' }).waitFor();
    await assertText(taskRow(page, 'Write the deploy runbook').locator('.status'), 'Pending');
    assert.equal(await page.getByTestId('status').count(), 0, 'the status can be changed');
    assert.equal(await page.getByRole('button', { name: /Delete|Edit|Rename|Add|Record|Save/ }).count(), 0);
    assert.equal(await page.locator('form').count(), 0);

    const demo = await demoProject(page);
    await page.goto(`/projects/${demo.id}`);
    const scorecard = page.getByTestId('scorecard');
    await scorecard.locator('.chart-svg circle').first().waitFor();
    assert.equal(await scorecard.locator('article.pillar').count(), 4);
    assert.match(await scorecard.getByTestId('level').textContent(), /\w/);
    const report = scorecard.getByRole('link', { name: /Printable report/ });
    assert.equal(await report.getAttribute('href'), `/api/v1/projects/${demo.id}/report?format=html`);
    assert.equal(await report.getAttribute('target'), '_blank');
    assert.equal(await page.getByRole('button', { name: 'Record an assessment' }).count(), 0);
    assert.equal(await page.locator('form, select, input, textarea').count(), 0);
    await page.context().close();
  });

  test('an admin sees backups, users and the audit log and deletes a saved template; an editor cannot open them', async () => {
    const page = await newPage();
    await signIn(page, 'admin');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByRole('heading', { name: 'Backups' }).waitFor();
    await page.locator('.table-audit tbody tr').first().waitFor();
    await page.locator('.user-email', { hasText: USERS.viewer }).waitFor();
    await page.context().close();

    const editor = await newPage();
    await signIn(editor, 'editor');
    const project = await seedProject(editor, 'Template source', ['Drill the failover']);
    const [list] = (await callApi(editor, 'GET', `/projects/${project.id}`)).checklists;
    await callApi(editor, 'POST', '/templates', { projectId: project.id, checklistId: list.id, name: 'Failover drill' });
    await editor.goto('/admin');
    await editor.getByText('This page is for admins').waitFor();
    await editor.context().close();

    const admin = await newPage();
    await signIn(admin, 'admin');
    await admin.goto('/admin');
    await admin.getByRole('button', { name: 'Delete template Failover drill' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Delete template' }).click();
    await admin.locator('li[data-template="Failover drill"]').waitFor({ state: 'detached' });
    const left = await callApi(admin, 'GET', '/templates');
    assert.ok(!left.some((t) => t.name === 'Failover drill'), 'the template is still there');
    await admin.context().close();
  });

  test('an API token’s secret is shown once and the token can be revoked', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Token name').fill('ci deploy');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.getByLabel('Token secret');
    assert.match(await secret.inputValue(), /^lp_/);

    await page.reload();
    await page.getByRole('cell', { name: 'ci deploy', exact: true }).waitFor();
    assert.equal(await page.getByLabel('Token secret').count(), 0, 'the secret is shown again');
    await page.getByRole('button', { name: 'Revoke token ci deploy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.getByRole('cell', { name: 'ci deploy', exact: true }).waitFor({ state: 'detached' });
    await page.context().close();
  });

  test('signing out returns to the sign-in page', async () => {
    const page = await newPage();
    await signIn(page, 'viewer');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to LaunchPad' }).waitFor();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to LaunchPad' }).waitFor();
    await page.context().close();
  });
});

describe('no lost updates', () => {
  test('a task someone else saved while it was being edited is not overwritten: the editor is told, sees their version and keeps what they typed', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Contended task');
    const other = await someoneElse();
    for (const p of [page, other]) {
      await p.goto(`/projects/${project.id}`);
      await p.getByRole('button', { name: 'Edit “Write the deploy runbook”' }).click();
    }
    await other.locator('form.task-edit').getByLabel('Title').fill('Write the runbook with the DBA');
    await other.getByRole('button', { name: 'Save task' }).click();
    await taskRow(other, 'Write the runbook with the DBA').waitFor();

    const title = page.locator('form.task-edit').getByLabel('Title');
    await title.fill('Write the deploy and rollback runbook');
    await page.getByRole('button', { name: 'Save task' }).click();
    const notice = page.locator('form.task-edit [data-conflict]');
    await assertText(notice, 'Someone else changed this task while you were editing it');
    assert.equal(await notice.getAttribute('role'), 'alert');
    assert.ok(await notice.evaluate((el) => el === document.activeElement), 'the notice does not have the focus');
    await taskRow(page, 'Write the runbook with the DBA').locator('form.task-edit').waitFor();
    assert.equal(await title.inputValue(), 'Write the deploy and rollback runbook', 'what was typed is lost');
    const { tasks: [kept], path } = await firstChecklist(page, project.id);
    assert.equal(kept.title, 'Write the runbook with the DBA', 'the first save was overwritten');

    await notice.getByRole('button', { name: 'Apply my change again' }).click();
    await taskRow(page, 'Write the deploy and rollback runbook').waitFor();
    assert.equal(await page.locator('form.task-edit').count(), 0, 'the form stayed open');
    assert.equal((await callApi(page, 'GET', path(kept))).title, 'Write the deploy and rollback runbook');
    await other.context().close();
    await page.context().close();
  });

  test('a save the server refuses with 412 shows the task as it is now, and discarding keeps that', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Refused task');
    const { tasks: [task], path } = await firstChecklist(page, project.id);
    const patches = answers(page, 'PATCH');
    await page.goto(`/projects/${project.id}`);
    const row = page.locator('li.task');
    await row.getByTestId('status').click();
    await assertText(row.getByTestId('status'), 'In progress');

    const other = await someoneElse();
    await callApi(other, 'PATCH', path(task), { notes: 'Ask the DBA first.' });
    await row.getByRole('button', { name: 'Edit “Write the deploy runbook”' }).click();
    await row.getByLabel('Notes').fill('Cover the rollback.');
    await row.getByRole('button', { name: 'Save task' }).click();
    const notice = row.locator('form.task-edit [data-conflict]');
    await notice.waitFor();
    assert.deepEqual(patches, [200, 412], 'the stale save was not refused by the server');
    await assertText(row.locator('.task-notes'), 'Ask the DBA first.');

    await notice.getByRole('button', { name: 'Discard my change' }).click();
    await row.locator('form').waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Edit “Write the deploy runbook”' }).click();
    assert.equal(await row.getByLabel('Notes').inputValue(), 'Ask the DBA first.', 'the discarded draft came back');
    const now = await callApi(page, 'GET', path(task));
    assert.equal(now.notes, 'Ask the DBA first.');
    assert.equal(now.status, 'in_progress');
    await other.context().close();
    await page.context().close();
  });

  test('of two people editing a project’s details a change to another field or a task stops no one, and the same field is not overwritten', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Contended project');
    const { tasks: [task], path } = await firstChecklist(page, project.id);
    const other = await someoneElse();
    const patches = answers(page, 'PATCH');
    for (const p of [page, other]) {
      await p.goto(`/projects/${project.id}`);
      await p.getByRole('button', { name: 'Edit details' }).click();
    }

    await other.getByTestId('status').click();
    await assertText(other.getByTestId('status'), 'In progress');
    await page.getByLabel('Owner email').fill('release.manager@example.com');
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.getByText('release.manager@example.com').waitFor();
    assert.deepEqual(patches, [412, 200], 'the change was not checked against the ticked task');
    await other.getByLabel('Project name').fill('Contended project (theirs)');
    await other.getByRole('button', { name: 'Save details' }).click();
    await other.getByRole('heading', { level: 1, name: 'Contended project (theirs)' }).waitFor();
    let now = await callApi(page, 'GET', `/projects/${project.id}`);
    assert.equal(now.ownerEmail, 'release.manager@example.com', 'the other save put back the old owner');
    assert.equal((await callApi(page, 'GET', path(task))).status, 'in_progress');

    await page.getByRole('button', { name: 'Edit details' }).click();
    await page.getByLabel('Project name').fill('Contended project (mine)');
    await page.getByRole('button', { name: 'Save details' }).click();
    await assertText(page.locator('[data-conflict]'), 'Someone else changed these details while you were editing them');
    await page.getByRole('heading', { level: 1, name: 'Contended project (theirs)' }).waitFor();
    assert.equal(await page.getByLabel('Project name').inputValue(), 'Contended project (mine)');
    now = await callApi(page, 'GET', `/projects/${project.id}`);
    assert.equal(now.name, 'Contended project (theirs)', 'the name was overwritten');
    await other.context().close();
    await page.context().close();
  });

  test('a checklist someone else added a task to is not deleted from a page that did not show the task', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Pruned while watched');
    const { list } = await firstChecklist(page, project.id);
    await page.goto(`/projects/${project.id}`);
    await taskRow(page, 'Write the deploy runbook').waitFor();
    const other = await someoneElse();
    await callApi(other, 'POST', `/projects/${project.id}/checklists/${list.id}/tasks`, { title: 'Added meanwhile' });

    const checklist = page.getByRole('region', { name: 'Launch checks' });
    await checklist.getByRole('button', { name: 'Delete checklist Launch checks' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete checklist' }).click();
    const note = checklist.locator('[data-conflict]');
    await assertText(note, 'so it was not deleted');
    assert.ok(await note.evaluate((el) => el === document.activeElement), 'the note does not have the focus');
    await taskRow(page, 'Added meanwhile').waitFor();
    assert.equal((await firstChecklist(page, project.id)).tasks.length, 2, 'the checklist was deleted');

    await checklist.getByRole('button', { name: 'Delete checklist Launch checks' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete checklist' }).click();
    await checklist.waitFor({ state: 'detached' });
    assert.deepEqual((await callApi(page, 'GET', `/projects/${project.id}`)).checklists, []);
    await other.context().close();
    await page.context().close();
  });

  test('a task someone else deleted is said to be gone, and the page shows it is', async () => {
    const page = await newPage();
    await signIn(page, 'editor');
    const project = await seedProject(page, 'Vanishing task', ['Write the deploy runbook', 'Keep this one']);
    const { tasks: [task], path } = await firstChecklist(page, project.id);
    await page.goto(`/projects/${project.id}`);
    await taskRow(page, 'Write the deploy runbook').waitFor();
    const other = await someoneElse();
    await callApi(other, 'DELETE', path(task));

    await taskRow(page, 'Write the deploy runbook').getByTestId('status').click();
    await assertText(page.getByRole('alert').filter({ hasText: 'deleted' }), 'Someone else deleted the task “Write the deploy runbook”');
    await taskRow(page, 'Write the deploy runbook').waitFor({ state: 'detached' });
    await taskRow(page, 'Keep this one').waitFor();
    await other.context().close();
    await page.context().close();
  });

  test('on a server that takes changes only with If-Match, every edit and delete in the UI names the version it changes', async () => {
    const strict = await startServer({ LAUNCHPAD_HTTP_REQUIRE_IF_MATCH: 'true' });
    try {
      const page = await newPage(DESKTOP, strict);
      await signIn(page, 'editor');
      const project = await seedProject(page, 'Strict project', ['First task', 'Second task']);
      const sent = [];
      page.on('request', (r) => {
        if (r.method() !== 'GET' && r.url().includes('/api/v1/projects')) sent.push([r.method(), r.headers()]);
      });
      const refused = [];
      page.on('response', (r) => { if (r.status() >= 400) refused.push(`${r.request().method()} ${r.url()}: ${r.status()}`); });
      await page.goto(`/projects/${project.id}`);

      await taskRow(page, 'First task').getByTestId('status').click();
      await assertText(taskRow(page, 'First task').getByTestId('status'), 'In progress');
      await page.getByRole('button', { name: 'Edit “Second task”' }).click();
      await page.locator('form.task-edit').getByLabel('Title').fill('Second task, reworded');
      await page.getByRole('button', { name: 'Save task' }).click();
      await taskRow(page, 'Second task, reworded').waitFor();
      await page.getByRole('button', { name: 'Rename checklist Launch checks' }).click();
      const renaming = page.getByRole('region', { name: 'Launch checks' });
      await renaming.getByLabel('Checklist name').fill('Launch gates');
      await renaming.getByRole('button', { name: 'Save', exact: true }).click();
      const checklist = page.getByRole('region', { name: 'Launch gates' });
      await checklist.waitFor();
      await checklist.getByLabel('New task in Launch gates').fill('Third task');
      await checklist.getByRole('button', { name: 'Add task' }).click();
      await taskRow(page, 'Third task').waitFor();
      await page.getByRole('button', { name: 'Edit details' }).click();
      await page.getByLabel('Description').fill('Changed only with If-Match');
      await page.getByRole('button', { name: 'Save details' }).click();
      await page.getByText('Changed only with If-Match').waitFor();
      await page.getByRole('button', { name: 'Delete “First task”' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete task' }).click();
      await taskRow(page, 'First task').waitFor({ state: 'detached' });
      await checklist.getByRole('button', { name: 'Delete checklist Launch gates' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete checklist' }).click();
      await checklist.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Delete project' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
      await page.waitForURL(`${strict.url}/`);

      assert.deepEqual(refused, []);
      const changes = sent.filter(([method]) => method === 'PATCH' || method === 'DELETE');
      assert.deepEqual(changes.map(([method]) => method), ['PATCH', 'PATCH', 'PATCH', 'PATCH', 'DELETE', 'DELETE', 'DELETE']);
      for (const [method, headers] of changes) assert.match(headers['if-match'] ?? '', /^"[0-9a-f]{32}"$/, `${method} without a strong If-Match`);
      const posts = sent.filter(([method]) => method === 'POST');
      assert.equal(posts.length, 1);
      assert.match(posts[0][1]['idempotency-key'] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      await page.context().close();
    } finally {
      await strict.stop();
    }
  });
});

describe('looks and access', () => {
  test('text on the main screens meets WCAG AA contrast', async () => {
    const page = await newPage();
    await page.goto('/signin');
    await page.getByRole('heading', { name: 'Sign in to LaunchPad' }).waitFor();
    const screens = [['sign-in', await page.evaluate(contrastFailures)]];
    await signIn(page, 'admin');
    const project = await seedProject(page, 'Contrast project', ['Pending work', 'Late work']);
    const [pending, late] = (await callApi(page, 'GET', `/projects/${project.id}`)).checklists[0].tasks;
    await callApi(page, 'PATCH', `/projects/${project.id}/checklists/${late.checklistId}/tasks/${late.id}`, { dueDate: '2020-02-02', notes: 'Blocked on review' });
    for (const [task, pillar] of [[pending, 'reliability'], [late, 'supportability']]) {
      await callApi(page, 'PATCH', `/projects/${project.id}/checklists/${task.checklistId}/tasks/${task.id}`, { pillar, required: true });
    }
    await assess(page, project.id, [2, 3, 4, 5], [4, 4, 4, 5], { security: { links: ['https://ci.example.com/run/7'], owner: 'Sam Rivera', nextCheckpoint: '2020-03-01' } });
    await assess(page, project.id, [3, 2, 5, 5], [4, 4, 4, 5]);
    for (const [name, path, ready] of [
      ['overview', '/', '.project-card .pillar-row'],
      ['project', `/projects/${project.id}`, '.chart-svg circle'],
      ['settings', '/settings', '#tokens-heading'],
      ['admin', '/admin', '.table-audit'],
    ]) {
      await page.goto(path);
      await page.locator(ready).first().waitFor();
      screens.push([name, await page.evaluate(contrastFailures)]);
    }
    await page.goto(`/projects/${project.id}`);
    await page.getByRole('button', { name: 'Record an assessment' }).click();
    await page.getByRole('list', { name: 'Scoring legend' }).waitFor();
    for (const table of await page.locator('.chart-table summary').all()) await table.click();
    await page.getByRole('button', { name: `Edit “${pending.title}”` }).click();
    screens.push(['assessment form, tables and task editor', await page.evaluate(contrastFailures)]);
    // Someone else changes the task being edited and another one's status: the notices that say so.
    const { path } = await firstChecklist(page, project.id);
    await page.locator('form.task-edit').getByLabel('Notes').fill('Reworded here');
    await callApi(page, 'PATCH', path(pending), { notes: 'Reworded elsewhere' });
    await page.getByRole('button', { name: 'Save task' }).click();
    await page.locator('form.task-edit [data-conflict]').waitFor();
    await callApi(page, 'PATCH', path(late), { status: 'done' });
    await taskRow(page, late.title).getByTestId('status').click();
    await taskRow(page, late.title).locator('[data-conflict]').waitFor();
    screens.push(['notices of changes someone else made', await page.evaluate(contrastFailures)]);

    await seedPlanning(page, project.id);
    await withOverdueDemo(page, async () => {
      await page.goto('/');
      await page.getByTestId('compliance-overdue').first().waitFor();
      screens.push(['overview with a headline and an overdue review', await page.evaluate(contrastFailures)]);
    });
    for (const [name, row] of [['north-star', 'Restore in under an hour'], ['stakeholders', 'Pilot customers'], ['compliance', 'GDPR']]) {
      await page.goto(`/projects/${project.id}?tab=${name}`);
      await planRow(page, row).waitFor();
      screens.push([`${name} tab`, await page.evaluate(contrastFailures)]);
      // Every add and edit form open at once; each click repaints, so the next closed one is looked up afresh.
      const closed = page.getByRole('tabpanel').locator('button[data-key^="add:"], button[data-key^="edit"]:not([aria-expanded="true"])');
      while (await closed.count()) await closed.first().click();
      if (name === 'compliance') {
        await page.getByLabel('Next review').fill('2027-02-30');
        await page.getByRole('button', { name: 'Save rhythm' }).click();
        await page.locator('.field-error:not([hidden])').first().waitFor();
      }
      screens.push([`${name} tab with its forms open`, await page.evaluate(contrastFailures)]);
    }
    for (const [name, { checked, failures }] of screens) {
      assert.ok(checked > 5, `${name}: only ${checked} text elements checked`);
      assert.deepEqual(failures, [], `${name} has low-contrast text`);
    }
    await page.context().close();
  });

  test('no page broke its Content-Security-Policy or threw an error', () => {
    assert.deepEqual(problems, []);
  });
});

describe('screenshots', () => {
  let showcase;
  let featured;

  before(async () => {
    showcase = await startServer();
    const page = await newPage(DESKTOP, showcase);
    await signIn(page, 'editor');
    featured = await seedShowcase(page);
    await page.context().close();
  });

  after(async () => showcase?.stop());

  for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    test(`the overview and a project at ${label} width, with nothing wider than the screen`, async () => {
      const page = await newPage(viewport, showcase);
      await signIn(page, 'editor');
      await page.locator('.project-card').first().waitFor();
      await page.locator('.project-card .pillar-row').first().waitFor();
      await shoot(page, `dashboard-${label}`, viewport);

      await page.locator('.project-link', { hasText: featured.name }).click();
      await page.locator('.checklist').first().waitFor();
      await page.locator('.chart-svg circle').first().waitFor();
      await shoot(page, `project-${label}`, viewport);

      await page.getByRole('button', { name: 'Record an assessment' }).click();
      await page.locator('section.assessment').waitFor();
      await shoot(page, `assessment-${label}`, viewport);
      await page.context().close();
    });

    test(`the North Star, stakeholder and compliance tabs at ${label} width, with nothing wider than the screen`, async () => {
      const page = await newPage(viewport, showcase);
      await signIn(page, 'editor');
      await page.goto(`/projects/${featured.id}`);
      for (const [name, row, file] of [
        ['North Star', 'Restore from backup in under an hour', 'north-star'],
        ['Stakeholders', 'Pilot customers', 'stakeholders'],
        [/^Compliance/, 'GDPR', 'compliance'],
      ]) {
        await tab(page, name).click();
        await planRow(page, row).waitFor();
        await shoot(page, `${file}-${label}`, viewport);
      }
      // The forms open first: opening one repaints the page, which would drop the error shown last.
      await table(page, 'triggers').getByRole('button', { name: 'Add a trigger' }).click();
      await planRow(page, 'GDPR').getByRole('button', { name: /^Edit/ }).click();
      await page.getByRole('button', { name: 'Edit rhythm' }).click();
      await page.getByLabel('Next review').fill('2027-02-30');
      await page.getByRole('button', { name: 'Save rhythm' }).click();
      await page.locator('.field-error:not([hidden])').first().waitFor();
      await shoot(page, `compliance-forms-${label}`, viewport);
      await page.context().close();
    });
  }

  // Last, so the changes made here show on no other picture.
  for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    test(`changes someone else made first at ${label} width, with nothing wider than the screen`, async () => {
      const page = await newPage(viewport, showcase);
      await signIn(page, 'editor');
      const project = await seedProject(page, `Billing exports (${label})`, ['Export invoices nightly', 'Reconcile with the ledger']);
      const { tasks: [exports, reconcile], path } = await firstChecklist(page, project.id);
      await page.goto(`/projects/${project.id}`);
      await page.getByRole('button', { name: 'Edit “Export invoices nightly”' }).click();
      await page.locator('form.task-edit').getByLabel('Notes').fill('Run at 02:00 UTC, after the ledger closes.');
      await callApi(page, 'PATCH', path(exports), { notes: 'Run at midnight, with the backups.' });
      await page.getByRole('button', { name: 'Save task' }).click();
      await page.locator('form.task-edit [data-conflict]').waitFor();
      await callApi(page, 'PATCH', path(reconcile), { status: 'done' });
      await taskRow(page, 'Reconcile with the ledger').getByTestId('status').click();
      await taskRow(page, 'Reconcile with the ledger').locator('[data-conflict]').waitFor();
      const { list } = await firstChecklist(page, project.id);
      await callApi(page, 'POST', `/projects/${project.id}/checklists/${list.id}/tasks`, { title: 'Send the monthly summary' });
      await page.getByRole('button', { name: 'Delete checklist Launch checks' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete checklist' }).click();
      await page.locator(`[data-conflict="changed:${list.id}"]`).waitFor();
      await callApi(page, 'PATCH', `/projects/${project.id}`, { description: 'Invoices out to the finance system.' });
      await page.getByRole('button', { name: 'Delete project' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
      await page.locator(`[data-conflict="changed:${project.id}"]`).waitFor();
      await shoot(page, `conflict-${label}`, viewport);
      await page.context().close();
    });
  }
});

/** A North Star, stakeholders and compliance notes with every kind of badge, through the API. */
async function seedPlanning(page, projectId) {
  const base = `/projects/${projectId}`;
  await callApi(page, 'PUT', `${base}/north-star`, {
    headline: 'Take card payments every day without losing one', leadingMetric: 'Failed payments a week', metricTarget: 'Under 0.1%',
  });
  await callApi(page, 'POST', `${base}/north-star/rows`, {
    goal: 'Restore in under an hour', successMetric: 'Monthly drill time', guardrail: 'Before the pilot',
    stakeholders: 'Operations', risks: 'Nobody has restored yet.\nSchedule a drill.',
  });
  await callApi(page, 'POST', `${base}/stakeholders`, {
    role: 'Pilot customers', whyTheyCare: 'They take payments through us', success: 'No failed checkouts',
    cadence: 'Fortnightly call', risks: 'Who signs off the pilot?', owner: 'Maya Chen',
  });
  await callApi(page, 'PUT', `${base}/compliance`, { lastReviewed: '2026-01-15', nextReview: '2020-06-30', owner: 'Sam Rivera' });
  await callApi(page, 'POST', `${base}/compliance/inventory`, {
    category: 'Customer emails', source: 'Checkout', storedIn: 'Primary database', retention: 'Two years', access: 'Support',
  });
  for (const [standard, status] of [['gdpr', 'in-progress'], ['pci-dss', 'met'], ['hipaa', 'not-applicable'], ['coppa', 'open']]) {
    await callApi(page, 'POST', `${base}/compliance/triggers`, { standard, status, reason: 'From the scan', controls: 'Encryption at rest' });
  }
  await callApi(page, 'POST', `${base}/compliance/vendors`, { vendor: 'Card processor', dataShared: 'Card tokens', complianceVerified: true });
  await callApi(page, 'POST', `${base}/compliance/vendors`, { vendor: 'Analytics', dataShared: 'Page views', actions: 'Ask for the DPA' });
  await callApi(page, 'POST', `${base}/compliance/reviews`, { date: '2026-01-15', reviewer: 'Sam Rivera', findings: 'Deletion is manual.' });
}

/**
 * Projects a real team might have, at different stages, with assessments;
 * returns the featured one: the demo project, whose Day-0 and later
 * assessments give its charts a trend, with one more recorded today.
 */
async function seedShowcase(page) {
  const plan = [
    ['Checkout service', 'Card and wallet payments for the web shop.', 'maya.chen@example.com', [
      ['Observability', [['Export request metrics', 'done'], ['Structured JSON logs', 'done'], ['Alert on error-budget burn', 'in_progress'], ['Trace the payment flow end to end']]],
      ['Security review', [['Threat model the card vault', 'done'], ['Rotate the processor API keys', 'in_progress', '2020-03-01'], ['Triage the pen-test findings', 'pending', '2099-06-30']]],
      ['Launch readiness', [['Load test at three times peak'], ['Write the rollback runbook', 'pending', '2020-04-15', 'Include the database migration rollback.']]],
    ]],
    ['Search indexer', 'Keeps product search fresh within a minute of a change.', 'omar.haddad@example.com', [
      ['Reliability', [['Backfill job is idempotent', 'done'], ['Dead-letter queue with alerts', 'done'], ['Chaos test a node loss', 'done'], ['Capacity plan for the holidays', 'in_progress']]],
      ['Operations', [['On-call rota and escalation', 'done'], ['Dashboards for lag and errors', 'done']]],
    ]],
    ['Mobile app v2', 'The rebuilt iOS and Android apps.', null, [
      ['Store submission', [['Privacy labels reviewed'], ['Crash reporting wired up', 'in_progress'], ['Accessibility audit']]],
    ]],
    ['Internal admin portal', 'Support tooling for refunds and account recovery.', 'lee.park@example.com', [
      ['Go-live', [['SSO with the staff directory', 'done'], ['Audit log for every refund', 'done'], ['Role review with support leads', 'done']]],
    ]],
  ];
  const assessments = {
    'Checkout service': [[3, 3, 3, 2], [4, 5, 4, 4]],
    'Search indexer': [[4, 3, 4, 4], [5, 4, 4, 4]],
    'Internal admin portal': [[4, 4, 3, 4], [4, 4, 4, 4]],
  };
  const pillarOf = {
    Observability: 'observability', 'Security review': 'security', 'Launch readiness': 'reliability',
    Reliability: 'reliability', Operations: 'supportability', 'Store submission': 'supportability', 'Go-live': 'security',
  };
  const headlines = {
    'Checkout service': 'Take card payments every day without losing one',
    'Search indexer': 'Search results are never more than a minute stale',
  };
  const required = new Set(['Rotate the processor API keys', 'Write the rollback runbook', 'Alert on error-budget burn']);
  for (const [name, description, ownerEmail, lists] of plan) {
    const project = await callApi(page, 'POST', '/projects', { name, description, ...(ownerEmail ? { ownerEmail } : {}) });
    for (const scores of assessments[name] ?? []) await assess(page, project.id, scores);
    if (headlines[name]) await callApi(page, 'PUT', `/projects/${project.id}/north-star`, { headline: headlines[name] });
    if (name === 'Checkout service') {
      await callApi(page, 'PUT', `/projects/${project.id}/compliance`, { nextReview: '2020-06-30', owner: 'Maya Chen' });
    }
    for (const [listName, tasks] of lists) {
      const list = await callApi(page, 'POST', `/projects/${project.id}/checklists`, { name: listName });
      for (const [title, status = 'pending', dueDate, notes] of tasks) {
        const task = await callApi(page, 'POST', `/projects/${project.id}/checklists/${list.id}/tasks`,
          { title, pillar: pillarOf[listName], required: required.has(title), ...(dueDate ? { dueDate } : {}), ...(notes ? { notes } : {}) });
        if (status !== 'pending') {
          await callApi(page, 'PATCH', `/projects/${project.id}/checklists/${list.id}/tasks/${task.id}`, { status });
        }
      }
    }
  }
  const demo = await demoProject(page);
  await assess(page, demo.id, [4, 3, 3, 3], [4, 4, 4, 4], {
    reliability: {
      evidence: 'Health checks and restarts are tested in CI; the backup is restored every week.',
      links: ['https://ci.example.com/launchpad/run/1842', 'https://runbooks.example.com/launchpad/restore'],
      owner: 'Maya Chen',
      nextCheckpoint: '2027-01-15',
    },
    security: { evidence: 'Dependencies are audited on every build; the threat model is still to do.' },
  });
  await callApi(page, 'POST', `/projects/${demo.id}/north-star/rows`, {
    goal: 'Every release can be rolled back in five minutes', successMetric: 'Rollback drill time',
    guardrail: 'Each release, from the first pilot on', stakeholders: 'On-call engineers',
    risks: 'Migrations that cannot run backwards.\nMitigation: expand and contract, one step per release.',
  });
  await callApi(page, 'POST', `/projects/${demo.id}/stakeholders`, {
    role: 'Head of customer support', whyTheyCare: 'Their team hears about every outage first',
    success: 'Fewer than two tickets a week about downtime', cadence: 'Weekly, #support-launch',
    risks: 'Who tells pilot customers about planned maintenance?', owner: 'Omar Haddad',
  });
  return demo;
}

/** A whole-page screenshot from the top, and a check that nothing is wider than the screen. */
async function shoot(page, name, viewport) {
  await page.mouse.move(0, 0); // no hover state in the picture
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= viewport.width, `${name} overflows`);
}

async function assertText(locator, expected) {
  const deadline = Date.now() + 10_000;
  let actual;
  while (Date.now() < deadline) {
    actual = (await locator.textContent()).trim();
    if (actual.includes(expected)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`expected “${expected}”, found “${actual}”`);
}
