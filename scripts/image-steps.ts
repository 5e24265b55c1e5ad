// Runs the Dockerfile's steps without Docker: each stage gets a folder standing for its root
// filesystem, WORKDIR/ENV/COPY/RUN are carried out as written (RUN through `sh -c` with Node 24 on
// PATH, as node:24-slim has), then the final stage's ENTRYPOINT runs `--help` of every subcommand with
// only that stage's files — the production node_modules and the built dist. Only the base image pull
// is not exercised. Instructions it does not know fail the run, so a Dockerfile change cannot slip by.
//
//   npm exec -- node scripts/image-steps.ts [--keep]

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  commandForm,
  copyArguments,
  DockerfileError,
  keyValues,
  parseDockerfile,
  type Stage,
} from "./dockerfile.ts";

/** Per-stage npm caches, reused between runs (gitignored with the rest of .tools/). */
export const IMAGE_STEPS_CACHE = ".tools/image-steps/npm-cache";

export interface ImageStepsResult {
  /** The final stage's folder (removed unless keep). */
  readonly root: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly user: string;
  /** Subcommand → its --help output. */
  readonly helps: ReadonlyMap<string, string>;
}

export interface ImageStepsOptions {
  readonly repoRoot: string;
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

interface StageState {
  readonly root: string;
  cwd: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  user: string;
  entrypoint: string[];
}

export class ImageStepError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImageStepError";
  }
}

/** This process's environment without what an outer `npm run` adds about itself. */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^npm_(lifecycle|package|command|execpath|node_execpath)/i.test(k))
      continue;
    if (k === "INIT_CWD" || k === "NODE") continue;
    out[k] = v;
  }
  return out;
}

/** A path inside the stage's filesystem → the folder that stands for it. */
function inStage(state: StageState, path: string): string {
  const absolute = posix.resolve(state.cwd, path);
  return join(state.root, absolute);
}

function run(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  what: string,
): { stdout: string; stderr: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 10 * 60_000,
  });
  if (result.error) throw new ImageStepError(`${what}: cannot run`, { cause: result.error });
  if (result.status !== 0)
    throw new ImageStepError(
      `${what}: exit ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`,
    );
  return { stdout: result.stdout, stderr: result.stderr };
}

export async function runImageSteps(opts: ImageStepsOptions): Promise<ImageStepsResult> {
  const log = opts.log ?? (() => {});
  const dockerfile = readFileSync(join(opts.repoRoot, "Dockerfile"), "utf8");
  const stages = parseDockerfile(dockerfile);
  const work = await mkdtemp(join(tmpdir(), "segwatch-image-"));
  // The image's Node: this process is Node 24 when started through npm (the `node` devDependency).
  const nodeBin = dirname(process.execPath);
  const home = join(work, "home");
  await mkdir(home, { recursive: true });
  const states = new Map<string, StageState>();
  let final: StageState | undefined;
  try {
    for (const stage of stages) {
      final = await runStage(stage, join(work, `stage-${stage.name}`), states, opts.repoRoot, {
        nodeBin,
        home,
        cacheRoot: join(opts.repoRoot, IMAGE_STEPS_CACHE),
        log,
      });
      states.set(stage.name, final);
    }
    const state = final!;
    const helps = await subcommandHelps(state, nodeBin, home, log);
    return { root: state.root, labels: state.labels, user: state.user, helps };
  } finally {
    if (!opts.keep) await rm(work, { recursive: true, force: true });
  }
}

