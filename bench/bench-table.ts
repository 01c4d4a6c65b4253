/**
 * The one table `npm run bench` prints: the figures every bench emitted (`emitFigure` in
 * bench-lib.ts) grouped by metric, one column per engine, median (min–max), skiff's ratio to each
 * reference engine, the aim. Pure, so that it is unit-tested.
 */
import type { Figure } from './bench-lib.js';

const COLUMNS: readonly (readonly [string, string])[] = [
  ['skiff', 'skiff'],
  ['rootless-docker', 'Rootless Docker'],
  ['podman-service', 'Podman service'],
  ['floor', 'floor'],
];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** At most 3 significant digits, never an exponent: 0.012, 1.23, 12.3, 123, 12345. */
export function shortNumber(n: number): string {
  if (n === 0) return '0';
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toFixed(digits);
}

function cell(f: Figure): string {
  const m = shortNumber(median(f.values));
  if (f.values.length === 1) return `${m} ${f.unit}`;
  return `${m} ${f.unit} (${shortNumber(Math.min(...f.values))}–${shortNumber(Math.max(...f.values))})`;
}

/** skiff's median over the other engine's, e.g. "0.47x"; empty when either is missing or 0. */
function ratioOf(skiff: Figure | undefined, other: Figure | undefined): string {
  if (!skiff || !other) return '';
  const a = median(skiff.values);
  const b = median(other.values);
  return a === 0 || b === 0 ? '' : `${(a / b).toFixed(2)}x`;
}

export function figureTable(figures: readonly Figure[], when: string): string {
  const byMetric = new Map<string, Map<string, Figure>>();
  for (const f of figures) {
    const row = byMetric.get(f.metric) ?? new Map<string, Figure>();
    row.set(f.engine, f);
    byMetric.set(f.metric, row);
  }
  const head = ['figure', ...COLUMNS.map(([, t]) => t), 'skiff / Docker', 'skiff / Podman', 'aim'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const [metric, row] of byMetric) {
    const skiff = row.get('skiff');
    const aim = [...row.values()].find((f) => f.aim !== undefined)?.aim ?? '';
    const cells = COLUMNS.map(([k]) => {
      const f = row.get(k);
      return f ? cell(f) : '';
    });
    lines.push(
      `| ${[metric, ...cells, ratioOf(skiff, row.get('rootless-docker')), ratioOf(skiff, row.get('podman-service')), aim].join(' | ')} |`,
    );
  }
  return [
    ...lines,
    '',
    `Medians (min–max) of \`npm run bench\` (${when}), engines interleaved. A ratio is skiff's median over the other engine's: below 1 is better for times and memory, above 1 for throughput.`,
  ].join('\n');
}
