import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statusOfKind, toHttpError } from '../../../src/api/errors.js';
import {
  ConflictError,
  EngineError,
  ForbiddenError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
  UnauthorizedError,
  UnavailableError,
} from '../../../src/errors.js';

describe('toHttpError', () => {
  it('gives each typed error its status and keeps the message as is', () => {
    const cases: [EngineError, number][] = [
      [new InvalidArgumentError('invalid reference format'), 400],
      [new UnauthorizedError('authentication required'), 401],
      [new ForbiddenError('not allowed'), 403],
      [new NotFoundError('No such container: abc'), 404],
      [new ConflictError('Conflict. The container name "/x" is already in use'), 409],
      [new InternalError('state file corrupt'), 500],
      [new NotImplementedError('docker build is not implemented'), 501],
      [new UnavailableError('rootlesskit is gone'), 503],
    ];
    for (const [err, status] of cases) {
      const h = toHttpError(err);
      assert.equal(h.status, status, err.name);
      assert.equal(h.message, err.message);
      assert.equal(statusOfKind(err.kind), status);
    }
  });

  it("flags only the server's own failures (5xx) for the error log", () => {
    assert.equal(toHttpError(new NotFoundError('x')).unexpected, false);
    assert.equal(toHttpError(new ConflictError('x')).unexpected, false);
    assert.equal(toHttpError(new InvalidArgumentError('x')).unexpected, false);
    assert.equal(toHttpError(new InternalError('x')).unexpected, true);
    assert.equal(toHttpError(new NotImplementedError('x')).unexpected, true);
    assert.equal(toHttpError(new UnavailableError('x')).unexpected, true);
  });

  it('keeps the message of a typed error and nothing of its cause', () => {
    const e = new InvalidArgumentError('bad mount', { cause: new Error('EACCES /secret/path') });
    assert.deepEqual(toHttpError(e), { status: 400, message: 'bad mount', unexpected: false });
  });

  it('treats a system error with an errno code as a 500, whatever the code', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), {
      code: 'ENOENT',
    });
    const h = toHttpError(enoent);
    assert.equal(h.status, 500);
    assert.equal(h.message, "ENOENT: no such file or directory, open '/x'");
  });

  it('turns thrown non-errors into a 500 with their string form', () => {
    assert.deepEqual(toHttpError(42), { status: 500, message: '42', unexpected: true });
    assert.equal(toHttpError(undefined).message, 'undefined');
  });
});

describe('typed errors', () => {
  it('carry their class name and kind', () => {
    const e = new ConflictError('busy');
    assert.equal(e.name, 'ConflictError');
    assert.equal(e.kind, 'conflict');
    assert.ok(e instanceof EngineError);
    assert.ok(e instanceof Error);
    assert.equal(String(new NotFoundError('No such image: x')), 'NotFoundError: No such image: x');
  });
});
