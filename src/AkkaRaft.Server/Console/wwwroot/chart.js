// Line charts on uPlot (loaded by index.html as the global uPlot). Each chart reports what it drew in data attributes
// of its figure: data-points (points drawn, over all lines) and data-draw-ms (time of the last draw), so a test or an
// operator can tell what is on screen.

const palette = ['#0550ae', '#bc4c00', '#116329', '#8250df'];

/**
 * A chart in `figure` (a <figure> holding a <figcaption>). `lines` names the y series; `unit` labels the y axis.
 * `time` says whether x is Unix seconds (a time axis) or plain numbers; `windowSeconds` > 0 keeps x to the last
 * that many seconds.
 */
const windowEnding = (end, seconds) => [end - seconds, end];

export function lineChart(figure, { lines, unit, width = 640, height = 240, time = true, windowSeconds = 0 }) {
  const series = [{}];
  lines.forEach((label, i) => series.push({ label, stroke: palette[i % palette.length], width: 1.5, points: { show: false }, spanGaps: false }));
  const options = {
    width, height, series,
    // A sliding window (the last windowSeconds up to the newest point) instead of fitting the data, when asked.
    scales: { x: windowSeconds > 0 ? { time, range: (u, min, max) => windowEnding(max ?? Date.now() / 1000, windowSeconds) } : { time } },
    axes: [{}, { label: unit, size: 60 }],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
  const target = document.createElement('div');
  figure.prepend(target);
  const plot = new uPlot(options, [[], ...lines.map(() => [])], target);
  figure.dataset.points = '0';
  return {
    /**
     * Replaces the data: xs and one array of ys per line (null for a gap). Resolves, once the browser has painted the
     * next frame, to the milliseconds from the call to then (also in data-draw-ms).
     */
    set(xs, ...ys) {
      const started = performance.now();
      plot.setData([xs, ...ys]);
      let drawn = 0;
      for (const y of ys) for (const v of y) if (v !== null && v !== undefined && !Number.isNaN(v)) drawn++;
      figure.dataset.points = String(drawn);
      return new Promise(resolve => requestAnimationFrame(() => {
        const ms = (performance.now() - started).toFixed(1);
        figure.dataset.drawMs = ms;
        resolve(ms);
      }));
    },
    destroy() { plot.destroy(); },
  };
}
