import type { Figure } from '../result.js';

const verdict = (figure: Figure): string => (figure.met === undefined ? '' : figure.met ? 'met' : 'NOT MET');

/** The figures as a fixed-width table for a terminal: figure, value, target, verdict, note. */
export function figuresTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [f.name, `${f.value.toLocaleString('en-US')} ${f.unit}`, f.target ?? '', verdict(f), f.note ?? '']);
  const header = ['figure', 'value', 'target', '', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The same figures as a markdown table. */
export function figuresMarkdown(figures: readonly Figure[]): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    '| figure | value | target | | detail |',
    '|---|---:|---|---|---|',
    ...figures.map((f) => `| ${cell(f.name)} | ${f.value.toLocaleString('en-US')} ${f.unit} | ${cell(f.target ?? '')} | ${verdict(f)} | ${cell(f.note ?? '')} |`),
  ].join('\n');
}
