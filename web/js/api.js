// The one way the UI talks to the server: JSON over /api/v1 with the session
// cookie. Failures become typed errors: ApiError carries the problem+json
// body (and its per-field `errors`), ConnectionError means the server could
// not be reached. Connection changes and lost sessions are announced on `events`.
// Answers carry their ETag; a change can name the version it was made to
// (If-Match), and every POST carries an Idempotency-Key, the same one again
// when the very same request is sent after its answer was lost.

const BASE = '/api/v1';

/** 'connection' (detail: {online}) and 'unauthorized' events. */
export const events = new EventTarget();

/**
 * What a person is told of a refused precondition. The server's own words
 * are for API clients, and its `errors` name the If-Match header, which is
 * nothing a person typed.
 */
const PRECONDITION = {
  412: 'Someone else changed this while you were looking at it, so your change was not saved. Reload the page to see what they saved.',
  428: 'The server takes a change only when it names the version it was made to, and this one did not. Reload the page and try again.',
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(PRECONDITION[status] || problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem ?? {};
    this.errors = Array.isArray(problem?.errors) && !PRECONDITION[status] ? problem.errors : [];
  }
}

export class ConnectionError extends Error {
  constructor() {
    super('The server could not be reached. Nothing you typed is lost; try again when the connection is back.');
  }
}

let online = true;
function setOnline(value) {
  if (value === online) return;
  online = value;
  events.dispatchEvent(new CustomEvent('connection', { detail: { online } }));
}

/** The cursor of a `Link: <…?cursor=X>; rel="next"` header, if any. */
export function nextCursor(link) {
  if (!link) return null;
  for (const part of link.split(',')) {
    const match = part.match(/<([^>]*)>\s*;\s*rel="?next"?/);
    if (match) return new URL(match[1], location.origin).searchParams.get('cursor');
  }
  return null;
}

/** A random UUID; `crypto.randomUUID` exists only on https and localhost. */
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The Idempotency-Key of each POST whose answer never came, by a digest of
 * its path and body: when the person sends the same again, the server can
 * tell the retry from a second request and answer it as it answered the
 * first. The digest (FNV-1a) keeps no body, a new user's password among them.
 */
const unanswered = new Map();

function digest(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

/**
 * Sends one request. Returns { data, next, etag }: `next` is the cursor of
 * the following page when the answer is paginated, `etag` the version of
 * the item it carries. `options.ifMatch` makes a change apply only to that
 * version. Signing in and out are never replayed, so they carry no key.
 */
export async function request(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  // Cookie-authenticated changes must prove they come from this site.
  if (method !== 'GET') headers['X-Requested-With'] = 'launchpad';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  const json = body === undefined ? undefined : JSON.stringify(body);
  const once = method === 'POST' && !path.startsWith('/auth/') ? digest(`${path} ${json}`) : null;
  if (once) headers['Idempotency-Key'] = unanswered.get(once) ?? uuid();
  let response;
  try {
    response = await fetch(BASE + path, { method, headers, credentials: 'same-origin', body: json });
  } catch {
    if (once) unanswered.set(once, headers['Idempotency-Key']);
    setOnline(false);
    throw new ConnectionError();
  }
  if (once) unanswered.delete(once);
  setOnline(true);
  const type = response.headers.get('content-type') ?? '';
  const data = response.status !== 204 && type.includes('json')
    ? await response.json().catch(() => null)
    : null;
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && path !== '/auth/login') {
      events.dispatchEvent(new CustomEvent('unauthorized'));
    }
    throw error;
  }
  return { data, next: nextCursor(response.headers.get('link')), etag: response.headers.get('etag') };
}

/** Every item of a paged list, following the `Link` cursors page by page. */
async function every(path, limit = 200) {
  const items = [];
  let cursor = null;
  do {
    const query = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await request('GET', `${path}${path.includes('?') ? '&' : '?'}${query}`);
    items.push(...(page.data ?? []));
    cursor = page.next;
  } while (cursor);
  return items;
}

export const api = {
  get: (path) => request('GET', path),
  all: every,
  post: (path, body) => request('POST', path, body ?? {}),
  put: (path, body) => request('PUT', path, body),
  /** `options.ifMatch`: the ETag of the version being changed. */
  patch: (path, body, options) => request('PATCH', path, body, options),
  del: (path, options) => request('DELETE', path, undefined, options),
};

/** Paths of the nested resources. */
export const paths = {
  project: (p) => `/projects/${encodeURIComponent(p)}`,
  checklists: (p) => `${paths.project(p)}/checklists`,
  checklist: (p, c) => `${paths.checklists(p)}/${encodeURIComponent(c)}`,
  tasks: (p, c) => `${paths.checklist(p, c)}/tasks`,
  task: (p, c, t) => `${paths.tasks(p, c)}/${encodeURIComponent(t)}`,
  scorecard: (p) => `${paths.project(p)}/scorecard`,
  assessments: (p) => `${paths.project(p)}/assessments`,
  /** The printable report: a page of its own, outside the UI. */
  report: (p) => `${BASE}${paths.project(p)}/report?format=html`,
  northStar: (p) => `${paths.project(p)}/north-star`,
  alignment: (p) => `${paths.northStar(p)}/rows`,
  stakeholders: (p) => `${paths.project(p)}/stakeholders`,
  compliance: (p) => `${paths.project(p)}/compliance`,
  /** A section of the compliance notes: inventory, triggers, vendors or reviews. */
  complianceRows: (p, section) => `${paths.compliance(p)}/${section}`,
  scan: (p) => `${paths.compliance(p)}/scan`,
  /** One row of any planning table, under the collection `rows`. */
  row: (rows, id) => `${rows}/${encodeURIComponent(id)}`,
  templates: '/templates',
  template: (t) => `/templates/${encodeURIComponent(t)}`,
};

window.addEventListener('offline', () => setOnline(false));
window.addEventListener('online', () => setOnline(true));
