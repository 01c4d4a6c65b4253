/**
 * RUN: the command in a container of the stage's current image (dockerd's classic builder: the
 * shell form through SHELL, ENTRYPOINT ignored, the build args as environment and, prefixed
 * `|N K=v`, in the history), its output streamed to the client as it comes, its writable layer
 * committed as the step's layer. A non-zero exit fails the build with dockerd's message; the
 * container goes either way (unless the client asked to keep it with rm=0).
 */
import { InvalidArgumentError } from '../errors.js';
import { RunStepError } from './run-step-error.js';
import { storeLayer } from '../daemon/images/image-from-layer.js';
import { stepKey } from './build-cache.js';
import type { Heredoc, RunInstruction } from './dockerfile/instructions.js';
import type { StageState } from './stage-state.js';
import { commitStep, probeCache, shortId, type StepContext } from './step-context.js';

/** The command line RUN executes. */
export function runCommand(ins: RunInstruction, shell: readonly string[]): string[] {
  if (ins.command.form === 'exec') return [...ins.command.args];
  return [...shell, scriptWithHeredocs(ins.command.script, ins.heredocs)];
}

/**
 * `RUN <<EOF` alone runs the heredoc as the script; `RUN cmd <<EOF` gives the shell the
 * heredoc itself (its body and delimiter after the command line), which the shell feeds to cmd.
 */
function scriptWithHeredocs(script: string, heredocs: readonly Heredoc[]): string {
  if (heredocs.length === 0) return script;
  const only = heredocs[0];
  if (heredocs.length === 1 && only && /^<<-?\s*(["']?)[^\s"']+\1\s*$/.test(script.trim()))
    return only.content;
  return `${script}\n${heredocs.map((h) => `${h.content}${h.name}`).join('\n')}\n`;
}

export async function runStep(sc: StepContext, st: StageState, ins: RunInstruction): Promise<void> {
  if (!st.image)
    throw new InvalidArgumentError(
      'RUN needs a filesystem: the stage is still empty (FROM scratch)',
    );
  const cmd = runCommand(ins, st.shell());
  const args = st.runArgs(sc.options.buildArgs);
  const createdBy = [
    ...(args.history.length > 0 ? [`|${args.history.length}`, ...args.history] : []),
    ...cmd,
  ].join(' ');
  const key = stepKey(st.imageId, createdBy, st.runConfig);
  if (await probeCache(sc, st, createdBy, key)) return;
  sc.signal.throwIfAborted();
  const network = ins.network ?? sc.options.networkMode;
  const { id, warnings } = await sc.containers.create({
    image: st.imageId,
    cmd,
    env: [...st.runConfig.env, ...args.env],
    user: st.runConfig.user,
    workingDir: st.runConfig.workingDir,
    networkMode: network === 'default' ? 'default' : network,
    extraHosts: sc.options.extraHosts,
    shmSize: sc.options.shmSize,
    resources: sc.options.resources,
  });
  // Once per build: every step would repeat them.
  for (const w of warnings) sc.warnOnce(w);
  sc.out.say(` ---> Running in ${shortId(id)}\n`);
  const keep = !sc.options.remove && !sc.options.forceRemove;
  let imageId: string | undefined;
  try {
    const code = await sc.containers.run(
      id,
      (chunk) => {
        sc.out.say(chunk.toString('utf8'));
      },
      sc.signal,
    );
    if (code !== 0)
      throw new RunStepError(
        `The command '${cmd.join(' ')}' returned a non-zero code: ${code}`,
        code,
      );
    const layer = await storeLayer(sc.images.ctx, sc.containers.diffTar(id), {
      ...(st.image.chainIds.length > 0 ? { parentChainId: st.image.chainIds.at(-1) } : {}),
    });
    imageId = await commitStep(sc, st, { createdBy, key, containerCmd: cmd, layer, container: id });
  } finally {
    if (!keep) {
      await sc.containers.remove(id).catch(() => undefined);
      sc.out.say(` ---> Removed intermediate container ${shortId(id)}\n`);
    }
  }
  sc.out.say(` ---> ${shortId(imageId)}\n`);
}
