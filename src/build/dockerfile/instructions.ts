/**
 * The Dockerfile as the builder dispatches it: stages of raw instructions (parsed once, with
 * dockerfile-ast), turned into typed instructions one at a time at dispatch, because variable
 * expansion depends on the ARG and ENV values in force at that step.
 */

/** `<<EOF` (or `<<-EOF`, `<<"EOF"`) after RUN or COPY/ADD. */
export interface Heredoc {
  /** The delimiter word, without quotes or `-`. */
  readonly name: string;
  /** The body, lines joined with "\n" and ending with "\n"; `<<-` already stripped leading tabs. */
  readonly content: string;
  /** False when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no variable expansion in the body. */
  readonly expand: boolean;
}

export interface InstructionFlag {
  /** Without the dashes: "from", "chown", "chmod", "link", "platform", "network", "mount"... */
  readonly name: string;
  /** undefined for a bare `--link`. */
  readonly value?: string;
}

/** One instruction as written, before expansion. */
export interface RawInstruction {
  /** Upper case: FROM, RUN, COPY... */
  readonly keyword: string;
  /** 1-based line where it starts. */
  readonly line: number;
  /**
   * The instruction as dockerd prints it in "Step n/m : ...": keyword as written, flags and
   * arguments with continuations joined (backslash-newline removed, the lines' text kept).
   */
  readonly original: string;
  readonly flags: readonly InstructionFlag[];
  /** Everything after the flags, continuations joined, comments between continuation lines dropped; heredoc bodies not included. */
  readonly argsText: string;
  /** The exec form when argsText is a valid JSON array of strings (RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME, HEALTHCHECK CMD). */
  readonly json?: readonly string[];
  readonly heredocs: readonly Heredoc[];
}

export interface Stage {
  /** 0-based position. */
  readonly index: number;
  /** `AS name`, lower-cased as dockerd does; undefined without one. */
  readonly name?: string;
  /** The FROM instruction itself (its image word is expanded with the global ARGs at dispatch). */
  readonly from: RawInstruction;
  /** The instructions after FROM, up to the next FROM. */
  readonly instructions: readonly RawInstruction[];
}

export interface ParsedDockerfile {
  /** ARG instructions before the first FROM (global scope, usable in FROM lines). */
  readonly globalArgs: readonly RawInstruction[];
  readonly stages: readonly Stage[];
  /** The escape character in force (`# escape=` directive; default backslash). */
  readonly escape: string;
  /** For the client, e.g. "# syntax= directive ignored: skiff has no BuildKit frontends". */
  readonly warnings: readonly string[];
}

/** How a command is given: the shell form is a single string run with SHELL. */
export type CommandForm =
  | { readonly form: 'exec'; readonly args: readonly string[] }
  | { readonly form: 'shell'; readonly script: string };

export interface HealthcheckInstruction {
  readonly kind: 'HEALTHCHECK';
  /** undefined for HEALTHCHECK NONE. */
  readonly test?: readonly string[];
  /** Nanoseconds; 0 when not given. */
  readonly interval: number;
  readonly timeout: number;
  readonly startPeriod: number;
  readonly startInterval: number;
  readonly retries: number;
}

export interface CopyInstruction {
  readonly kind: 'COPY' | 'ADD';
  /** Expanded source words (globs kept as written); heredoc names are not included here. */
  readonly sources: readonly string[];
  /** Heredoc sources (`COPY <<EOF /dest`): each becomes a file named after its delimiter. */
  readonly heredocs: readonly Heredoc[];
  readonly dest: string;
  readonly from?: string;
  readonly chown?: string;
  /** As written (octal digits), validated. */
  readonly chmod?: string;
  readonly link: boolean;
  /** ADD --checksum / --keep-git-dir: accepted, recorded. */
  readonly checksum?: string;
}

export interface RunInstruction {
  readonly kind: 'RUN';
  readonly command: CommandForm;
  /** Heredocs of the command: the first one is the script when the command is just `<<EOF`. */
  readonly heredocs: readonly Heredoc[];
  /** `--network=default|none|host`. */
  readonly network?: string;
  /** `--mount=...` specs as written (dockerd's classic builder refuses them: BuildKit only). */
  readonly mounts?: readonly string[];
}

export type Instruction =
  | RunInstruction
  | CopyInstruction
  | { readonly kind: 'CMD' | 'ENTRYPOINT'; readonly command: CommandForm }
  | { readonly kind: 'SHELL'; readonly shell: readonly string[] }
  | { readonly kind: 'ENV'; readonly pairs: readonly (readonly [string, string])[] }
  | { readonly kind: 'LABEL'; readonly pairs: readonly (readonly [string, string])[] }
  | {
      readonly kind: 'ARG';
      readonly args: readonly { readonly name: string; readonly defaultValue?: string }[];
    }
  | { readonly kind: 'WORKDIR'; readonly path: string }
  | { readonly kind: 'USER'; readonly user: string }
  | { readonly kind: 'EXPOSE'; readonly ports: readonly string[] }
  | { readonly kind: 'VOLUME'; readonly paths: readonly string[] }
  | HealthcheckInstruction
  | { readonly kind: 'STOPSIGNAL'; readonly signal: string }
  /** The trigger text, upper-cased keyword, unexpanded (it runs in the child build). */
  | { readonly kind: 'ONBUILD'; readonly trigger: string }
  | { readonly kind: 'MAINTAINER'; readonly name: string };

/** Variables in force at a step: the stage's ENV and ARG values (undefined = not set). */
export type VariableLookup = (name: string) => string | undefined;
