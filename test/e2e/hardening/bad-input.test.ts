// Issue 8, "a bad-input suite in CI": malformed and wrongly typed JSON for every body the API
// takes, huge bodies and headers, invalid references, names and filters, hostile tars through
// load, import and cp, and pulls of images whose manifests lie. The rule for every case: a 4xx
// with a JSON `{"message": ...}` (or, for a stream that had begun, an error line; a load is
// always a 200 with the error line, as dockerd), never a 500,
// never a daemon restart, and nothing written outside the data root.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import tar from 'tar-stream';
import type { TestDaemon } from '../../helpers/daemon.js';
import { ping } from '../../helpers/daemon.js';
import { dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { sharedRegistry } from '../../helpers/test-registry-env.js';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
import {
  buildImage,
  hostArch,
  pushImage,
  pushManifest,
  sha256,
  type BuiltImage,
} from '../../helpers/image-builder.js';

const MiB = 1024 * 1024;

const SECRET = 'canary: nothing may touch this file\n';

// ---------------------------------------------------------------------------------------------
// HTTP over the daemon's socket, byte for byte, tolerant of a server that answers early.

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface CallOptions {
  readonly body?: string | Buffer;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

function call(d: TestDaemon, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(o.body));
    }
    const req = request({ socketPath: d.socket, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      const finish = (): void => {
        if (settled) return;
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', finish);
      // A reply sent before the whole body was read, then the connection closed: keep the reply.
      res.on('close', finish);
      res.on('error', finish);
    });
    req.setTimeout(o.timeoutMs ?? 60_000, () => {
      req.destroy(new Error(`${method} ${path}: no answer within ${o.timeoutMs ?? 60_000} ms`));
    });
    req.on('error', (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    req.end(o.body);
  });
}

const postJson = (d: TestDaemon, path: string, body: string): Promise<Answer> =>
  call(d, 'POST', path, { body });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What no clean error message contains: a JS runtime error, a raw errno, a stack. */
const UNCLEAN =
  /TypeError|ReferenceError|SyntaxError|RangeError|Cannot read propert|is not a function|is not iterable|Maximum call stack|^E[A-Z]+:|\n\s+at /;

function describeAnswer(what: string, r: Answer): string {
  return `${what}: ${r.status} ${r.body.slice(0, 600)}`;
}

/** A 4xx whose body is Docker's `{"message": "..."}`; returns the message. */
function clientError(
  what: string,
  r: Answer,
  o: { status?: number; message?: string | RegExp } = {},
): string {
  const detail = describeAnswer(what, r);
  assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx: ${detail}`);
  if (o.status !== undefined) assert.equal(r.status, o.status, detail);
  assert.match(String(r.headers['content-type']), /^application\/json/, detail);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    assert.fail(`not JSON: ${detail}`);
  }
  const message = isRecord(parsed) ? parsed['message'] : undefined;
  assert.ok(typeof message === 'string' && message !== '', `no message: ${detail}`);
  assert.doesNotMatch(message, UNCLEAN, detail);
  if (typeof o.message === 'string') assert.equal(message, o.message, detail);
  else if (o.message) assert.match(message, o.message, detail);
  return message;
}

/** The `error` of a JSON-lines progress stream, if one ended it. */
function streamError(r: Answer): string | undefined {
  for (const line of r.body.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (isRecord(parsed) && typeof parsed['error'] === 'string') return parsed['error'];
  }
  return undefined;
}

/**
 * A refused streamed operation (load, import, pull): an error reply before the stream began, or
 * an error line in it (dockerd's way once progress was sent). Never a 500.
 */
function refused(what: string, r: Answer, message?: RegExp): string {
  if (r.status !== 200) return clientError(what, r, message ? { message } : {});
  const err = streamError(r);
  assert.ok(err !== undefined, `expected a refusal: ${describeAnswer(what, r)}`);
  assert.doesNotMatch(err, UNCLEAN, describeAnswer(what, r));
  if (message) assert.match(err, message, describeAnswer(what, r));
  return err;
}

/**
 * A refused load: dockerd answers `POST /images/load` with 200 whatever happens and puts the
 * error in the stream (moby postImagesLoad; checked against dockerd 20.10, issue 10), so no status.
 */
function loadRefused(what: string, r: Answer): string {
  assert.equal(r.status, 200, `load errors go into the stream: ${describeAnswer(what, r)}`);
  return refused(what, r);
}

/** Either accepted (2xx, a stream with no error line) or a clean refusal; never a 5xx. */
function acceptedOrRefused(what: string, r: Answer): void {
  assert.ok(r.status < 500, `a 5xx: ${describeAnswer(what, r)}`);
  if (r.status >= 400) clientError(what, r);
  else {
    const err = streamError(r);
    if (err !== undefined) assert.doesNotMatch(err, UNCLEAN, describeAnswer(what, r));
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile tars, entry by entry, including what no archiver writes.

type TarEntry =
  | { readonly name: string; readonly type?: 'file'; readonly body?: string | Buffer }
  | { readonly name: string; readonly type: 'directory' | 'fifo' }
  | { readonly name: string; readonly type: 'symlink' | 'link'; readonly linkname: string }
  | {
      readonly name: string;
      readonly type: 'character-device' | 'block-device';
      readonly devmajor: number;
      readonly devminor: number;
    };

async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => {
        if (err) reject(err);
        else resolve();
      };
      if ('devmajor' in e)
        pack.entry(
          {
            name: e.name,
            type: e.type,
            devmajor: e.devmajor,
            devminor: e.devminor,
            mode: 0o666,
            mtime,
          },
          cb,
        );
      else if ('linkname' in e)
        pack.entry({ name: e.name, type: e.type, linkname: e.linkname, mode: 0o777, mtime }, cb);
      else if ('body' in e || e.type === undefined || e.type === 'file')
        pack.entry({ name: e.name, mode: 0o644, mtime }, 'body' in e ? (e.body ?? '') : '', cb);
      else pack.entry({ name: e.name, type: e.type, mode: 0o755, mtime }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A docker-archive (`docker save` format) of one image, written by hand. */
async function imageArchive(
  layers: readonly Buffer[],
  o: { tags?: readonly string[]; manifest?: unknown } = {},
): Promise<Buffer> {
  const config = JSON.stringify({
    architecture: hostArch(),
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) },
    history: layers.map(() => ({ created: '2024-01-01T00:00:00Z' })),
  });
  const manifest = o.manifest ?? [
    {
      Config: 'config.json',
      RepoTags: o.tags ?? [],
      Layers: layers.map((_l, i) => `layer${i}/layer.tar`),
    },
  ];
  return tarOf([
    { name: 'config.json', body: config },
    ...layers.map((l, i): TarEntry => ({ name: `layer${i}/layer.tar`, body: l })),
    { name: 'manifest.json', body: JSON.stringify(manifest) },
  ]);
}

// ---------------------------------------------------------------------------------------------
// "Nothing outside the data root changed": every path under the test's directory except the
// data root, the runtime dir and the daemon's log, with type, mode, size, link count and content.

async function hostTree(d: TestDaemon): Promise<Map<string, string>> {
  const skip = new Set([d.dataRoot, d.runtimeDir]);
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      if (skip.has(p) || (dir === d.dir && name.endsWith('.log'))) continue;
      const st = await lstat(p);
      if (st.isSymbolicLink()) out.set(p, `symlink -> ${await readlink(p)}`);
      else if (st.isDirectory()) {
        out.set(p, `dir ${st.mode.toString(8)}`);
        await walk(p);
      } else if (st.isFile()) {
        const hash = createHash('sha256')
          .update(await readFile(p))
          .digest('hex');
        out.set(p, `file ${st.mode.toString(8)} ${st.size} nlink=${st.nlink} ${hash}`);
      } else out.set(p, `other ${st.mode.toString(8)}`);
    }
  };
  await walk(d.dir);
  return out;
}

/** Lines of the last-resort handler: an uncaught exception or unhandled rejection in skiffd. */
async function bugLines(d: TestDaemon): Promise<string[]> {
  return (await d.log()).split('\n').filter((l) => l.includes('BUG: '));
}

function treeDiff(before: Map<string, string>, now: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, v] of now) if (before.get(p) !== v) out.push(`${p}: ${before.get(p)} → ${v}`);
  for (const [p, v] of before) if (!now.has(p)) out.push(`${p}: ${v} → (gone)`);
  return out;
}

/** Snapshot directories that are not committed layers: half-made or half-removed ones. */
async function leftoverSnapshots(dataRoot: string): Promise<string[]> {
  const left: string[] = [];
  for (const driver of await readdir(join(dataRoot, 'snapshots')).catch(() => [])) {
    const dir = join(dataRoot, 'snapshots', driver, 'snapshots');
    for (const s of await readdir(dir).catch(() => [])) {
      const meta = await readFile(join(dir, s, 'meta.json'), 'utf8').catch(() => undefined);
      const parsed = meta ? (JSON.parse(meta) as { key: string; kind: string }) : undefined;
      if (!parsed || (parsed.kind !== 'committed' && parsed.key.startsWith('extract-')))
        left.push(`${driver}/${s} ${meta ?? '(no meta)'}`);
    }
  }
  return left;
}

// ---------------------------------------------------------------------------------------------

describe('bad input: a 4xx with a message, never a 500, a restart or a write outside the data root', () => {
  let d: TestDaemon;
  let pid = 0;
  let canary = '';
  let hostBefore = new Map<string, string>();
  let execId = '';
  /** Relative `..` steps enough to climb from anywhere in the data root or a container to `/`. */
  const UP = '../'.repeat(24);

  before(async () => {
    d = await daemonWithBusybox();
    pid = await d.skiffdPid();
    canary = join(d.dir, 'canary');
    await mkdir(join(canary, 'sub'), { recursive: true });
    await writeFile(join(canary, 'secret.txt'), SECRET);
    await writeFile(join(canary, 'sub', 'nested.txt'), SECRET);
    await dockerOk(d, ['run', '-d', '--name', 'target', 'busybox', 'sleep', '3600']);
    await dockerOk(d, ['create', '--name', 'stopped', 'busybox', 'true']);
    await dockerOk(d, [
      'exec',
      'target',
      'mkdir',
      '-p',
      ...[
        'dotdot',
        'abs',
        'rootlink',
        'through',
        'relup',
        'hl-up',
        'hl-abs',
        'hl-planted',
        'wh-up',
        'wh-through',
        'opq-through',
        'devices',
        'truncated',
        'garbage',
      ].map((c) => `/cp/${c}`),
    ]);
    const ex = await postJson(d, '/containers/target/exec', '{"Cmd":["true"]}');
    assert.equal(ex.status, 201, ex.body);
    execId = (JSON.parse(ex.body) as { Id: string }).Id;
    hostBefore = await hostTree(d);
  });

  after(async () => {
    await d.cleanup();
  });

  const hostUnchanged = async (what: string): Promise<void> => {
    assert.deepEqual(treeDiff(hostBefore, await hostTree(d)), [], `${what} changed the host`);
    assert.equal(await readFile(join(canary, 'secret.txt'), 'utf8'), SECRET);
  };

  // -------------------------------------------------------------------------------------------
  describe('malformed and wrongly typed JSON bodies', () => {
    /** Bodies no endpoint may take: not JSON, or not an object. */
    const MALFORMED: readonly [string, string][] = [
      ['unterminated object', '{'],
      ['trailing comma', '{"Image":"busybox",}'],
      ['bare word', 'nul'],
      ['array', '[]'],
      ['string', '"x"'],
      ['number', '5'],
      ['an unclosed nesting a million deep', '['.repeat(MiB)],
    ];
    const ENDPOINTS: readonly [string, () => string][] = [
      ['POST /containers/create', () => '/containers/create'],
      ['POST /containers/{id}/update', () => '/containers/target/update'],
      ['POST /containers/{id}/exec', () => '/containers/target/exec'],
      ['POST /exec/{id}/start', () => `/exec/${execId}/start`],
      ['POST /volumes/create', () => '/volumes/create'],
      ['POST /commit', () => '/commit?container=stopped&repo=badinput/commit'],
      ['POST /auth', () => '/auth'],
    ];
    for (const [endpoint, path] of ENDPOINTS)
      it(`${endpoint}: ${MALFORMED.length} malformed bodies are 400s`, async () => {
        for (const [what, body] of MALFORMED)
          clientError(`${endpoint} ${what}`, await postJson(d, path(), body), { status: 400 });
      });

    /** [what, body, expected message (400) or 'accepted' when Docker takes it too]. */
    const CREATE: readonly [string, unknown, RegExp | 'accepted'][] = [
      ['Cmd: 5', { Image: 'busybox', Cmd: 5 }, /Cmd/],
      ['Env: "x"', { Image: 'busybox', Env: 'x' }, /Env/],
      ['Env: [null]', { Image: 'busybox', Env: [null] }, /Env/],
      ['Env: ["=x"]', { Image: 'busybox', Env: ['=x'] }, /invalid environment variable: =x/],
      ['Image: 5', { Image: 5 }, /Image/],
      ['no Image', { Cmd: ['true'] }, /no image specified/],
      ['Image: "UPPER/Case"', { Image: 'UPPER/Case' }, /^invalid reference format/],
      ['Image: "a::b"', { Image: 'a::b' }, /^invalid reference format/],
      ['HostConfig: []', { Image: 'busybox', HostConfig: [] }, /HostConfig/],
      ['HostConfig: "x"', { Image: 'busybox', HostConfig: 'x' }, /HostConfig/],
      ['Memory: "big"', { Image: 'busybox', HostConfig: { Memory: 'big' } }, /Memory/],
      ['Memory: 1', { Image: 'busybox', HostConfig: { Memory: 1 } }, /Minimum memory limit/],
      ['ExposedPorts: [1]', { Image: 'busybox', ExposedPorts: [1] }, /ExposedPorts/],
      ['ExposedPorts: {"x/tcp":{}}', { Image: 'busybox', ExposedPorts: { 'x/tcp': {} } }, /port/],
      ['Labels: {"a": 1}', { Image: 'busybox', Labels: { a: 1 } }, /Labels/],
      ['Tty: "yes"', { Image: 'busybox', Tty: 'yes' }, /Tty/],
      ['StopTimeout: "10"', { Image: 'busybox', StopTimeout: '10' }, /StopTimeout/],
      ['WorkingDir: "rel"', { Image: 'busybox', WorkingDir: 'rel' }, /working directory/],
      ['Healthcheck: 5', { Image: 'busybox', Healthcheck: 5 }, /Healthcheck/],
      [
        'Healthcheck.Interval: -1',
        { Image: 'busybox', Healthcheck: { Test: ['NONE'], Interval: -1 } },
        /Interval in Healthcheck cannot be less than 1ms/,
      ],
      ['Binds: [5]', { Image: 'busybox', HostConfig: { Binds: [5] } }, /Binds/],
      ['Binds: ["a:b:c:d"]', { Image: 'busybox', HostConfig: { Binds: ['a:b:c:d'] } }, /volume/],
      ['Mounts: [5]', { Image: 'busybox', HostConfig: { Mounts: [5] } }, /Mounts/],
      [
        'Mounts: [{"Type":"bind"}]',
        { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind' }] } },
        /Target/,
      ],
      [
        'PortBindings: {"80/tcp": [{"HostPort": 80}]}',
        { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 80 }] } } },
        /HostPort/,
      ],
      [
        'PortBindings: {"80/tcp": "x"}',
        { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': 'x' } } },
        /PortBindings/,
      ],
      [
        'RestartPolicy.Name: "sometimes"',
        { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'sometimes' } } },
        /invalid restart policy/,
      ],
      ['Ulimits: [null]', { Image: 'busybox', HostConfig: { Ulimits: [null] } }, /Ulimits/],
      ['Devices: "x"', { Image: 'busybox', HostConfig: { Devices: 'x' } }, /Devices/],
      ['CapAdd: ["NOPE"]', { Image: 'busybox', HostConfig: { CapAdd: ['NOPE'] } }, /capability/],
      ['ShmSize: -1', { Image: 'busybox', HostConfig: { ShmSize: -1 } }, /SHM size/],
      ['Sysctls: {"a": 1}', { Image: 'busybox', HostConfig: { Sysctls: { a: 1 } } }, /Sysctls/],
      [
        'NetworkingConfig.EndpointsConfig: {"x": 5}',
        { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { x: 5 } } },
        /EndpointsConfig/,
      ],
      ['Cmd: null', { Image: 'busybox', Cmd: null }, 'accepted'],
      ['HostConfig: null', { Image: 'busybox', HostConfig: null }, 'accepted'],
      ['Labels: {"a": null}', { Image: 'busybox', Labels: { a: null } }, 'accepted'],
    ];
    it(`POST /containers/create: ${CREATE.length} wrongly typed or invalid configs`, async () => {
      for (const [what, body, expected] of CREATE) {
        const r = await postJson(d, '/containers/create', JSON.stringify(body));
        if (expected === 'accepted') acceptedOrRefused(what, r);
        else clientError(what, r, { status: 400, message: expected });
      }
    });

    it('POST /containers/create: bad names, platform and a missing image', async () => {
      const body = '{"Image":"busybox","Cmd":["true"]}';
      for (const name of ['bad name', '/a/b', 'a', '..', 'x'.repeat(300) + '/'])
        clientError(
          `name=${name}`,
          await postJson(d, `/containers/create?name=${encodeURIComponent(name)}`, body),
          {
            status: 400,
            message: `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
          },
        );
      // skiff does not use `platform` on create yet (dockerd: 400 "cannot parse platform
      // specifier"): ignoring it is allowed here, failing on it is not.
      acceptedOrRefused(
        'platform=not/a/real/platform',
        await postJson(d, '/containers/create?platform=not%2Fa%2Freal%2Fplatform', body),
      );
      clientError(
        'an image that is not there',
        await postJson(d, '/containers/create', '{"Image":"badinput/nothere"}'),
        { status: 404, message: /^No such image: / },
      );
    });

    it('POST /containers/{id}/update: wrongly typed resources and restart policies', async () => {
      const cases: readonly [string, unknown, RegExp][] = [
        ['Memory: "big"', { Memory: 'big' }, /Memory/],
        ['PidsLimit: "x"', { PidsLimit: 'x' }, /PidsLimit/],
        ['CpuShares: []', { CpuShares: [] }, /CpuShares/],
        ['RestartPolicy: "x"', { RestartPolicy: 'x' }, /RestartPolicy/],
        ['RestartPolicy.Name: 5', { RestartPolicy: { Name: 5 } }, /RestartPolicy/],
        [
          'RestartPolicy.Name: "sometimes"',
          { RestartPolicy: { Name: 'sometimes' } },
          /invalid restart policy/,
        ],
      ];
      for (const [what, body, message] of cases)
        clientError(what, await postJson(d, '/containers/target/update', JSON.stringify(body)), {
          status: 400,
          message,
        });
      clientError('unknown container', await postJson(d, '/containers/nothere/update', '{}'), {
        status: 404,
        message: 'No such container: nothere',
      });
      // What the CLI sends without --restart changes nothing (dockerd), wrong types above aside.
      const set = '{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}';
      assert.equal((await postJson(d, '/containers/stopped/update', set)).status, 200);
      const keep = '{"RestartPolicy":{"Name":"","MaximumRetryCount":0}}';
      assert.equal((await postJson(d, '/containers/stopped/update', keep)).status, 200);
      const inspect = JSON.parse((await call(d, 'GET', '/containers/stopped/json')).body) as {
        HostConfig: { RestartPolicy: { Name: string; MaximumRetryCount: number } };
      };
      assert.deepEqual(inspect.HostConfig.RestartPolicy, {
        Name: 'on-failure',
        MaximumRetryCount: 3,
      });
    });

    it('POST /containers/{id}/exec and /exec/{id}/start: wrong types, wrong states', async () => {
      const cases: readonly [string, string, unknown, number, RegExp][] = [
        ['Cmd: 5', '/containers/target/exec', { Cmd: 5 }, 400, /Cmd/],
        ['Cmd: []', '/containers/target/exec', { Cmd: [] }, 400, /No exec command specified/],
        ['Env: "x"', '/containers/target/exec', { Cmd: ['true'], Env: 'x' }, 400, /Env/],
        ['User: 5', '/containers/target/exec', { Cmd: ['true'], User: 5 }, 400, /User/],
        ['Tty: "x"', '/containers/target/exec', { Cmd: ['true'], Tty: 'x' }, 400, /Tty/],
        [
          'ConsoleSize: "x"',
          '/containers/target/exec',
          { Cmd: ['true'], ConsoleSize: 'x' },
          400,
          /ConsoleSize/,
        ],
        ['stopped container', '/containers/stopped/exec', { Cmd: ['true'] }, 409, /not running/],
        ['unknown container', '/containers/nothere/exec', { Cmd: ['true'] }, 404, /nothere/],
        ['start Detach: "yes"', `/exec/${execId}/start`, { Detach: 'yes' }, 400, /Detach/],
        ['start Tty: 5', `/exec/${execId}/start`, { Detach: true, Tty: 5 }, 400, /Tty/],
        [
          'start of an unknown exec',
          '/exec/nothere/start',
          { Detach: true },
          404,
          /No such exec instance: nothere/,
        ],
      ];
      for (const [what, path, body, status, message] of cases)
        clientError(what, await postJson(d, path, JSON.stringify(body)), { status, message });
      clientError('exec resize h=abc', await call(d, 'POST', `/exec/${execId}/resize?h=abc&w=1`));
    });

    it('POST /volumes/create: wrong types and names that would leave the volumes dir', async () => {
      const cases: readonly [string, unknown, RegExp][] = [
        ['Name: 5', { Name: 5 }, /Name/],
        ['Labels: [1]', { Labels: [1] }, /Labels/],
        ['DriverOpts: {"a": 1}', { DriverOpts: { a: 1 } }, /DriverOpts/],
        ['Name: "a/b"', { Name: 'a/b' }, /includes invalid characters for a local volume name/],
        ['Name: "../../x"', { Name: `${UP}${canary.slice(1)}` }, /invalid characters/],
        ['Name: ".."', { Name: '..' }, /invalid characters/],
      ];
      for (const [what, body, message] of cases)
        clientError(what, await postJson(d, '/volumes/create', JSON.stringify(body)), {
          status: 400,
          message,
        });
      acceptedOrRefused(
        'Driver: "nfs-not-here"',
        await postJson(d, '/volumes/create', '{"Driver":"nfs-not-here"}'),
      );
      await hostUnchanged('volume create');
    });

    it('POST /commit: wrongly typed config, bad references, unknown container', async () => {
      const at = '/commit?container=stopped&repo=badinput/commit';
      clientError('Cmd: 5', await postJson(d, at, '{"Cmd":5}'), { status: 400, message: /Cmd/ });
      clientError('Env: "x"', await postJson(d, at, '{"Env":"x"}'), {
        status: 400,
        message: /Env/,
      });
      clientError('ExposedPorts: [1]', await postJson(d, at, '{"ExposedPorts":[1]}'), {
        status: 400,
        message: /ExposedPorts/,
      });
      clientError(
        'repo=UPPER/Case',
        await postJson(d, '/commit?container=stopped&repo=UPPER/Case', '{}'),
        { status: 400, message: /^invalid reference format/ },
      );
      clientError('tag="bad tag"', await postJson(d, `${at}&tag=bad%20tag`, '{}'), {
        status: 400,
        message: /^invalid reference format/,
      });
      clientError('changes=BOGUS', await postJson(d, `${at}&changes=BOGUS%20x`, '{}'), {
        status: 400,
      });
      clientError('no container', await postJson(d, '/commit', '{}'), { status: 400 });
      clientError('unknown container', await postJson(d, '/commit?container=nothere', '{}'), {
        status: 404,
        message: 'No such container: nothere',
      });
    });

    it('POST /auth: bodies without credentials and a nesting too deep to echo', async () => {
      for (const body of ['{}', '{"username":5,"password":[]}', '{"serveraddress":null}'])
        clientError(`auth ${body}`, await postJson(d, '/auth', body), { status: 400 });
      const deep = `{"username":"u","password":"p","serveraddress":"${sharedRegistry()}","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
      acceptedOrRefused('deeply nested auth', await postJson(d, '/auth', deep));
      clientError(
        'unparsable server address',
        await postJson(
          d,
          '/auth',
          '{"username":"u","password":"p","serveraddress":"http://[::bad"}',
        ),
        { status: 400, message: 'invalid registry address "http://[::bad"' },
      );
    });

    it('bodies that are huge: 20 MiB of JSON is refused, the daemon keeps serving', async () => {
      const big = `{"Image":"busybox","Labels":{"x":"${'a'.repeat(20 * MiB)}"}}`;
      for (const path of ['/containers/create', '/volumes/create', '/auth']) {
        let r: Answer | undefined;
        try {
          r = await postJson(d, path, big);
        } catch (e) {
          // The server may close while the client still writes: a clean cut, not an answer.
          assert.match(String(e), /EPIPE|ECONNRESET|socket hang up/, String(e));
        }
        if (r) clientError(`20 MiB to ${path}`, r, { status: 400, message: /larger than/ });
        assert.ok(await ping(d.socket), `no /_ping answer after 20 MiB to ${path}`);
      }
    });

    it('a 100 KiB header is a 431 (or a clean close), and the daemon keeps serving', async () => {
      let status = 0;
      try {
        status = (
          await call(d, 'GET', '/version', { headers: { 'X-Huge': 'h'.repeat(100 * 1024) } })
        ).status;
      } catch (e) {
        assert.match(String(e), /EPIPE|ECONNRESET|socket hang up/, String(e));
      }
      assert.ok(status === 0 || status === 431, `status ${status}`);
      assert.ok(await ping(d.socket));
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('query parameters, references, names and filters', () => {
    it('POST /images/create: invalid references and parameters are 400s', async () => {
      const reg = sharedRegistry();
      const cases: readonly [string, RegExp][] = [
        [
          'fromImage=UPPER/Case',
          /^invalid reference format: repository name \(Case\) must be lowercase$/,
        ],
        ['fromImage=a::b', /^invalid reference format/],
        [`fromImage=${reg}/busybox&tag=bad%20tag`, /^invalid tag format$/],
        [`fromImage=${reg}/busybox&tag=sha256%3Ashort`, /^invalid tag format$/],
        [`fromImage=${reg}/busybox@sha256:short`, /^invalid reference format/],
        ['fromSrc=-&repo=UPPER/Case', /^invalid reference format/],
        ['fromSrc=http%3A%2F%2Fexample.invalid%2Fx.tar', /not supported/],
        ['', /fromImage or fromSrc is required/],
      ];
      for (const [q, message] of cases)
        clientError(q, await call(d, 'POST', `/images/create?${q}`), { status: 400, message });
      // dockerd refuses a platform it cannot parse before any network (400); skiff finds out once
      // it has the manifest, in the stream: refused either way.
      refused(
        'platform=not/a/real/platform',
        await call(
          d,
          'POST',
          `/images/create?fromImage=${reg}/busybox&platform=not%2Fa%2Freal%2Fplatform`,
        ),
        /platform/,
      );
      clientError(
        'a repository the registry lacks',
        await call(d, 'POST', `/images/create?fromImage=${reg}/badinput/nothere&tag=latest`),
        { status: 404 },
      );
      // An X-Registry-Auth that decodes to nothing is ignored for a pull, as dockerd.
      clientError(
        'garbage X-Registry-Auth',
        await call(d, 'POST', `/images/create?fromImage=${reg}/badinput/nothere&tag=latest`, {
          headers: { 'X-Registry-Auth': '!!not base64, not JSON{' },
        }),
        { status: 404 },
      );
    });

    it('POST /images/create: a 300-character repository name is a 400, as dockerd', async () => {
      const q = `fromImage=${sharedRegistry()}/${'a'.repeat(300)}&tag=latest`;
      clientError('300 characters', await call(d, 'POST', `/images/create?${q}`), {
        status: 400,
        message: /must not be more than 255 characters/,
      });
    });

    it('tag, push, inspect and remove with invalid references', async () => {
      clientError('tag repo=UPPER', await call(d, 'POST', '/images/busybox/tag?repo=UPPER/Case'), {
        status: 400,
        message: /^invalid reference format/,
      });
      clientError('tag tag=a::b', await call(d, 'POST', '/images/busybox/tag?repo=x&tag=a::b'), {
        status: 400,
        message: /^invalid reference format/,
      });
      clientError('push UPPER', await call(d, 'POST', '/images/UPPER/Case/push'), {
        status: 400,
        message: /^invalid reference format/,
      });
      clientError('push tag=a::b', await call(d, 'POST', '/images/busybox/push?tag=a::b'), {
        status: 400,
        message: /^invalid tag format$/,
      });
      for (const ref of ['a::b', 'UPPER/Case', encodeURIComponent(`${UP}${canary.slice(1)}`)]) {
        clientError(`inspect ${ref}`, await call(d, 'GET', `/images/${ref}/json`));
        clientError(`rmi ${ref}`, await call(d, 'DELETE', `/images/${ref}?force=1`));
      }
    });

    it('names that climb out of the data root through the URL are not found', async () => {
      const evil = encodeURIComponent(`${UP}${canary.slice(1)}`);
      const sub = encodeURIComponent('../../../../../canary');
      for (const [method, path] of [
        ['GET', `/volumes/${evil}`],
        ['DELETE', `/volumes/${evil}`],
        ['DELETE', `/volumes/${sub}`],
        ['GET', `/containers/${evil}/json`],
        ['DELETE', `/containers/${evil}?force=1&v=1`],
        ['DELETE', `/containers/${sub}?force=1`],
        ['GET', `/containers/${sub}/logs?stdout=1`],
        ['GET', `/exec/${evil}/json`],
      ] as const)
        clientError(`${method} ${path}`, await call(d, method, path), { status: 404 });
      // With force, removing a volume that is not there succeeds (dockerd too): and stays inside.
      for (const name of [evil, sub]) {
        const r = await call(d, 'DELETE', `/volumes/${name}?force=1`);
        assert.ok(r.status === 204 || r.status === 404, describeAnswer('rm -f volume', r));
      }
      await hostUnchanged('URL names');
    });

    it('container endpoints: bad query values are 400s, not 500s', async () => {
      const cases: readonly [string, string, RegExp][] = [
        ['POST', '/containers/target/wait?condition=bogus', /condition/],
        ['POST', '/containers/target/kill?signal=BOGUS', /^Invalid signal: BOGUS$/],
        ['POST', '/containers/target/kill?signal=99999', /^Invalid signal: 99999$/],
        ['POST', '/containers/target/stop?t=abc', /t/],
        ['POST', '/containers/target/restart?t=1.5', /t/],
        ['POST', '/containers/target/resize?h=abc&w=1', /h/],
        ['POST', '/containers/target/resize?h=-1&w=1', /resize/],
        ['POST', '/containers/target/rename?name=bad%20name', /^Invalid container name/],
        ['POST', '/containers/target/rename?name=%2Fa%2Fb', /^Invalid container name/],
        ['POST', '/containers/target/rename', /name/],
        ['GET', '/containers/target/logs?stdout=1&since=garbage', /since/],
        ['GET', '/containers/target/logs?stdout=1&until=garbage', /until/],
        ['GET', '/containers/json?limit=abc', /limit/],
        ['GET', '/containers/target/archive', /path/],
        ['PUT', '/containers/target/archive', /path/],
      ];
      for (const [method, path, message] of cases)
        clientError(`${method} ${path}`, await call(d, method, path), { status: 400, message });
      acceptedOrRefused(
        'logs tail=abc',
        await call(d, 'GET', '/containers/target/logs?stdout=1&tail=abc'),
      );
      acceptedOrRefused(
        'top ps_args=--not-a-flag',
        await call(d, 'GET', '/containers/target/top?ps_args=--definitely-not-a-ps-flag'),
      );
      acceptedOrRefused(
        'GET archive of a path that climbs',
        await call(
          d,
          'GET',
          `/containers/target/archive?path=${encodeURIComponent(`${UP}etc/hostname`)}`,
        ),
      );
      const state = await call(d, 'GET', '/containers/target/json');
      assert.equal((JSON.parse(state.body) as { State: { Running: boolean } }).State.Running, true);
    });

    it('filters: malformed JSON and unknown keys are 400 "invalid filter"', async () => {
      const lists = [
        '/containers/json',
        '/images/json',
        '/volumes',
        '/containers/prune',
        '/images/prune',
        '/volumes/prune',
      ];
      for (const path of lists) {
        const method = path.endsWith('prune') ? 'POST' : 'GET';
        for (const f of ['{bad', '[1]', '"x"', '{"label":5}'])
          clientError(
            `${path} filters=${f}`,
            await call(d, method, `${path}?filters=${encodeURIComponent(f)}`),
            {
              status: 400,
              message: /^invalid filter/,
            },
          );
        clientError(
          `${path} unknown key`,
          await call(d, method, `${path}?filters=${encodeURIComponent('{"x":["y"]}')}`),
          { status: 400, message: "invalid filter 'x'" },
        );
      }
      clientError(
        'status=bogus',
        await call(
          d,
          'GET',
          `/containers/json?filters=${encodeURIComponent('{"status":["bogus"]}')}`,
        ),
        { status: 400, message: "Invalid filter 'status=bogus'" },
      );
      clientError(
        'dangling=maybe',
        await call(
          d,
          'GET',
          `/images/json?filters=${encodeURIComponent('{"dangling":["maybe"]}')}`,
        ),
        { status: 400, message: "Invalid filter 'dangling=maybe'" },
      );
      for (const path of ['/containers/prune', '/images/prune'])
        clientError(
          `${path} until=garbage`,
          await call(d, 'POST', `${path}?filters=${encodeURIComponent('{"until":["garbage"]}')}`),
          { status: 400, message: /until/ },
        );
    });

    it('filters of /events and /networks: unknown keys are 400 "invalid filter"', async () => {
      const f = encodeURIComponent('{"x":["y"]}');
      clientError('events', await call(d, 'GET', `/events?since=0&until=1&filters=${f}`), {
        status: 400,
        message: "invalid filter 'x'",
      });
      clientError('networks', await call(d, 'GET', `/networks?filters=${f}`), {
        status: 400,
        message: "invalid filter 'x'",
      });
      clientError('networks {bad', await call(d, 'GET', '/networks?filters=%7Bbad'), {
        status: 400,
        message: /^invalid filter/,
      });
    });

    it('POST /networks/create and connect: malformed and wrongly typed bodies', async () => {
      for (const body of [
        '{',
        '[]',
        '{"Name":5}',
        '{"Name":"badnet","IPAM":[]}',
        '{"Name":"badnet","Labels":{"a":1}}',
      ])
        clientError(`networks/create ${body}`, await postJson(d, '/networks/create', body), {
          status: 400,
        });
      for (const body of ['{', '[]', '{"Container":5}'])
        clientError(`connect ${body}`, await postJson(d, '/networks/bridge/connect', body), {
          status: 400,
        });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('hostile tars through docker load, docker import and docker cp', () => {
    interface Hostile {
      readonly slug: string;
      readonly what: string;
      /** 'refused': must fail cleanly; 'either': may succeed, as long as it stays inside. */
      readonly layer: 'refused' | 'either';
      readonly cp: 'refused' | 'either';
      readonly tar: () => Promise<Buffer>;
      /** Why a case is a known failure outside the API layer (src/daemon/**). */
      readonly loadTodo?: string;
      readonly importTodo?: string;
      readonly cpTodo?: string;
    }
    const CASES: readonly Hostile[] = [
      {
        slug: 'dotdot',
        what: 'a `..` path to the canary',
        layer: 'refused',
        cp: 'refused',
        tar: () => tarOf([{ name: `${UP}${canary.slice(1)}/dotdot.txt`, body: 'x' }]),
      },
      {
        slug: 'abs',
        what: 'an absolute path into the canary',
        layer: 'either',
        cp: 'either',
        tar: () => tarOf([{ name: `${canary}/absolute.txt`, body: 'x' }]),
      },
      {
        slug: 'rootlink',
        what: 'a `./` root entry that is a symlink to the home dir, then a file in it',
        layer: 'either',
        cp: 'either',
        tar: () =>
          tarOf([
            { name: './', type: 'symlink', linkname: d.home },
            { name: './rootlink.txt', body: 'x' },
          ]),
      },
      {
        slug: 'through',
        what: 'a symlink to the canary, then a file through it',
        layer: 'refused',
        cp: 'refused',
        tar: () =>
          tarOf([
            { name: 'escape', type: 'symlink', linkname: canary },
            { name: 'escape/through.txt', body: 'x' },
          ]),
      },
      {
        slug: 'relup',
        what: 'a relative symlink that climbs to the canary, then a file through it',
        layer: 'refused',
        cp: 'refused',
        tar: () =>
          tarOf([
            { name: 'up', type: 'symlink', linkname: `${UP}${canary.slice(1)}` },
            { name: 'up/relup.txt', body: 'x' },
          ]),
      },
      {
        slug: 'hl-up',
        what: 'a hardlink to `../../…/canary/secret.txt`',
        layer: 'refused',
        cp: 'refused',
        tar: () =>
          tarOf([{ name: 'hl', type: 'link', linkname: `${UP}${canary.slice(1)}/secret.txt` }]),
      },
      {
        slug: 'hl-abs',
        what: 'a hardlink to the absolute path of the canary file',
        layer: 'either',
        cp: 'either',
        tar: () => tarOf([{ name: 'hl', type: 'link', linkname: `${canary}/secret.txt` }]),
      },
      {
        slug: 'hl-planted',
        what: 'a hardlink through a planted symlink to the canary',
        layer: 'refused',
        cp: 'refused',
        tar: () =>
          tarOf([
            { name: 'pl', type: 'symlink', linkname: canary },
            { name: 'hl', type: 'link', linkname: 'pl/secret.txt' },
          ]),
      },
      {
        slug: 'wh-up',
        what: 'a whiteout that points out (`../…/.wh.secret.txt`)',
        layer: 'refused',
        cp: 'refused',
        tar: () => tarOf([{ name: `${UP}${canary.slice(1)}/.wh.secret.txt`, body: '' }]),
      },
      {
        slug: 'wh-through',
        what: 'a whiteout through a symlink to the canary',
        layer: 'refused',
        cp: 'refused',
        tar: () =>
          tarOf([
            { name: 'wl', type: 'symlink', linkname: canary },
            { name: 'wl/.wh.secret.txt', body: '' },
          ]),
      },
      {
        slug: 'opq-through',
        what: 'an opaque-directory marker through a symlink to the canary',
        layer: 'refused',
        cp: 'refused',
        tar: () =>
          tarOf([
            { name: 'ol', type: 'symlink', linkname: join(canary, 'sub') },
            { name: 'ol/.wh..wh..opq', body: '' },
          ]),
      },
      {
        slug: 'devices',
        what: 'device nodes and a fifo',
        layer: 'either',
        cp: 'either',
        tar: () =>
          tarOf([
            { name: 'null2', type: 'character-device', devmajor: 1, devminor: 3 },
            { name: 'disk', type: 'block-device', devmajor: 8, devminor: 0 },
            { name: 'pipe', type: 'fifo' },
          ]),
      },
      {
        slug: 'truncated',
        what: 'a tar cut in the middle of a file',
        layer: 'refused',
        cp: 'refused',
        tar: async () =>
          (await tarOf([{ name: 'big.bin', body: 'x'.repeat(64 * 1024) }])).subarray(0, 10_000),
      },
      {
        slug: 'garbage',
        what: 'bytes that are no tar at all',
        layer: 'refused',
        cp: 'refused',
        tar: () => Promise.resolve(Buffer.from('this is not a tar archive\n'.repeat(400))),
      },
    ];

    const storeClean = async (what: string): Promise<void> => {
      assert.deepEqual(
        await readdir(join(d.dataRoot, 'content', 'ingest')).catch(() => []),
        [],
        `${what}: ingest files left`,
      );
      assert.deepEqual(await leftoverSnapshots(d.dataRoot), [], `${what}: snapshots left`);
    };

    const imageAbsent = async (what: string, ref: string): Promise<void> => {
      clientError(`${what}: inspect ${ref}`, await call(d, 'GET', `/images/${ref}/json`), {
        status: 404,
      });
    };

    for (const c of CASES) {
      it(
        `docker load of a layer with ${c.what}`,
        c.loadTodo ? { todo: c.loadTodo } : {},
        async () => {
          const ref = `badinput/load-${c.slug}:latest`;
          const r = await call(d, 'POST', '/images/load?quiet=1', {
            body: await imageArchive([await c.tar()], { tags: [ref] }),
            contentType: 'application/x-tar',
          });
          if (c.layer === 'refused') {
            loadRefused(`load ${c.slug}`, r);
            await imageAbsent(`load ${c.slug}`, ref);
          } else acceptedOrRefused(`load ${c.slug}`, r);
          await storeClean(`load ${c.slug}`);
          await hostUnchanged(`load ${c.slug}`);
        },
      );

      it(`docker import of ${c.what}`, c.importTodo ? { todo: c.importTodo } : {}, async () => {
        const repo = `badinput/import-${c.slug}`;
        const r = await call(d, 'POST', `/images/create?fromSrc=-&repo=${repo}&tag=latest`, {
          body: await c.tar(),
          contentType: 'application/x-tar',
        });
        if (c.layer === 'refused') {
          refused(`import ${c.slug}`, r);
          await imageAbsent(`import ${c.slug}`, `${repo}:latest`);
        } else acceptedOrRefused(`import ${c.slug}`, r);
        await storeClean(`import ${c.slug}`);
        await hostUnchanged(`import ${c.slug}`);
      });

      it(`docker cp of ${c.what}`, c.cpTodo ? { todo: c.cpTodo } : {}, async () => {
        const r = await call(d, 'PUT', `/containers/target/archive?path=/cp/${c.slug}`, {
          body: await c.tar(),
          contentType: 'application/x-tar',
        });
        if (c.cp === 'refused') clientError(`cp ${c.slug}`, r, { status: 400 });
        else acceptedOrRefused(`cp ${c.slug}`, r);
        await hostUnchanged(`cp ${c.slug}`);
      });
    }

    /** docker load: archives that are broken, or whose manifest.json / index.json lie. */
    const ARCHIVES: readonly {
      readonly what: string;
      readonly archive: () => Promise<Buffer>;
      readonly todo?: string;
    }[] = [
      { what: 'an empty body', archive: () => Promise.resolve(Buffer.alloc(0)) },
      {
        what: 'garbage',
        archive: () => Promise.resolve(Buffer.from('not an archive\n'.repeat(1000))),
      },
      {
        what: 'a truncated archive',
        archive: async () => (await goodArchive()).subarray(0, 1000),
      },
      {
        what: 'gzip magic, then garbage',
        archive: () =>
          Promise.resolve(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(600, 7)])),
      },
      {
        what: 'a manifest.json that is no JSON',
        archive: () => tarOf([{ name: 'manifest.json', body: '{' }]),
      },
      {
        what: 'a manifest.json that is an object',
        archive: () => tarOf([{ name: 'manifest.json', body: '{}' }]),
      },
      {
        what: 'a manifest.json that is [5]',
        archive: () => tarOf([{ name: 'manifest.json', body: '[5]' }]),
      },
      {
        what: 'Config: 5, Layers: "x"',
        archive: () => imageArchive([], { manifest: [{ Config: 5, Layers: 'x', RepoTags: 'y' }] }),
      },
      {
        what: 'a Config path that climbs to the canary',
        archive: () => imageArchive([], { manifest: [{ Config: escapePath(), Layers: [] }] }),
      },
      {
        what: 'a Config path that is the canary, absolute',
        archive: () =>
          imageArchive([], { manifest: [{ Config: `${canary}/secret.txt`, Layers: [] }] }),
      },
      {
        what: 'a layer path that climbs to the canary',
        archive: () =>
          imageArchive([], { manifest: [{ Config: 'config.json', Layers: [escapePath()] }] }),
      },
      {
        what: 'a layer that is not in the archive',
        archive: async () =>
          imageArchive([await goodLayer()], {
            manifest: [{ Config: 'config.json', Layers: ['nothere.tar'] }],
          }),
      },
      {
        what: 'more layers than the config names',
        archive: async () =>
          imageArchive([await goodLayer()], {
            manifest: [{ Config: 'config.json', Layers: ['layer0/layer.tar', 'layer0/layer.tar'] }],
          }),
      },
      {
        what: 'an invalid tag',
        archive: async () => imageArchive([await goodLayer()], { tags: ['UPPER/Case:x'] }),
      },
      {
        what: 'a config.json that is no JSON',
        archive: () =>
          tarOf([
            { name: 'config.json', body: '{' },
            { name: 'manifest.json', body: '[{"Config":"config.json","Layers":[]}]' },
          ]),
      },
      {
        what: 'an OCI index whose manifest digest climbs to the canary',
        archive: () =>
          tarOf([
            { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
            {
              name: 'index.json',
              body: JSON.stringify({
                schemaVersion: 2,
                manifests: [
                  {
                    mediaType: 'application/vnd.oci.image.manifest.v1+json',
                    digest: `sha256:${escapePath()}`,
                    size: 10,
                  },
                ],
              }),
            },
          ]),
      },
    ];
    const goodLayer = (): Promise<Buffer> => tarOf([{ name: 'ok.txt', body: 'fine\n' }]);
    const goodArchive = async (): Promise<Buffer> =>
      imageArchive([await goodLayer()], { tags: ['badinput/good:latest'] });
    const escapePath = (): string => `${UP}${canary.slice(1)}/secret.txt`;

    for (const a of ARCHIVES)
      it(`docker load of ${a.what} is refused`, a.todo ? { todo: a.todo } : {}, async () => {
        const r = await call(d, 'POST', '/images/load', {
          body: await a.archive(),
          contentType: 'application/x-tar',
        });
        loadRefused(a.what, r);
        await storeClean(a.what);
        await hostUnchanged(a.what);
      });
  });

  // -------------------------------------------------------------------------------------------
  describe('pulls of images whose manifests lie about a blob', () => {
    let own: TestRegistry | undefined;
    after(async () => {
      await own?.stop();
    });

    interface Manifest {
      config: { mediaType: string; digest: string; size: number };
      layers: { mediaType: string; digest: string; size: number }[];
    }
    const unique = (tag: string): Promise<BuiltImage> =>
      buildImage({
        compression: 'none',
        layers: [
          [{ path: 'payload', type: 'file', content: `${tag} ${Date.now()}\n`.repeat(512) }],
        ],
      });
    const manifestOf = (img: BuiltImage): Manifest =>
      JSON.parse(img.manifest.toString()) as Manifest;
    const blobPath = (digest: string): string =>
      join(d.dataRoot, 'content', 'blobs', 'sha256', digest.slice('sha256:'.length));
    const exists = (p: string): Promise<boolean> =>
      lstat(p).then(
        () => true,
        () => false,
      );

    /** Pulls repo:tag, expects a clean refusal and nothing of the image left but whole blobs. */
    const pullRefused = async (
      registry: string,
      repo: string,
      notStored: readonly string[],
    ): Promise<string> => {
      const bugsBefore = (await bugLines(d)).length;
      const r = await call(
        d,
        'POST',
        `/images/create?fromImage=${encodeURIComponent(`${registry}/${repo}`)}&tag=lie`,
        { timeoutMs: 120_000 },
      );
      const message = refused(`pull ${repo}`, r);
      clientError(`inspect ${repo}`, await call(d, 'GET', `/images/${registry}/${repo}:lie/json`), {
        status: 404,
      });
      assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')).catch(() => []), []);
      assert.deepEqual(await leftoverSnapshots(d.dataRoot), []);
      for (const digest of notStored)
        assert.equal(await exists(blobPath(digest)), false, `${digest} was stored`);
      assert.ok(await ping(d.socket));
      assert.deepEqual((await bugLines(d)).slice(bugsBefore), [], 'the last-resort handler ran');
      return message;
    };

    const pushLie = async (
      registry: string,
      repo: string,
      img: BuiltImage,
      lie: (m: Manifest) => Manifest,
    ): Promise<void> => {
      await pushImage({ addr: registry }, repo, 'truth', img);
      const forged = Buffer.from(JSON.stringify(lie(manifestOf(img))));
      await pushManifest({ addr: registry }, repo, 'lie', img.mediaType, forged);
    };

    const withLayer = (m: Manifest, layer: Partial<Manifest['layers'][number]>): Manifest => {
      const first = m.layers[0];
      assert.ok(first);
      return { ...m, layers: [{ ...first, ...layer }] };
    };

    it('a layer declared smaller than it is', async () => {
      const img = await unique('smaller');
      const layer = img.layers[0]!;
      await pushLie(sharedRegistry(), 'badinput/smaller', img, (m) =>
        withLayer(m, { size: layer.size - 100 }),
      );
      await pullRefused(sharedRegistry(), 'badinput/smaller', [layer.digest]);
    });

    it('a layer declared larger than it is', async () => {
      const img = await unique('larger');
      const layer = img.layers[0]!;
      await pushLie(sharedRegistry(), 'badinput/larger', img, (m) =>
        withLayer(m, { size: layer.size + 100 }),
      );
      await pullRefused(sharedRegistry(), 'badinput/larger', [layer.digest]);
    });

    it('a config declared smaller than it is', async () => {
      const img = await unique('config');
      await pushLie(sharedRegistry(), 'badinput/config', img, (m) => ({
        ...m,
        config: { ...m.config, size: m.config.size - 10 },
      }));
      await pullRefused(sharedRegistry(), 'badinput/config', [img.configDigest]);
    });

    it('a layer descriptor naming another real blob (content not what the config says)', async () => {
      const img = await unique('wrong-blob');
      const other = await unique('other-blob');
      const otherLayer = other.layers[0]!;
      await pushImage({ addr: sharedRegistry() }, 'badinput/wrong-blob', 'other', other);
      await pushLie(sharedRegistry(), 'badinput/wrong-blob', img, (m) =>
        withLayer(m, { digest: otherLayer.digest, size: otherLayer.size }),
      );
      await pullRefused(sharedRegistry(), 'badinput/wrong-blob', []);
    });

    it('a registry that serves other bytes (same size) for a layer digest', async () => {
      own = await startRegistry();
      const img = await unique('tampered');
      const layer = img.layers[0]!;
      await pushImage({ addr: own.addr }, 'badinput/tampered', 'lie', img);
      const hex = layer.digest.slice('sha256:'.length);
      const stored = join(
        own.dir,
        'data',
        'docker',
        'registry',
        'v2',
        'blobs',
        'sha256',
        hex.slice(0, 2),
        hex,
        'data',
      );
      const forged = (await unique('tampered')).layers[0]!.data;
      assert.equal(forged.length, layer.data.length);
      assert.notDeepEqual(forged, layer.data);
      await writeFile(stored, forged);
      await pullRefused(own.addr, 'badinput/tampered', [layer.digest]);
    });
  });

  it('at the end: the same skiffd, answering, no unexpected 500 logged, the host untouched', async (t) => {
    assert.equal(await d.skiffdPid(), pid, 'skiffd restarted');
    assert.equal(d.process.exitCode, null, 'skiff daemon exited');
    assert.ok(await ping(d.socket), 'no /_ping answer');
    const lines = (await d.log()).split('\n');
    // The last-resort handler: no uncaught exception or unhandled rejection anywhere.
    assert.deepEqual(
      lines.filter((l) => l.includes('BUG: ')),
      [],
    );
    // Every 5xx is logged once at the API edge: bad input never gets one.
    const failed = lines.filter((l) => l.includes('"msg":"request failed"'));
    t.diagnostic(`${failed.length} requests answered with a 5xx`);
    assert.deepEqual(failed, []);
    await hostUnchanged('the suite');
  });
});
