// Keys: browse by prefix, read one key at a chosen level (stale, default, consistent) with its last index, write a
// key, delete one after a confirmation. Every request carries forward=true: a follower hands it to the leader through
// Raft rather than redirecting the browser to another node.
import { request, getJson } from './api.js';
import { h, num } from './dom.js';

export const title = 'Keys';

const listLimit = 200;

const keyPath = (key, query) => `/key/${encodeURIComponent(key)}?forward=true${query ? `&${query}` : ''}`;

export function mount(main, signal, { showError, clearError }) {
  const prefix = h('input', { id: 'prefix', name: 'prefix', type: 'text', placeholder: '(all keys)', autocomplete: 'off' });
  const level = h('select', { id: 'level', name: 'level' },
    h('option', { value: 'default' }, 'default (leader lease)'),
    h('option', { value: 'consistent' }, 'consistent (read index)'),
    h('option', { value: 'stale' }, 'stale (this node)'));
  const listBody = h('tbody');
  const listNote = h('p', { class: 'muted', id: 'keys-note', 'aria-live': 'polite' });
  const detail = h('section', { id: 'key-detail', 'aria-live': 'polite' });

  const newKey = h('input', { id: 'write-key', name: 'key', type: 'text', required: true, autocomplete: 'off' });
  const newValue = h('textarea', { id: 'write-value', name: 'value', rows: 2, cols: 40 });
  const writeNote = h('p', { id: 'write-result', 'aria-live': 'polite' });

  const list = async () => {
    try {
      const answer = await getJson(`/keys?forward=true&limit=${listLimit}&prefix=${encodeURIComponent(prefix.value)}`);
      listBody.replaceChildren(...answer.pairs.map(p => h('tr', { 'data-key': p.key },
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => open(p.key) }, p.key)),
        h('td', {}, p.value.length > 80 ? `${p.value.slice(0, 80)}…` : p.value),
        h('td', { class: 'num' }, num(p.index)))));
      listNote.textContent = `${answer.pairs.length} key${answer.pairs.length === 1 ? '' : 's'}${answer.truncated ? ` (the first ${listLimit}; narrow the prefix)` : ''}`;
      clearError();
    } catch (error) {
      showError(error);
    }
  };

  const open = async key => {
    try {
      const response = await request(keyPath(key, `level=${level.value}`));
      const body = await response.json();
      const index = (response.headers.get('ETag') ?? '').replaceAll('"', '');
      const readAt = response.headers.get('X-Raft-Index');
      // The cluster's own records (its members' addresses) are read-only to clients: the node refuses their deletion.
      const internal = key.startsWith('_akkaraft/');
      const remove = internal
        ? h('p', { class: 'note' }, 'A record the cluster keeps for itself: clients may read it, not change it.')
        : h('button', { type: 'button', id: 'delete-key', onclick: () => removeKey(key) }, `Delete ${key}`);
      detail.replaceChildren(
        h('h2', {}, `Key ${key}`),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Last index'), h('dd', { id: 'key-index' }, index),
          h('dt', {}, 'Read at'), h('dd', {}, `index ${readAt} (${level.value})`)),
        h('pre', { class: 'value', id: 'key-value' }, body[key]),
        remove);
      if (!internal) remove.focus();
      clearError();
    } catch (error) {
      showError(error);
    }
  };

  const removeKey = async key => {
    if (!window.confirm(`Delete the key "${key}"? This cannot be undone.`)) return;
    try {
      const answer = await (await request(keyPath(key), { method: 'DELETE' })).json();
      detail.replaceChildren(h('p', {}, `Deleted ${key} at index ${answer.index}.`));
      await list();
    } catch (error) {
      showError(error);
    }
  };

  const write = async event => {
    event.preventDefault();
    try {
      const answer = await (await request('/key?forward=true', { method: 'POST', body: { [newKey.value]: newValue.value } })).json();
      writeNote.textContent = `Wrote ${newKey.value} at index ${answer.index[newKey.value]}.`;
      writeNote.dataset.index = String(answer.index[newKey.value]);
      clearError();
      await list();
    } catch (error) {
      writeNote.textContent = '';
      showError(error);
    }
  };

  main.append(
    h('h2', {}, 'Browse'),
    h('form', { id: 'browse', onsubmit: event => { event.preventDefault(); list(); } },
      h('label', { for: 'prefix' }, 'Prefix', prefix),
      h('label', { for: 'level' }, 'Read level', level),
      h('button', { type: 'submit' }, 'List keys')),
    listNote,
    h('table', { id: 'key-list' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col', class: 'num' }, 'Last index'))),
      listBody),
    detail,
    h('h2', {}, 'Write'),
    h('form', { id: 'write', onsubmit: write },
      h('label', { for: 'write-key' }, 'Key', newKey),
      h('label', { for: 'write-value' }, 'Value', newValue),
      h('button', { type: 'submit' }, 'Write key')),
    writeNote);
  list();
  signal.addEventListener('abort', () => detail.replaceChildren());
}
