// Cluster: this node's view of the members (role, reachability, match and next index, lag, and each member's own term,
// journal and last snapshot, which this node asks them for), its own log and journal,
// updated every second; and plots of commit latency and applied operations per second over the last minutes, from
// this node's /metrics. Only the leader times commits, so a follower's latency plot stays empty (it says so).
import { getJson, getText, parsePrometheus } from './api.js';
import { h, num, bytes } from './dom.js';
import { lineChart } from './chart.js';

export const title = 'Cluster';

const statusEveryMs = 1000;
const metricsEveryMs = 2000;
const historySeconds = 300;

export function mount(main, signal, { showError, clearError }) {
  const summary = h('p', { id: 'leader-summary', 'aria-live': 'polite' }, 'Loading…');
  const members = h('tbody');
  const facts = h('dl', { class: 'facts', id: 'node-facts' });
  const latencyFigure = h('figure', { id: 'latency-plot' }, h('figcaption', {}, 'Commit latency per interval (ms): mean and p99 from the peer\'s histogram'));
  const opsFigure = h('figure', { id: 'ops-plot' }, h('figcaption', {}, 'Entries applied per second on this node'));
  const latencyNote = h('p', { class: 'muted', id: 'latency-note' });
  main.append(
    h('h2', {}, 'Members'),
    summary,
    h('table', { id: 'members' },
      h('caption', { class: 'muted' }, 'As this node sees them; match and next index come from the leader'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Member'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Reachable'),
        h('th', { scope: 'col', class: 'num' }, 'Match index'), h('th', { scope: 'col', class: 'num' }, 'Next index'),
        h('th', { scope: 'col', class: 'num' }, 'Lag (entries)'), h('th', { scope: 'col', class: 'num' }, 'Term'),
        h('th', { scope: 'col', class: 'num' }, 'Journal'), h('th', { scope: 'col', class: 'num' }, 'Last snapshot'),
        h('th', { scope: 'col' }, 'Raft address'), h('th', { scope: 'col' }, 'HTTP address'))),
      members),
    h('h2', {}, 'This node'),
    facts,
    h('h2', {}, 'Last minutes'),
    latencyNote,
    h('div', { class: 'plots' }, latencyFigure, opsFigure));

  const latency = lineChart(latencyFigure, { lines: ['mean', 'p99'], unit: 'ms', width: 560, windowSeconds: historySeconds });
  const ops = lineChart(opsFigure, { lines: ['applied/s'], unit: 'entries/s', width: 560, windowSeconds: historySeconds });
  signal.addEventListener('abort', () => { latency.destroy(); ops.destroy(); });

  const pollStatus = async () => {
    try {
      // members=full: each member's own term, journal and last snapshot (this node asks the others for them).
      const status = await getJson('/status?members=full');
      renderStatus(status, summary, members, facts);
      latencyNote.textContent = status.role === 'leader'
        ? ''
        : 'Commit latency is timed by the leader; this node is a ' + status.role + ', so its latency plot stays empty. Open the leader\'s console to see it.';
      clearError();
    } catch (error) {
      if (!signal.aborted) showError(error);
    }
  };

  const history = { t: [], mean: [], p99: [], ops: [] };
  let previous = null;
  const pollMetrics = async () => {
    try {
      const samples = parsePrometheus(await getText('/metrics'));
      const now = Date.now() / 1000;
      const sample = readSample(samples, now);
      if (previous) addInterval(history, previous, sample);
      previous = sample;
      const oldest = now - historySeconds;
      while (history.t.length > 0 && history.t[0] < oldest) for (const list of Object.values(history)) list.shift();
      latency.set(history.t, history.mean, history.p99);
      ops.set(history.t, history.ops);
    } catch (error) {
      if (!signal.aborted) showError(error);
    }
  };

  repeat(pollStatus, statusEveryMs, signal);
  repeat(pollMetrics, metricsEveryMs, signal);
}

/** Runs `task` now and again `everyMs` after each run ends, until `signal` aborts. */
function repeat(task, everyMs, signal) {
  const run = async () => {
    if (signal.aborted) return;
    await task();
    if (!signal.aborted) setTimeout(run, everyMs);
  };
  run();
}

