/**
 * The docker CLI context `rootless` pointing at skiff's socket: made with the docker CLI when
 * it is installed, else by writing the files the CLI reads (~/.docker/contexts/meta/<sha256 of
 * the name>/meta.json and `currentContext` in ~/.docker/config.json).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnCollect } from '../../proc/run.js';

export const CONTEXT_NAME = 'rootless';

export interface ContextOptions {
  readonly home: string;
  readonly dockerConfigDir?: string;
  readonly docker?: string;
  readonly host: string;
}

const configDir = (o: ContextOptions): string => o.dockerConfigDir ?? join(o.home, '.docker');
const metaDir = (o: ContextOptions): string =>
  join(configDir(o), 'contexts', 'meta', createHash('sha256').update(CONTEXT_NAME).digest('hex'));

export async function createContext(o: ContextOptions): Promise<string[]> {
  const out: string[] = [];
  if (o.docker) {
    const exists = await spawnCollect(o.docker, ['context', 'inspect', CONTEXT_NAME]);
    if (exists.code !== 0) {
      const r = await spawnCollect(o.docker, [
        'context',
        'create',
        CONTEXT_NAME,
        '--description',
        'Rootless mode (skiff)',
        '--docker',
        `host=${o.host}`,
      ]);
      if (r.code !== 0) throw new Error(`docker context create: ${r.stderr.trim()}`);
      out.push(`Successfully created context "${CONTEXT_NAME}"`);
    }
    const u = await spawnCollect(o.docker, ['context', 'use', CONTEXT_NAME]);
    if (u.code !== 0) throw new Error(`docker context use: ${u.stderr.trim()}`);
    out.push(`Current context is now "${CONTEXT_NAME}"`);
    return out;
  }
  await mkdir(metaDir(o), { recursive: true, mode: 0o700 });
  await writeFile(
    join(metaDir(o), 'meta.json'),
    JSON.stringify({
      Name: CONTEXT_NAME,
      Metadata: { Description: 'Rootless mode (skiff)' },
      Endpoints: { docker: { Host: o.host, SkipTLSVerify: false } },
    }),
  );
  await setCurrent(o, CONTEXT_NAME);
  return [
    `Created context "${CONTEXT_NAME}" (${metaDir(o)})`,
    `Current context is now "${CONTEXT_NAME}"`,
  ];
}

export async function removeContext(o: ContextOptions): Promise<string[]> {
  const current = await currentContext(o);
  const out: string[] = [];
  if (current === CONTEXT_NAME) {
    if (o.docker) await spawnCollect(o.docker, ['context', 'use', 'default']);
    else await setCurrent(o, undefined);
    out.push('Current context is now "default"');
  }
  if (o.docker) {
    const r = await spawnCollect(o.docker, ['context', 'rm', '-f', CONTEXT_NAME]);
    if (r.code === 0) out.push(`Removed context "${CONTEXT_NAME}"`);
  } else {
    await rm(metaDir(o), { recursive: true, force: true });
    out.push(`Removed context "${CONTEXT_NAME}"`);
  }
  return out;
}

export async function currentContext(
  o: Pick<ContextOptions, 'home' | 'dockerConfigDir'>,
): Promise<string | undefined> {
  try {
    const c = JSON.parse(
      await readFile(join(o.dockerConfigDir ?? join(o.home, '.docker'), 'config.json'), 'utf8'),
    ) as { currentContext?: unknown };
    return typeof c.currentContext === 'string' && c.currentContext !== ''
      ? c.currentContext
      : undefined;
  } catch {
    return undefined;
  }
}

/** The docker endpoint of a context, from its meta.json (undefined for "default"). */
export async function contextHost(
  o: Pick<ContextOptions, 'home' | 'dockerConfigDir'>,
  name: string,
): Promise<string | undefined> {
  const dir = join(
    o.dockerConfigDir ?? join(o.home, '.docker'),
    'contexts',
    'meta',
    createHash('sha256').update(name).digest('hex'),
  );
  try {
    const m = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as {
      Endpoints?: { docker?: { Host?: unknown } };
    };
    const h = m.Endpoints?.docker?.Host;
    return typeof h === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

async function setCurrent(o: ContextOptions, name: string | undefined): Promise<void> {
  const file = join(configDir(o), 'config.json');
  let c: Record<string, unknown> = {};
  try {
    c = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // no config yet
  }
  if (name) c['currentContext'] = name;
  else delete c['currentContext'];
  await mkdir(configDir(o), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(c, null, '\t'));
}
