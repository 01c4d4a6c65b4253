/** Where the repository and its built artefacts are, for tests. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const skiffCli = join(repoRoot, 'dist', 'cli', 'main.js');
export const nativeDir = join(repoRoot, 'native', 'build');
/** The real docker CLI (28.x) — never Debian's docker.io client, which may also be installed. */
export const dockerCli = process.env['SKIFF_TEST_DOCKER'] ?? '/usr/local/bin/docker';
