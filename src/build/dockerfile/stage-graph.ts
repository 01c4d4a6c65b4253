/**
 * Picks the stages a build runs: the target (by name, or the last stage) and the stages it
 * depends on through `FROM <stage>`, `COPY --from=<stage>` and `RUN --mount=from=<stage>`, in
 * Dockerfile order. A reference that is not an earlier stage's name or index is an image.
 */
import { DockerfileError } from './dockerfile-error.js';
import { expandWord } from './expand-words.js';
import type { ParsedDockerfile, Stage, VariableLookup } from './instructions.js';
import { fromParts } from './typed-from.js';

export function stagesToBuild(
  parsed: ParsedDockerfile,
  target: string | undefined,
  globalLookup: VariableLookup,
): { readonly stages: readonly Stage[]; readonly target: Stage } {
  const chosen = findTarget(parsed.stages, target);
  const needed = new Set<number>();
  const visit = (stage: Stage): void => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    for (const ref of stageReferences(stage, parsed, globalLookup)) {
      const dependency = resolveStage(parsed.stages, ref, stage.index);
      if (dependency !== undefined) visit(dependency);
    }
  };
  visit(chosen);
  return { stages: parsed.stages.filter((s) => needed.has(s.index)), target: chosen };
}

function findTarget(stages: readonly Stage[], target: string | undefined): Stage {
  if (target === undefined || target === '') {
    const last = stages.at(-1);
    // dockerd's words when nothing was built, e.g. a Dockerfile of global ARGs only.
    if (last === undefined)
      throw new DockerfileError('No image was generated. Is your Dockerfile empty?');
    return last;
  }
  const found = stages.find((s) => s.name === target.toLowerCase());
  if (found === undefined) {
    throw new DockerfileError(`failed to reach build target ${target} in Dockerfile`);
  }
  return found;
}

/**
 * The words that may name another stage. FROM's image is expanded with the global ARGs as at
 * dispatch; the classic builder does not expand `--from`, so neither do we.
 */
function stageReferences(
  stage: Stage,
  parsed: ParsedDockerfile,
  globalLookup: VariableLookup,
): string[] {
  const refs = [expandWord(fromParts(stage.from).image, globalLookup, parsed.escape)];
  for (const instruction of stage.instructions) {
    for (const flag of instruction.flags) {
      if (flag.value === undefined) continue;
      if (
        flag.name === 'from' &&
        (instruction.keyword === 'COPY' || instruction.keyword === 'ADD')
      ) {
        refs.push(flag.value);
      } else if (flag.name === 'mount' && instruction.keyword === 'RUN') {
        const from = mountFrom(flag.value);
        if (from !== undefined) refs.push(from);
      }
    }
  }
  return refs;
}

/** The `from=` field of a `--mount` spec (comma-separated key=value). */
function mountFrom(spec: string): string | undefined {
  for (const field of spec.split(',')) {
    const [key, value] = field.split('=', 2);
    if (key?.trim().toLowerCase() === 'from' && value !== undefined) return value.trim();
  }
  return undefined;
}

/** A stage before `before`, by name (case-insensitive) or by index. */
function resolveStage(stages: readonly Stage[], ref: string, before: number): Stage | undefined {
  const lower = ref.toLowerCase();
  const byName = stages.find((s) => s.index < before && s.name === lower);
  if (byName !== undefined) return byName;
  if (!/^\d+$/.test(ref)) return undefined;
  const index = Number(ref);
  return index < before ? stages[index] : undefined;
}
