// The console's shell: a page per location hash (#cluster, #keys, #sessions, #series), the node's name in the header, and one
// place where errors are shown (role=alert, so a screen reader says them too).
import { getJson, hasToken, setToken } from './api.js';
import * as cluster from './cluster.js';
import * as keys from './keys.js';
import * as series from './series.js';
import * as sessions from './sessions.js';

const pages = { cluster, keys, sessions, series };
const main = document.getElementById('main');
const errorBox = document.getElementById('error');
let current = null;

export function showError(error) {
  errorBox.textContent = error instanceof Error ? error.message : String(error);
  errorBox.hidden = false;
}

export function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

function route() {
  const name = location.hash.replace(/^#/, '').split('?')[0] || 'cluster';
  const page = pages[name] ?? cluster;
  if (current) current.abort();
  current = new AbortController();
  clearError();
  main.replaceChildren();
  main.dataset.page = name in pages ? name : 'cluster';
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.page === main.dataset.page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${page.title} · AkkaRaft console`;
  page.mount(main, current.signal, { showError, clearError });
}

const tokenForm = document.getElementById('token-form');
const tokenState = document.getElementById('token-state');
function showTokenState() {
  tokenState.textContent = hasToken() ? 'token in use' : 'no token';
}
tokenForm.addEventListener('submit', event => {
  event.preventDefault();
  const field = tokenForm.elements.token;
  setToken(field.value.trim());
  field.value = '';
  showTokenState();
  showNodeName();
  route();
});
showTokenState();

window.addEventListener('hashchange', () => {
  route();
  main.focus();
});
route();

function showNodeName() {
  getJson('/status').then(status => {
    document.getElementById('node-name').textContent = `node ${status.id}`;
  }).catch(showError);
}
showNodeName();
