/**
 * One classic build, start to end: the context received, the Dockerfile parsed and every
 * instruction checked before step 1 (as dockerd), the stages the target needs run in order,
 * each instruction a step with dockerd's output, the result tagged. Everything the build made
 * that is not an image (context directory, mounts, step containers) is gone when it returns,
 * also when it fails or the client went away.
 */
import { familiar, normalizeTagged, parseReference } from '../image/reference.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { ImageDetails } from '../daemon/images/image-service.js';
import { registryDomain, type Credentials } from '../registry/credentials.js';
import { BuildCache, stepKey } from './build-cache.js';
import { receiveContext, type BuildContext } from './context/receive-context.js';
import { copyStep } from './copy-step.js';
import { directoryTree } from './context/source-tree.js';
import type {
  CopyInstruction,
  Instruction,
  ParsedDockerfile,
  RawInstruction,
  Stage,
} from './dockerfile/instructions.js';
import { parseDockerfile, parseTriggers } from './dockerfile/parse-dockerfile.js';
import { stagesToBuild } from './dockerfile/stage-graph.js';
import { checkInstruction, typedFrom, typedInstruction } from './dockerfile/typed-instruction.js';
import { applyMetadata } from './metadata-steps.js';
import { runStep } from './run-step.js';
import { SourceRoots } from './source-roots.js';
import { PROXY_ARGS, StageState } from './stage-state.js';
import { commitStep, nopCommand, probeCache, shortId, type StepContext } from './step-context.js';
import type { BuildMounter, StepContainers } from './build-deps.js';
import type { BuildOptions } from './build-options.js';
import type { BuildOutput } from './build-output.js';
import type { ImageService } from '../daemon/images/image-service.js';
import type { Readable } from 'node:stream';

export interface BuilderDeps {
  readonly images: ImageService;
  readonly containers: StepContainers;
  readonly mounter: BuildMounter;
  /** skiffd's own scratch directory for contexts and mount points. */
  readonly workDir: string;
}

export async function runBuild(
  deps: BuilderDeps,
  options: BuildOptions,
  body: Readable,
  out: BuildOutput,
  signal: AbortSignal,
): Promise<string> {
  const context = await receiveContext({
    body,
    ...(options.remote ? { remote: options.remote } : {}),
    dockerfile: options.dockerfile,
    tmpRoot: deps.workDir,
    signal,
  });
  const roots = new SourceRoots(deps.images.ctx.snapshots, deps.mounter, deps.workDir);
  try {
    const parsed = parseDockerfile(context.dockerfileText);
    for (const w of parsed.warnings) out.say(`[WARNING]: ${w}\n`);
    const cacheFrom: { image: ImageDetails['image']; config: ImageDetails['config'] }[] = [];
    for (const ref of options.cacheFrom) {
      const d = await deps.images.details(ref).catch(() => undefined);
      if (d) cacheFrom.push({ image: d.image, config: d.config });
    }
    const warned = new Set<string>();
    const sc: StepContext = {
      out,
      images: deps.images,
      containers: deps.containers,
      mounter: deps.mounter,
      options,
      cache: new BuildCache(() => deps.images.all(), cacheFrom),
      workDir: deps.workDir,
      signal,
      warnOnce: (text) => {
        if (warned.has(text)) return;
        warned.add(text);
        out.say(`[Warning] ${text}\n`);
      },
    };
    return await new Build(sc, parsed, context, roots).run();
  } finally {
    await roots.releaseAll();
    await context.cleanup();
  }
}

class Build {
  private readonly usedArgs = new Set<string>();
  private readonly globals = new Map<string, string | undefined>();
  private readonly done = new Map<number, StageState>();
  private step = 0;
  private total = 0;

  constructor(
    private readonly sc: StepContext,
    private readonly parsed: ParsedDockerfile,
    private readonly context: BuildContext,
    private readonly roots: SourceRoots,
  ) {}

  private get options(): BuildOptions {
    return this.sc.options;
  }

