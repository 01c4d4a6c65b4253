/**
 * Detach key sequences (`--detach-keys`, default "ctrl-p,ctrl-q"): bytes that match the
 * sequence are held back; a full match detaches, a partial one that breaks is released.
 */
import { InvalidArgumentError } from '../../errors.js';

export function parseDetachKeys(spec: string | undefined): Buffer {
  const text = spec === undefined || spec === '' ? 'ctrl-p,ctrl-q' : spec;
  const bytes: number[] = [];
  for (const key of text.split(',')) {
    const k = key.trim().toLowerCase();
    if (k.length === 1) bytes.push(k.charCodeAt(0));
    else if (/^ctrl-[a-z@[\\\]^_]$/.test(k)) {
      const c = k.charCodeAt(5);
      bytes.push(c >= 97 && c <= 122 ? c - 96 : c - 64);
    } else throw new InvalidArgumentError(`Invalid detach keys (${text}) provided`);
  }
  return Buffer.from(bytes);
}

export class DetachKeyScanner {
  private readonly keys: Buffer;
  private matched = 0;

  constructor(spec?: string) {
    this.keys = parseDetachKeys(spec);
  }

  scan(chunk: Buffer): { data: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      if (this.matched > 0) out.push(...this.keys.subarray(0, this.matched));
      this.matched = b === this.keys[0] ? 1 : 0;
      if (this.matched === 0) out.push(b);
    }
    return { data: Buffer.from(out), detached: false };
  }
}
