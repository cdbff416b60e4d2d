// Sessions: the leader's open sessions (ttl, time left without a keep-alive), held locks (holder, fencing token,
// waiting sessions) and the watches waiting on it, from GET /sessions (forwarded to the leader), every two seconds.
import { getJson } from './api.js';
import { h, num } from './dom.js';

export const title = 'Sessions';

const everyMs = 2000;

export function mount(main, signal, { showError, clearError }) {
  const summary = h('p', { id: 'sessions-summary', 'aria-live': 'polite' }, 'Loading…');
  const sessions = table('sessions-table', 'Open sessions, by id',
    ['Session', 'TTL', ['Time left', 'num']]);
  const locks = table('locks-table', 'Held locks, by name; waiters are served first come, first served',
    ['Lock', 'Holder session', ['Fencing token', 'num'], 'Waiting sessions (next first)']);
  const watches = table('watches-table', 'Watches waiting on the leader, by id',
    [['Watch', 'num'], 'Kind', 'Key or prefix', 'Session', ['Fires after index', 'num']]);
  main.append(
    summary,
    h('h2', { id: 'sessions-heading' }, 'Sessions'), sessions.note, sessions.table,
    h('h2', { id: 'locks-heading' }, 'Locks'), locks.note, locks.table,
    h('h2', { id: 'watches-heading' }, 'Watches'), watches.note, watches.table);

  const poll = async () => {
    try {
      const listing = await getJson('/sessions?forward=true');
      summary.textContent = `As the leader (node ${listing.leader}) knew them at index ${num(listing.index)}: `
        + `${count(listing.sessionCount, 'session')}, ${count(listing.lockCount, 'lock')} held, ${count(listing.watchCount, 'watch', 'watches')} waiting.`;
      fill(sessions, listing.sessions, listing.sessionCount, listing.limit, 'no open sessions', s => [
        s.id, s.ttl, s.expiresInMs === null ? 'not known yet' : seconds(s.expiresInMs)]);
      fill(locks, listing.locks, listing.lockCount, listing.limit, 'no locks held', l => [
        l.name, l.holder, num(l.fencingToken),
        l.waiterCount === 0 ? 'none' : l.waiters.join(', ') + (l.waiterCount > l.waiters.length ? ` and ${num(l.waiterCount - l.waiters.length)} more` : '')]);
      fill(watches, listing.watches, listing.watchCount, listing.limit, 'no watches waiting', w => [
        w.id, w.prefix ? 'prefix' : 'key', w.key === '' ? '(every key)' : w.key, w.session ?? 'none', num(w.afterIndex)]);
      clearError();
    } catch (error) {
      if (!signal.aborted) showError(error);
    }
  };

  const run = async () => {
    if (signal.aborted) return;
    await poll();
    if (!signal.aborted) setTimeout(run, everyMs);
  };
  run();
}

function table(id, caption, columns) {
  const body = h('tbody');
  const heads = columns.map(c => Array.isArray(c) ? c : [c, null]);
  return {
    body,
    classes: heads.map(([, cls]) => cls),
    note: h('p', { class: 'muted', id: `${id}-note`, 'aria-live': 'polite' }),
    table: h('table', { id },
      h('caption', { class: 'muted' }, caption),
      h('thead', {}, h('tr', {}, heads.map(([name, cls]) => h('th', { scope: 'col', class: cls }, name)))),
      body),
  };
}

function fill(t, items, total, limit, empty, cells) {
  t.note.textContent = total > items.length ? `Showing the first ${num(items.length)} of ${num(total)} (akkaraft.sessions.max-listed = ${num(limit)}).` : '';
  if (items.length === 0) {
    t.body.replaceChildren(h('tr', {}, h('td', { colspan: t.classes.length, class: 'muted' }, empty)));
    return;
  }
  t.body.replaceChildren(...items.map(item =>
    h('tr', {}, cells(item).map((value, i) => i === 0 ? h('th', { scope: 'row', class: t.classes[i] }, value) : h('td', { class: t.classes[i] }, value)))));
}

function count(n, one, many = one + 's') {
  return `${num(n)} ${n === 1 ? one : many}`;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
