/** Docker's human byte sizes (go-units RAMInBytes): "64m", "1g", "512k", "1.5G", "1024" → bytes. */
import { InvalidArgumentError } from './errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!m?.[1]) throw new InvalidArgumentError(`invalid size: '${text}' for ${what}`);
  return Math.floor(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
}