function renderStatus(status, summary, members, facts) {
  const leader = status.leader;
  summary.textContent = leader
    ? `Leader: ${leader} · term ${status.term} · ${status.members.length} members`
    : `No leader (an election is in progress) · term ${status.term}`;
  summary.dataset.leader = leader ?? '';
  const sorted = [...status.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  members.replaceChildren(...sorted.map(m => h('tr', { class: m.role === 'leader' ? 'leader' : null, 'data-member': m.id },
    h('th', { scope: 'row' }, m.id, m.id === status.id ? ' (this node)' : ''),
    h('td', { class: `role-${m.role}` }, m.role),
    h('td', { class: m.reachable ? null : 'unreachable' }, m.reachable ? 'yes' : `no${m.clusterStatus ? ` (${m.clusterStatus})` : ''}`),
    h('td', { class: 'num' }, num(m.matchIndex)),
    h('td', { class: 'num' }, num(m.nextIndex)),
    h('td', { class: 'num' }, num(m.lag)),
    h('td', { class: 'num', 'data-col': 'term' }, m.own ? num(m.own.term) : 'unknown'),
    h('td', { class: 'num', 'data-col': 'journal' }, m.own && m.own.journalBytes !== null ? bytes(m.own.journalBytes) : 'unknown'),
    h('td', { class: 'num', 'data-col': 'snapshot' }, m.own ? `index ${num(m.own.lastSnapshotIndex)}` : 'unknown'),
    h('td', {}, m.raftAddress ?? '—'),
    h('td', {}, m.httpAddress ?? '—'))));
  const journal = status.journal.writable ? 'writable' : `not writable since ${status.journal.since}: ${status.journal.error}`;
  const rows = [
    ['Node', status.id], ['Role', status.role], ['Term', num(status.term)], ['Leader', leader ?? 'none'],
    ['Commit index', num(status.commitIndex)], ['Applied index', num(status.appliedIndex)],
    ['Log', `${num(status.firstIndex)} … ${num(status.lastIndex)}`],
    ['Journal', `${bytes(status.journalBytes)}, ${journal}`],
    ['Last snapshot', `index ${num(status.lastSnapshot.index)} (${num(status.lastSnapshot.saved)} saved, ${num(status.lastSnapshot.installed)} installed)`],
    ['Addresses', `raft ${status.raftAddress} · http ${status.httpAddress}${status.grpcAddress ? ` · grpc ${status.grpcAddress}` : ''}`],
  ];
  facts.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function readSample(samples, t) {
  const buckets = [];
  for (const [name, value] of samples) {
    const match = /^akkaraft_commit_latency_seconds_bucket\{le="([^"]+)"\}$/.exec(name);
    if (match) buckets.push([match[1] === '+Inf' ? Infinity : Number(match[1]), value]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  return {
    t,
    applied: samples.get('akkaraft_entries_applied_total') ?? 0,
    sum: samples.get('akkaraft_commit_latency_seconds_sum') ?? 0,
    count: samples.get('akkaraft_commit_latency_seconds_count') ?? 0,
    buckets,
  };
}

function addInterval(history, before, after) {
  const seconds = after.t - before.t;
  if (seconds <= 0) return;
  const commits = after.count - before.count;
  history.t.push(after.t);
  history.ops.push(Math.max(0, after.applied - before.applied) / seconds);
  if (commits <= 0) {
    history.mean.push(null);
    history.p99.push(null);
    return;
  }
  history.mean.push((after.sum - before.sum) / commits * 1000);
  // The p99 of the interval: the upper bound of the first bucket whose count in the interval reaches 99%.
  let p99 = null;
  for (let i = 0; i < after.buckets.length; i++) {
    const [le, cumulative] = after.buckets[i];
    const earlier = before.buckets[i] ? before.buckets[i][1] : 0;
    if (cumulative - earlier >= 0.99 * commits) { p99 = Number.isFinite(le) ? le * 1000 : null; break; }
  }
  history.p99.push(p99);
}
