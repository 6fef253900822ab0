// No lost updates: every change to a project, a checklist or a task names,
// in If-Match, the version of it the person was looking at, so a change
// someone else saved in the meantime is never silently overwritten.
//
// The page shows a project as one read, which carries the project's ETag
// but not those of the checklists and tasks inside it. So the version of an
// item is kept from the last answer that carried it (a read, or a change's
// answer), and when none matches what the page shows, the item is read on
// its own right before the change: if it still holds what the person saw,
// its ETag names that version; if not, the change is not sent and `Changed`
// says so. A 412 (a change landed between that read and this one) is read
// again the same way.
//
// A change is refused only when someone else changed what it sets: a
// project's ETag covers its checklists and tasks, yet a ticked task there
// does not make a rename of the project a conflict. A delete sets
// everything, so any change someone else made stops it.

import { ApiError, api } from './api.js';

/** The latest known version of each item, by its API path: { etag, data }; the most recent few. */
const known = new Map();
const KEPT = 100;

/**
 * Someone else changed the item, which is now `current`, or deleted it
 * (`current` is null). The page words the message for the item at hand.
 */
export class Changed extends Error {
  constructor(current, message) {
    super(message ?? (current
      ? 'Someone else changed this while you were looking at it, so your change was not saved.'
      : 'Someone else deleted this while you were looking at it, so your change was not saved.'));
    this.current = current;
  }
}

/** Keeps the version an answer carried, and returns the answer. */
export function remember(path, answer) {
  if (answer?.etag && answer.data) {
    known.delete(path);
    known.set(path, { etag: answer.etag, data: answer.data });
    if (known.size > KEPT) known.delete(known.keys().next().value);
  }
  return answer;
}

/** Reads one item and keeps its version. */
export async function read(path) {
  return remember(path, await api.get(path));
}

/** Absent, null and '' are all "not set". */
const blank = (v) => v === undefined || v === null || v === '';

/** Whether two JSON values hold the same, whatever the order of their keys. */
function same(a, b) {
  if (a === b) return true;
  if (blank(a) || blank(b)) return blank(a) && blank(b);
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => same(a[k], b[k]));
}

/** The fields of `wanted` whose values differ from the item's: a merge patch of what the person changed. */
export function changes(item, wanted) {
  return Object.fromEntries(Object.entries(wanted).filter(([k, v]) => !same(item[k], v)));
}

/** Whether `now` still holds what the person saw of the fields `body` sets (all of it without a body). */
const agrees = (now, seen, body) => (body ? Object.keys(body).every((k) => same(now[k], seen[k])) : same(now, seen));

/** The item as it is now, or Changed(null) when it is gone. */
async function current(path) {
  try {
    return await read(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new Changed(null);
    throw error;
  }
}

async function send(method, path, seen, body) {
  let version = known.get(path);
  if (!version || !same(version.data, seen)) version = await current(path);
  for (let attempt = 0; ; attempt += 1) {
    if (!agrees(version.data, seen, body)) throw new Changed(version.data);
    try {
      const answer = await api[method](path, ...(body ? [body] : []), { ifMatch: version.etag });
      if (method === 'del') known.delete(path);
      return remember(path, answer);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 404) throw new Changed(null);
      if (error.status !== 412 || attempt > 0) throw error;
    }
    version = await current(path);
  }
}

/**
 * Sends `body`, a merge patch, to the item at `path` as the person saw it
 * (`seen`), naming that version. Throws Changed when someone else has
 * changed a field the patch sets. An empty patch sends nothing.
 */
export function edit(path, seen, body) {
  return Object.keys(body).length ? send('patch', path, seen, body) : null;
}

/** Deletes the item at `path` if it is still as the person saw it (`seen`). */
export function remove(path, seen) {
  return send('del', path, seen, null);
}
