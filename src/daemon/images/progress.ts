/**
 * Progress of a pull/push/load, as the docker CLI draws it: JSON messages with an `id` (the
 * short layer digest) and a `status`, `progressDetail` and a rendered `progress` bar.
 */
export interface ProgressMessage {
  readonly id?: string;
  readonly status: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
}

export type ProgressSink = (m: ProgressMessage) => void;

export const shortDigest = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

/** Docker's progress bar text: "[=====>      ]  1.2MB/5.6MB". */
export function progressBar(current: number, total: number | undefined): string {
  const width = 50;
  if (!total || total <= 0) return humanSize(current);
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** go-units HumanSize (decimal): 1.2kB, 5.6MB. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 3 : v < 100 ? 2 : 1).replace(/\.?0+$/, '')}${units[i] ?? 'B'}`;
}

/** Throttles "Downloading"/"Extracting" updates to a few per second per layer. */
export function throttled(sink: ProgressSink, ms = 100): ProgressSink {
  const last = new Map<string, number>();
  return (m) => {
    if (
      m.progressDetail &&
      m.id &&
      (m.status === 'Downloading' || m.status === 'Extracting' || m.status === 'Pushing')
    ) {
      const now = Date.now();
      const key = `${m.id}:${m.status}`;
      const total = m.progressDetail.total;
      if (
        now - (last.get(key) ?? 0) < ms &&
        (total === undefined || (m.progressDetail.current ?? 0) < total)
      )
        return;
      last.set(key, now);
    }
    sink(m);
  };
}
