/**
 * Timestamps of a daemon start's phases (issue 12), kept in memory and written as one debug
 * log line once the start is done, so that `--debug` shows where a start's time went and
 * bench/daemon-start.ts can put the phases of `skiff daemon` and skiffd on one time line. A
 * mark costs one `performance.now()`; nothing is written below debug level.
 */
const marks: [string, number][] = [];

/** Records that `phase` ended now. */
export function mark(phase: string): void {
  marks.push([phase, Math.round(performance.now())]);
}

export interface StartMarks {
  /** When this process started, in ms since the epoch (performance.timeOrigin). */
  readonly processStart: number;
  /** Each phase's end in ms since the process started, in the order they ended. */
  readonly phases: Record<string, number>;
}

/**
 * The marks so far, led by Node's own: `node-bootstrap` (Node's bootstrap done, before any
 * module of ours loaded).
 */
export function startMarks(): StartMarks {
  const phases: Record<string, number> = {
    'node-bootstrap': Math.round(performance.nodeTiming.bootstrapComplete),
  };
  for (const [name, at] of marks) phases[name] = at;
  return { processStart: Math.round(performance.timeOrigin), phases };
}
