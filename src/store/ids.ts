import { randomBytes } from 'node:crypto';

/** A 64-hex id like Docker's container and exec ids. */
export function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker avoids ids whose short form is all digits: they would parse as numbers.
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

export function shortId(id: string): string {
  return id.startsWith('sha256:') ? id.slice(7, 19) : id.slice(0, 12);
}