async function runStage(
  stage: Stage,
  root: string,
  states: ReadonlyMap<string, StageState>,
  repoRoot: string,
  ctx: { nodeBin: string; home: string; cacheRoot: string; log: (line: string) => void },
): Promise<StageState> {
  const state: StageState = {
    root,
    cwd: "/",
    env: {},
    labels: {},
    user: "root",
    entrypoint: [],
  };
  await mkdir(root, { recursive: true });
  ctx.log(`stage ${stage.name} (FROM ${stage.base})`);
  for (const ins of stage.instructions) {
    const where = `Dockerfile:${ins.line} ${ins.keyword} ${ins.text}`;
    switch (ins.keyword) {
      case "WORKDIR":
        state.cwd = posix.resolve(state.cwd, ins.text);
        await mkdir(inStage(state, "."), { recursive: true });
        break;
      case "ENV":
        Object.assign(state.env, keyValues(ins.text));
        break;
      case "ARG":
      case "CMD":
        break;
      case "LABEL":
        Object.assign(state.labels, keyValues(ins.text));
        break;
      case "USER":
        state.user = ins.text;
        break;
      case "ENTRYPOINT":
        state.entrypoint = commandForm(ins.text);
        break;
      case "COPY": {
        const extra = Object.keys(ins.flags).filter((f) => f !== "from");
        if (extra.length > 0) throw new ImageStepError(`${where}: flags ${extra} not supported`);
        const { sources, dest } = copyArguments(ins.text);
        const from = ins.flags.from;
        const fromState = from === undefined ? undefined : states.get(from);
        if (from !== undefined && !fromState)
          throw new ImageStepError(`${where}: no earlier stage named "${from}"`);
        const target = inStage(state, dest);
        const intoDir = dest.endsWith("/") || sources.length > 1;
        for (const source of sources) {
          if (/[*?[]/.test(source))
            throw new ImageStepError(`${where}: wildcards are not supported`);
          const origin = fromState
            ? join(fromState.root, posix.resolve("/", source))
            : resolve(repoRoot, source);
          if (!fromState && (isAbsolute(source) || !origin.startsWith(repoRoot)))
            throw new ImageStepError(`${where}: source outside the build context`);
          const to = intoDir ? join(target, posix.basename(source)) : target;
          await mkdir(dirname(to), { recursive: true });
          await cp(origin, to, { recursive: true });
        }
        ctx.log(`  ${where}`);
        break;
      }
      case "RUN": {
        if (Object.keys(ins.flags).length > 0)
          throw new ImageStepError(`${where}: RUN flags are not supported`);
        ctx.log(`  ${where}`);
        const started = Date.now();
        run(
          commandForm(ins.text),
          inStage(state, "."),
          {
            // The machine's npm settings (registry, proxy, CA) stand in for the build host's.
            ...inheritedEnv(),
            PATH: `${ctx.nodeBin}:/usr/local/bin:/usr/bin:/bin`,
            // Each stage has its own npm cache, as in an image build, kept under .tools/ between
            // runs (never the user's ~/.npm: the runtime stage runs `npm cache clean --force`).
            npm_config_cache: join(ctx.cacheRoot, stage.name),
            npm_config_prefer_offline: "true",
            ...state.env,
          },
          where,
        );
        ctx.log(`    done in ${Math.round((Date.now() - started) / 1000)} s`);
        break;
      }
      default:
        throw new ImageStepError(
          `${where}: image-steps does not carry out ${ins.keyword}; extend scripts/image-steps.ts`,
        );
    }
  }
  return state;
}

/** `--help` of the image's command and of each subcommand it lists, from the final stage only. */
async function subcommandHelps(
  state: StageState,
  nodeBin: string,
  home: string,
  log: (line: string) => void,
): Promise<Map<string, string>> {
  if (state.entrypoint.length === 0) throw new ImageStepError("the final stage has no ENTRYPOINT");
  // Absolute paths of the ENTRYPOINT point into the image's filesystem.
  const argv = state.entrypoint.map((a, i) =>
    i > 0 && a.startsWith("/") ? join(state.root, a) : a,
  );
  const env = { PATH: `${nodeBin}:/usr/bin:/bin`, HOME: home, ...state.env };
  const cwd = inStage(state, ".");
  const top = run([...argv, "--help"], cwd, env, "segwatch --help").stdout;
  const helps = new Map<string, string>([["", top]]);
  const commands = [...top.matchAll(/^ {2}([a-z][a-z-]*)(?: \[options\]| \[command\])?\s/gm)]
    .map((m) => m[1]!)
    .filter((c) => c !== "help");
  if (commands.length === 0) throw new DockerfileError("segwatch --help lists no commands");
  for (const command of commands) {
    helps.set(command, run([...argv, command, "--help"], cwd, env, `${command} --help`).stdout);
    log(`  segwatch ${command} --help: ok`);
  }
  return helps;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const result = await runImageSteps({
    repoRoot,
    keep: process.argv.includes("--keep"),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `image-steps: ok; user ${result.user}; ${result.helps.size - 1} subcommands answer --help${
      process.argv.includes("--keep") ? `; kept ${result.root}` : ""
    }\n`,
  );
}
