/** Signal names and numbers as `docker kill -s` and StopSignal accept them. */
import { constants } from 'node:os';
import { InvalidArgumentError } from '../../errors.js';

const BY_NAME = constants.signals as Readonly<Record<string, number>>;

/** "TERM", "SIGTERM", "15", "SIGRTMIN+3" → { name, number }. */
export function parseSignal(raw: string | number): { name: string; number: number } {
  const text = String(raw).trim().toUpperCase();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > 64) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
    const name = Object.entries(BY_NAME).find(([, v]) => v === n)?.[0] ?? String(n);
    return { name, number: n };
  }
  const name = text.startsWith('SIG') ? text : `SIG${text}`;
  const rt = /^SIGRTMIN\+(\d+)$/.exec(name);
  if (rt?.[1]) return { name, number: 34 + Number(rt[1]) };
  const n = BY_NAME[name];
  if (n === undefined) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  return { name, number: n };
}
