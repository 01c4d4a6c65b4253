/**
 * A git repository as a build context (`docker build https://host/repo.git#ref:subdir`):
 * recognised and split as moby's urlutil.IsGitURL and git.parseRemoteURL do, fetched shallowly
 * with no terminal prompt and a time limit, so an unreachable or private repository is an error
 * naming it, never a hang.
 */
import { InvalidArgumentError, UnavailableError } from '../../errors.js';
import { findBinary } from '../../proc/find-binary.js';
import { spawnCollect } from '../../proc/run.js';

export interface GitRemote {
  /** What git fetches from; always starts with a scheme or `git@`, never with `-`. */
  readonly remote: string;
  /** Branch, tag or ref to check out; "" for the remote's default branch. */
  readonly ref: string;
  /** The context's directory inside the repository; "" for its root. */
  readonly subdir: string;
}

export interface GitOptions {
  /** Absolute path of git; default: found once in the usual directories. */
  readonly bin?: string;
  /** The environment git runs with (an ssh agent socket, proxies); GIT_TERMINAL_PROMPT=0 is always set. */
  readonly env?: Readonly<Record<string, string>>;
  /** Whole fetch-and-checkout limit; default 10 minutes. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const isHttpUrl = (s: string): boolean => s.startsWith('https://') || s.startsWith('http://');

/** moby's urlutil.IsGitURL. */
export function isGitUrl(s: string): boolean {
  if (isHttpUrl(s) && /\.git(?:#.+)?$/.test(s)) return true;
  return ['git://', 'github.com/', 'git@', 'ssh://'].some((p) => s.startsWith(p));
}

/** moby's parseRemoteURL: `url#ref:subdir`, with https:// added to a bare `github.com/...`. */
export function parseGitUrl(url: string): GitRemote {
  const withScheme =
    isHttpUrl(url) || url.startsWith('git://') || url.startsWith('git@') || url.startsWith('ssh://')
      ? url
      : `https://${url}`;
  const hash = withScheme.indexOf('#');
  const remote = hash < 0 ? withScheme : withScheme.slice(0, hash);
  const fragment = hash < 0 ? '' : withScheme.slice(hash + 1);
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  // A ref is passed to git as an argument: one that looks like an option is no ref.
  if (ref.startsWith('-')) throw new InvalidArgumentError(`invalid git reference ${ref} in ${url}`);
  return { remote, ref, subdir };
}

/** Fetches `r` (its ref only, depth 1, with submodules) into the empty directory `dir`. */
export async function cloneGit(
  r: GitRemote,
  dir: string,
  signal: AbortSignal,
  o: GitOptions = {},
): Promise<void> {
  const bin = o.bin ?? findBinary('git', undefined);
  if (bin === undefined)
    throw new UnavailableError('building from a git repository needs git: install git');
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    ...o.env,
    GIT_TERMINAL_PROMPT: '0',
    // A submodule must not name a path on this machine (file://, a bare path): it would copy
    // the user's files into the context.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'protocol.file.allow',
    GIT_CONFIG_VALUE_0: 'never',
  };
  const deadline = Date.now() + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const git = async (what: string, argv: readonly string[]): Promise<void> => {
    const timeoutMs = Math.max(1, deadline - Date.now());
    const res = await spawnCollect(bin, argv, { cwd: dir, env, signal, timeoutMs });
    if (res.code === 0) return;
    const reason =
      res.signal !== null && !signal.aborted
        ? `timed out after ${Math.round((o.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s`
        : lastLines(res.stderr) || `exit status ${res.code ?? res.signal ?? '?'}`;
    throw new InvalidArgumentError(`unable to prepare context: ${what} ${r.remote}: ${reason}`);
  };
  await git('error initializing a repository for', ['init', '-q', '.']);
  await git('error adding the remote', ['remote', 'add', 'origin', r.remote]);
  await git('error fetching', [
    'fetch',
    '-q',
    '--depth',
    '1',
    'origin',
    '--',
    r.ref === '' ? 'HEAD' : r.ref,
  ]);
  await git('error checking out', ['checkout', '-q', 'FETCH_HEAD']);
  await git('error initializing submodules of', [
    'submodule',
    '-q',
    'update',
    '--init',
    '--recursive',
    '--depth',
    '1',
  ]);
}

/** git's complaint without its hints: the lines that say what went wrong. */
function lastLines(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'))
    .slice(-3)
    .join('; ');
}
