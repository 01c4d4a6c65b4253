/** The environment variables skiffd reads, in one place (lint forbids process.env elsewhere). */
import { homedir } from 'node:os';

export interface SkiffdEnvironment {
  readonly home: string;
  readonly vars: Readonly<Record<string, string | undefined>>;
  readonly pathEnv: string | undefined;
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly noProxy: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): SkiffdEnvironment {
  return {
    home: env['HOME'] ?? homedir(),
    vars: env,
    pathEnv: env['PATH'],
    httpProxy: env['HTTP_PROXY'] ?? env['http_proxy'] ?? '',
    httpsProxy: env['HTTPS_PROXY'] ?? env['https_proxy'] ?? '',
    noProxy: env['NO_PROXY'] ?? env['no_proxy'] ?? '',
  };
}
