import { InvalidArgumentError } from '../../errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/** Parses Docker's human byte sizes ("64m", "1g", "512k", "1024") into bytes (RAMInBytes). */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m?.[1]) throw new InvalidArgumentError(`invalid size: '${text}' for ${what}`);
  const unit = UNITS[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}