  async run(): Promise<string> {
    const escape = this.parsed.escape;
    const labels = Object.entries(this.options.labels);
    const globals = this.parsed.globalArgs;
    // The global ARGs decide the stage graph (FROM ${X}), so they count before it is known;
    // dockerd prints them as steps too, with nothing after.
    this.total = globals.length;
    this.declareGlobals();
    const { stages, target } = stagesToBuild(this.parsed, this.options.target, this.globalLookup);
    for (const s of stages) for (const raw of s.instructions) checkInstruction(raw, escape);
    this.total +=
      stages.reduce((n, s) => n + 1 + s.instructions.length, 0) + (labels.length > 0 ? 1 : 0);
    for (const raw of globals) this.header(raw.original);
    let last: StageState | undefined;
    for (const stage of stages) {
      last = await this.runStage(stage);
      if (stage === target && labels.length > 0) {
        this.header(
          `LABEL ${labels.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`,
        );
        await this.dispatch(last, { kind: 'LABEL', pairs: labels });
      }
      this.done.set(stage.index, last);
      if (stage === target) break;
    }
    const result = last?.image;
    if (!result)
      throw new InvalidArgumentError('No image was generated. Is your Dockerfile empty?');
    const unused = Object.keys(this.options.buildArgs).filter(
      (k) => !this.usedArgs.has(k) && !PROXY_ARGS.has(k),
    );
    if (unused.length > 0)
      this.sc.out.say(
        `[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed\n`,
      );
    this.sc.out.aux({ ID: result.id });
    // With `q` the stream is just the id, which the CLI prints as the build's whole output.
    if (this.options.quiet) this.sc.out.sayAlways(`${result.id}\n`);
    this.sc.out.say(`Successfully built ${shortId(result.id)}\n`);
    for (const t of this.options.tags) {
      const ref = normalizeTagged(t);
      await this.sc.images.tag(result.id, t, undefined);
      this.sc.out.say(`Successfully tagged ${familiar(ref)}\n`);
    }
    return result.id;
  }

  /** ARGs before the first FROM: usable in FROM lines, and as defaults of a stage's bare ARG. */
  private declareGlobals(): void {
    const platform = this.targetPlatform();
    const [os = 'linux', arch = 'amd64', variant = ''] = platform.split('/');
    const host = `linux/${this.sc.images.ctx.arch}`;
    // BuildKit's automatic platform args, which classic Dockerfiles use too.
    const auto: Record<string, string> = {
      TARGETPLATFORM: platform,
      TARGETOS: os,
      TARGETARCH: arch,
      TARGETVARIANT: variant,
      BUILDPLATFORM: host,
      BUILDOS: 'linux',
      BUILDARCH: this.sc.images.ctx.arch,
      BUILDVARIANT: '',
    };
    for (const [k, v] of Object.entries(auto)) this.globals.set(k, v);
    for (const raw of this.parsed.globalArgs) {
      const ins = typedInstruction(raw, this.globalLookup, this.parsed.escape);
      if (ins.kind !== 'ARG') continue;
      for (const a of ins.args) this.globals.set(a.name, this.argValue(a.name, a.defaultValue));
    }
  }

  private targetPlatform(): string {
    return this.options.platform ?? `linux/${this.sc.images.ctx.arch}`;
  }

  private readonly globalLookup = (name: string): string | undefined => this.globals.get(name);

  private argValue(name: string, defaultValue: string | undefined): string | undefined {
    if (Object.hasOwn(this.options.buildArgs, name)) {
      this.usedArgs.add(name);
      const v = this.options.buildArgs[name];
      if (v !== undefined) return v;
    }
    return defaultValue;
  }

  private header(text: string): void {
    this.step++;
    this.sc.out.say(`Step ${this.step}/${this.total} : ${text}\n`);
  }

  private async runStage(stage: Stage): Promise<StageState> {
    this.sc.signal.throwIfAborted();
    const escape = this.parsed.escape;
    this.header(stage.from.original);
    const from = typedFrom(stage.from, this.globalLookup, escape);
    const base = await this.baseOf(from.image, stage.index, from.platform);
    const st = new StageState(stage.name, base ?? {});
    this.sc.out.say(` ---> ${base?.image ? shortId(base.image.id) : ''}\n`);
    const triggers = st.runConfig.onBuild ?? [];
    if (triggers.length > 0) {
      this.sc.out.say(
        `# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`,
      );
      const { onBuild: _drop, ...rest } = st.runConfig;
      st.runConfig = rest;
      for (const raw of parseTriggers(triggers, escape)) await this.instruction(st, raw);
    }
    for (const raw of stage.instructions) {
      this.sc.signal.throwIfAborted();
      this.header(raw.original);
      await this.instruction(st, raw);
    }
    return st;
  }

