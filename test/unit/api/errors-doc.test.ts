// docs/errors.md's table of kinds and statuses is the contract clients read; the code is the
// truth. This keeps them from drifting apart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_KINDS, statusOfKind, toHttpError } from '../../../src/api/errors.js';
import { ConflictError, NotFoundError } from '../../../src/errors.js';

const doc = readFileSync(
  fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)),
  'utf8',
);

function documentedKinds(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `([a-z-]+)` \| (\d{3}) \|/gm))
    if (m[1] && m[2]) rows.set(m[1], Number(m[2]));
  return rows;
}

describe('docs/errors.md', () => {
  it('lists every error kind with the status the API answers, and no other', () => {
    const rows = documentedKinds();
    assert.deepEqual([...rows.keys()].sort(), [...ERROR_KINDS].sort());
    for (const kind of ERROR_KINDS) assert.equal(rows.get(kind), statusOfKind(kind), kind);
  });
});

describe('toHttpError', () => {
  it('maps typed errors by kind and keeps their message', () => {
    assert.deepEqual(toHttpError(new NotFoundError('No such container: x')), {
      status: 404,
      message: 'No such container: x',
      unexpected: false,
    });
    assert.equal(toHttpError(new ConflictError('busy')).status, 409);
  });

  it('turns anything else into a 500 with the message only, flagged for the log', () => {
    const e = new TypeError('boom');
    const h = toHttpError(e);
    assert.equal(h.status, 500);
    assert.equal(h.message, 'boom');
    assert.equal(h.unexpected, true);
    assert.doesNotMatch(JSON.stringify(h), /at .*:\d+:\d+/);
    assert.equal(toHttpError('plain string').message, 'plain string');
  });
});
