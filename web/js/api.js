// Calls to hookd's API and to the dashboard's sign-in (/ui/session). The page never holds the
// token: after sign-in the browser keeps an HttpOnly session cookie, and every change sends the
// session's CSRF token, which lives in this module's memory only (not in any storage).

let csrfToken = null;

// An API error: the status and hookd's {code, detail}. `field` is the input the detail names
// ("url: must be ..." names url), so a form can show the error beside it.
export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && body.detail) || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.code = (body && body.code) || 'error';
    const named = /^([A-Za-z][A-Za-z0-9_.[\]-]*):/.exec(detail);
    this.field = named ? named[1] : null;
  }
}

async function send(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// `path` is under /api/v1 ("/app" is /api/v1/app).
export const api = {
  get: (path) => send('GET', `/api/v1${path}`),
  post: (path, body = {}) => send('POST', `/api/v1${path}`, body),
  patch: (path, body) => send('PATCH', `/api/v1${path}`, body),
  put: (path, body) => send('PUT', `/api/v1${path}`, body),
  del: (path) => send('DELETE', `/api/v1${path}`),
};

// Every item of a paginated list (Svix's {data, iterator, done}), up to `max`.
export async function listAll(path, max = 1000) {
  const items = [];
  let iterator = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api.get(`${path}${sep}limit=250${iterator ? `&iterator=${encodeURIComponent(iterator)}` : ''}`);
    items.push(...page.data);
    if (page.done || !page.iterator || items.length >= max) return items;
    iterator = page.iterator;
  }
}

// Who is signed in ({kind, tokenId, appId, readOnly}), or null.
export async function currentSession() {
  try {
    const session = await send('GET', '/ui/session');
    csrfToken = session.csrfToken;
    return session;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function signIn(token) {
  const session = await send('POST', '/ui/session', { token });
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut() {
  await send('DELETE', '/ui/session');
  csrfToken = null;
}