  private async instruction(st: StageState, raw: RawInstruction): Promise<void> {
    const ins = typedInstruction(raw, st.lookup, this.parsed.escape);
    await this.dispatch(st, ins);
  }

  private async dispatch(st: StageState, ins: Instruction): Promise<void> {
    if (ins.kind === 'RUN') return runStep(this.sc, st, ins);
    if (isCopy(ins)) {
      const tree = ins.from
        ? directoryTree(await this.roots.rootOf((await this.copySource(ins.from, st)).image))
        : this.context.tree;
      return copyStep(this.sc, st, ins, tree, this.parsed.escape);
    }
    const before = st.runConfig;
    if (ins.kind === 'ARG') {
      for (const a of ins.args) {
        const inherited = a.defaultValue === undefined ? this.globals.get(a.name) : undefined;
        st.args.set(a.name, this.argValue(a.name, a.defaultValue ?? inherited));
      }
      const text = `ARG ${ins.args.map((a) => (a.defaultValue !== undefined ? `${a.name}=${a.defaultValue}` : a.name)).join(' ')}`;
      return this.metadataStep(st, text, before);
    }
    return this.metadataStep(st, applyMetadata(st, ins), before);
  }

  private async metadataStep(
    st: StageState,
    comment: string,
    before: StageState['runConfig'],
  ): Promise<void> {
    const cmd = nopCommand(st, comment);
    const createdBy = cmd.join(' ');
    const key = stepKey(st.imageId, createdBy, before);
    if (await probeCache(this.sc, st, createdBy, key)) return;
    const id = await commitStep(this.sc, st, { createdBy, key, containerCmd: cmd });
    this.sc.out.say(` ---> ${shortId(id)}\n`);
  }

  /** FROM's base: an earlier stage by name or index, nothing for scratch, else an image (pulled when missing or asked). */
  private async baseOf(
    name: string,
    stageIndex: number,
    platform: string | undefined,
  ): Promise<{ image?: ImageDetails['image']; config?: ImageDetails['config'] } | undefined> {
    const stage = this.stageByRef(name, stageIndex);
    if (stage)
      return stage.image && stage.imageConfig
        ? { image: stage.image, config: stage.imageConfig }
        : {};
    if (name.toLowerCase() === 'scratch') return undefined;
    const d = await this.image(name, platform ?? this.options.platform);
    return { image: d.image, config: d.config };
  }

  private async copySource(
    ref: string,
    st: StageState,
  ): Promise<{ image?: ImageDetails['image'] }> {
    const stage = this.stageByRef(ref, Number.MAX_SAFE_INTEGER);
    if (stage === st) throw new InvalidArgumentError(`${ref}: a stage cannot copy from itself`);
    if (stage) return stage.image ? { image: stage.image } : {};
    return { image: (await this.image(ref, this.options.platform)).image };
  }

  private stageByRef(ref: string, before: number): StageState | undefined {
    const lower = ref.toLowerCase();
    for (const [index, st] of this.done) {
      if (index >= before) continue;
      if (st.name === lower || String(index) === ref) return st;
    }
    return undefined;
  }

  /** A local image, or pulled (with the client seeing the pull) when missing or with `pull`. */
  private async image(ref: string, platform: string | undefined): Promise<ImageDetails> {
    if (!this.options.pull) {
      const local = await this.sc.images.details(ref).catch((e: unknown) => {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      });
      if (local) return local;
    }
    const creds = credentialsFor(ref, this.options.registryAuth);
    const { id } = await this.sc.images.pull(
      {
        image: ref,
        ...(platform ? { platform } : {}),
        ...(creds ? { creds } : {}),
        signal: this.sc.signal,
      },
      (m) => {
        this.sc.out.progress(m);
      },
    );
    return this.sc.images.details(id);
  }
}

function isCopy(ins: Instruction): ins is CopyInstruction {
  return ins.kind === 'COPY' || ins.kind === 'ADD';
}

/** X-Registry-Config is keyed by registry as the CLI writes it (`https://index.docker.io/v1/` for Hub). */
function credentialsFor(
  ref: string,
  auth: Readonly<Record<string, Credentials>>,
): Credentials | undefined {
  const domain = parseReference(ref).domain;
  for (const [key, creds] of Object.entries(auth)) if (registryDomain(key) === domain) return creds;
  return undefined;
}
