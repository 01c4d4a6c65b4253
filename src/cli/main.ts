#!/usr/bin/env node
/**
 * The `skiff` executable. When built, the command-line program is one bundled file
 * (scripts/bundle.mjs): Node then reads one module instead of ~145, which was the largest part
 * of a `skiff daemon` start before rootlesskit (issue 12). Without the bundle, the modules.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as RunCliModule from './run-cli.js';

const bundle = new URL('./run-cli.bundle.mjs', import.meta.url);
const { runCli } = (await import(
  existsSync(fileURLToPath(bundle)) ? bundle.href : './run-cli.js'
)) as typeof RunCliModule;
await runCli(process.argv);
