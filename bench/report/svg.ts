/**
 * Two small charts as hand-written SVG (no chart library): a latency histogram with one panel per
 * offered load, and records per second into the view over the run. Plain shapes and text only,
 * so they render the same on GitHub, in a browser and in an editor's preview.
 */

const FONT = 'font-family="system-ui, sans-serif" font-size="11"';
const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f'] as const;

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number): string => (Math.abs(n) >= 1000 ? `${Math.round(n / 100) / 10}k` : String(Math.round(n * 10) / 10));

/** A round step for about `count` ticks over [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = Math.max(max, 1) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10;
  return unit * power;
}

export interface HistogramSeries {
  readonly label: string;
  /** Latencies, ms. */
  readonly values: readonly number[];
}

/**
 * One histogram panel per series over the same bins (so loads compare at a glance), with the
 * series' p50 and p99 marked. Values past the last bin are counted in an overflow bar.
 */
export function latencyHistogramSvg(series: readonly HistogramSeries[], options: { bins?: number; title?: string } = {}): string {
  const bins = options.bins ?? 40;
  const width = 720;
  const panelHeight = 130;
  const left = 56;
  const right = 16;
  const top = 34;
  const plotWidth = width - left - right;
  const sorted = series.map((s) => [...s.values].sort((a, b) => a - b));
  const rank = (values: number[], p: number): number => values[Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1))] ?? 0;
  // The axis ends past the largest p99, so one slow outlier does not squash every panel.
  const span = Math.max(1, ...sorted.map((v) => rank(v, 99))) * 1.1;
  const tickStep = niceStep(span, 8);
  const axisMax = tickStep * Math.ceil(span / tickStep);
  const binWidth = axisMax / bins;
  const height = top + series.length * (panelHeight + 22) + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(options.title ?? 'Latency from ingest to view')}</text>`,
  ];
  series.forEach((s, index) => {
    const values = sorted[index]!;
    const counts = new Array<number>(bins + 1).fill(0);
    for (const v of values) counts[Math.min(bins, Math.floor(v / binWidth))]! += 1;
    const maxCount = Math.max(1, ...counts);
    const y0 = top + index * (panelHeight + 22);
    const baseline = y0 + panelHeight;
    const barWidth = plotWidth / (bins + 1);
    const colour = COLOURS[index % COLOURS.length]!;
    parts.push(`<text x="${left}" y="${y0 + 10}" font-weight="bold">${esc(s.label)} (${values.length} records)</text>`);
    counts.forEach((count, bin) => {
      if (count === 0) return;
      const h = ((panelHeight - 18) * count) / maxCount;
      const x = left + bin * barWidth;
      parts.push(`<rect x="${x.toFixed(1)}" y="${(baseline - h).toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}" opacity="${bin === bins ? 0.5 : 0.9}"><title>${bin === bins ? `≥ ${fmt(axisMax)}` : `${fmt(bin * binWidth)}–${fmt((bin + 1) * binWidth)}`} ms: ${count}</title></rect>`);
    });
    parts.push(`<line x1="${left}" y1="${baseline}" x2="${left + plotWidth}" y2="${baseline}" stroke="#333"/>`);
    parts.push(`<text x="${left - 6}" y="${baseline - panelHeight + 24}" text-anchor="end">${maxCount}</text><text x="${left - 6}" y="${baseline}" text-anchor="end">0</text>`);
    for (const [p, dash] of [[50, '4 2'], [99, '2 2']] as const) {
      const value = rank(values, p);
      const x = left + Math.min(bins, value / binWidth) * barWidth;
      parts.push(`<line x1="${x.toFixed(1)}" y1="${y0 + 14}" x2="${x.toFixed(1)}" y2="${baseline}" stroke="#222" stroke-dasharray="${dash}"/>`);
      parts.push(`<text x="${(x + 3).toFixed(1)}" y="${y0 + 24 + (p === 99 ? 12 : 0)}">p${p} ${fmt(value)} ms</text>`);
    }
    for (let t = 0; t <= axisMax + 1e-9; t += tickStep) {
      const x = left + (t / binWidth) * barWidth;
      parts.push(`<text x="${x.toFixed(1)}" y="${baseline + 13}" text-anchor="middle" fill="#555">${fmt(t)}</text>`);
    }
  });
  parts.push(`<text x="${left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">milliseconds (last bar: at or past ${fmt(axisMax)} ms)</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}

export interface ThroughputChart {
  /** Records into the view in each second of the run. */
  readonly perSecond: readonly number[];
  /** Where each phase began, with its offered rate (null: a backlog, offered at once). */
  readonly phases: readonly { readonly name: string; readonly startSec: number; readonly offeredPerSec: number | null }[];
}

/** Records per second into the view over the run, the offered rate of each phase as a dashed step. */
export function throughputSvg(chart: ThroughputChart, options: { title?: string } = {}): string {
  const width = 720;
  const height = 300;
  const left = 56;
  const right = 16;
  const top = 34;
  const bottom = 40;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const seconds = Math.max(1, chart.perSecond.length);
  const offered = chart.phases.map((p) => p.offeredPerSec ?? 0);
  const yMax = niceStep(Math.max(1, ...chart.perSecond, ...offered) * 1.1, 5) * 5;
  const x = (sec: number): number => left + (sec / seconds) * plotWidth;
  const y = (value: number): number => top + plotHeight - (value / yMax) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(options.title ?? 'Records per second into the view')}</text>`,
  ];
  const yStep = yMax / 5;
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${left + plotWidth}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${fmt(v)}</text>`);
  }
  chart.phases.forEach((phase, i) => {
    const start = phase.startSec;
    const end = chart.phases[i + 1]?.startSec ?? seconds;
    parts.push(`<line x1="${x(start).toFixed(1)}" y1="${top}" x2="${x(start).toFixed(1)}" y2="${top + plotHeight}" stroke="#999" stroke-dasharray="3 3"/>`);
    parts.push(`<text x="${(x(start) + 4).toFixed(1)}" y="${top + 12}" fill="#333">${esc(phase.name)}</text>`);
    if (phase.offeredPerSec !== null) {
      parts.push(`<line x1="${x(start).toFixed(1)}" y1="${y(phase.offeredPerSec).toFixed(1)}" x2="${x(end).toFixed(1)}" y2="${y(phase.offeredPerSec).toFixed(1)}" stroke="${COLOURS[1]}" stroke-width="1.5" stroke-dasharray="6 3"/>`);
    }
  });
  const points = chart.perSecond.map((v, sec) => `${x(sec + 0.5).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${points}" fill="none" stroke="${COLOURS[0]}" stroke-width="1.8"/>`);
  parts.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" stroke="#333"/>`);
  const xStep = niceStep(seconds, 10);
  for (let s = 0; s <= seconds; s += xStep) parts.push(`<text x="${x(s).toFixed(1)}" y="${top + plotHeight + 14}" text-anchor="middle" fill="#555">${s}</text>`);
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">seconds since the first records were offered — solid: in view per second; dashed: offered per second</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
