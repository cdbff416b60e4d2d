// Time series: find series by prefix, pick one, a range (from included, to excluded, in the series' unit), a step
// and an aggregate, and plot it; the series' stats (points, blocks, bytes per point) beside the plot. The figure's
// data-points says how many points the chart drew, and data-draw-ms how long the draw took. The location can name
// the series and query (#series?name=...&step=...&agg=...), so a plot can be linked to.
import { getJson } from './api.js';
import { h, num, bytes } from './dom.js';
import { lineChart } from './chart.js';

export const title = 'Time series';

const aggregates = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'];

export function mount(main, signal, { showError, clearError }) {
  const prefix = h('input', { id: 'series-prefix', type: 'text', placeholder: '(all series)', autocomplete: 'off' });
  const choice = h('select', { id: 'series-name', required: true }, h('option', { value: '' }, '(list series first)'));
  const from = h('input', { id: 'series-from', type: 'text', inputmode: 'numeric', placeholder: 'first point', autocomplete: 'off' });
  const to = h('input', { id: 'series-to', type: 'text', inputmode: 'numeric', placeholder: 'after the last', autocomplete: 'off' });
  const step = h('input', { id: 'series-step', type: 'text', placeholder: 'raw points (or 60s, 5m, 1h)', autocomplete: 'off' });
  const aggregate = h('select', { id: 'series-agg' }, h('option', { value: '' }, '(none: raw points)'), ...aggregates.map(a => h('option', { value: a }, a)));
  const stats = h('dl', { class: 'facts', id: 'series-stats' });
  const plotNote = h('p', { id: 'plot-note', 'aria-live': 'polite' });
  const figure = h('figure', { id: 'series-plot' }, h('figcaption', {}, 'Pick a series and plot it'));
  let chart = null;
  signal.addEventListener('abort', () => chart?.destroy());

  const listSeries = async () => {
    try {
      const answer = await getJson(`/series?forward=true&prefix=${encodeURIComponent(prefix.value)}`);
      choice.replaceChildren(...(answer.series.length === 0
        ? [h('option', { value: '' }, '(no series with this prefix)')]
        : answer.series.map(s => h('option', { value: s.name, 'data-unit': s.unit }, `${s.name} (${num(s.points)} points)`))));
      clearError();
    } catch (error) {
      showError(error);
    }
  };

  const plot = async event => {
    event?.preventDefault();
    const name = choice.value;
    if (!name) return;
    try {
      const path = `/series/${encodeURIComponent(name)}`;
      const info = await getJson(`${path}/stats?forward=true`);
      renderStats(stats, info);
      const query = new URLSearchParams({ forward: 'true', unit: info.unit });
      if (from.value.trim()) query.set('from', from.value.trim());
      if (to.value.trim()) query.set('to', to.value.trim());
      if (step.value.trim() || aggregate.value) {
        query.set('step', step.value.trim());
        query.set('agg', aggregate.value);
      }
      const answer = await getJson(`${path}?${query}`);
      const divisor = answer.unit === 'ms' ? 1000 : 1;
      const xs = new Float64Array(answer.points.length);
      const ys = new Float64Array(answer.points.length);
      answer.points.forEach(([t, v], i) => { xs[i] = t / divisor; ys[i] = v; });
      chart ??= lineChart(figure, { lines: [name], unit: 'value', width: 820, height: 320 });
      figure.querySelector('figcaption').textContent = `${name}${query.has('step') ? ` · ${aggregate.value} per ${step.value}` : ''}`;
      const ms = await chart.set(xs, ys);
      plotNote.textContent = `Drew ${num(figure.dataset.points)} points in ${ms} ms (from the answer to the painted frame).`;
      clearError();
    } catch (error) {
      showError(error);
    }
  };

  main.append(
    h('h2', {}, 'Series'),
    h('form', { id: 'series-find', onsubmit: event => { event.preventDefault(); listSeries(); } },
      h('label', { for: 'series-prefix' }, 'Name prefix', prefix),
      h('button', { type: 'submit' }, 'List series')),
    h('form', { id: 'series-query', onsubmit: plot },
      h('label', { for: 'series-name' }, 'Series', choice),
      h('label', { for: 'series-from' }, 'From (Unix time, included)', from),
      h('label', { for: 'series-to' }, 'To (Unix time, excluded)', to),
      h('label', { for: 'series-step' }, 'Step', step),
      h('label', { for: 'series-agg' }, 'Aggregate', aggregate),
      h('button', { type: 'submit' }, 'Plot')),
    h('div', { class: 'columns' }, figure, h('section', { 'aria-label': 'Series stats' }, h('h2', {}, 'Stats'), stats)),
    plotNote);
  // A link can name what to plot: #series?name=cpu&from=...&to=...&step=1m&agg=max plots it on load.
  const wanted = new URLSearchParams(location.hash.split('?')[1] ?? '');
  if (wanted.get('name')) {
    prefix.value = wanted.get('name');
    from.value = wanted.get('from') ?? '';
    to.value = wanted.get('to') ?? '';
    step.value = wanted.get('step') ?? '';
    aggregate.value = wanted.get('agg') ?? '';
    listSeries().then(() => {
      if ([...choice.options].some(o => o.value === wanted.get('name'))) {
        choice.value = wanted.get('name');
        plot();
      }
    });
  } else {
    listSeries();
  }
}

function renderStats(target, s) {
  const rows = [
    ['Points', num(s.points)], ['Unit', s.unit === 'ms' ? 'milliseconds' : 'seconds'],
    ['Blocks', `${num(s.blocks)} (${num(s.sealedBlocks)} sealed, ${num(s.openPoints)} points open)`],
    ['Stored', bytes(s.bytes)], ['Bytes per point', s.bytesPerPoint.toFixed(2)],
    ['First', s.first === null ? '—' : String(s.first)], ['Last', s.last === null ? '—' : String(s.last)],
  ];
  target.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-stat': k.toLowerCase() }, v)]));
}
