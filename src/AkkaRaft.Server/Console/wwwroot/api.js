// The one way the console talks to its node: same origin, relative paths, JSON in and out. Errors from the API are
// RFC 7807 problems; their detail becomes the Error's message.

/** Where the bearer token is kept: this tab's session storage, gone when the tab closes; never in a URL or a cookie. */
const tokenKey = 'akkaraft-token';

/** Uses `token` on every request from now on (an empty one: none). */
export function setToken(token) {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}

/** Whether a token is in use. */
export function hasToken() {
  return sessionStorage.getItem(tokenKey) !== null;
}

/**
 * Headers every request carries: the bearer token, when the node asks for one (akkaraft.http.auth; the console's own
 * files are served without it, the API's answers are not).
 */
function commonHeaders() {
  const headers = { Accept: 'application/json, application/problem+json, text/plain' };
  const token = sessionStorage.getItem(tokenKey);
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** How often a read answered 503 (an election in progress: "retry shortly") is asked again, and how long apart. */
const readRetries = 3;
const readRetryDelayMs = 500;

/**
 * fetch() against this node; throws ApiError with the problem's detail on a status other than 2xx. A GET answered 503
 * is asked again a few times first; a write is not (it may still commit, and the user decides).
 */
export async function request(path, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, headers: { ...commonHeaders(), ...headers }, cache: 'no-store' };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let response = await fetch(path, init);
  for (let retry = 0; method === 'GET' && response.status === 503 && retry < readRetries; retry++) {
    await new Promise(resolve => setTimeout(resolve, readRetryDelayMs));
    response = await fetch(path, init);
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      if (problem && problem.detail) detail = problem.detail;
    } catch { /* not JSON: keep the status line */ }
    if (response.status === 401) detail += ': enter a token in the Token field above';
    throw new ApiError(response.status, detail);
  }
  return response;
}

export async function getJson(path) {
  return (await request(path)).json();
}

export async function getText(path) {
  return (await request(path)).text();
}

/** Reads Prometheus text into a map of sample name (with its labels, as written) to number. */
export function parsePrometheus(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}
