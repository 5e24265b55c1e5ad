// Starts the Pub/Sub emulator that ships with the machine's Google Cloud CLI (component
// `pubsub-emulator`, Debian package google-cloud-cli-pubsub-emulator), on a free loopback port.
//
// It runs the emulator's own launcher, which `gcloud beta emulators pubsub start` runs too: gcloud's
// Python wrapper does not pass its signals on, so stopping gcloud leaves the JVM running (seen here).
// The launcher execs java, so the child is the JVM itself; PR_SET_PDEATHSIG (util-linux setpriv) has
// the kernel kill it if this process dies without stopping it.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../support/free-port.ts";

const LAUNCHER = join("platform", "pubsub-emulator", "bin", "cloud-pubsub-emulator");
/** Where Debian's google-cloud-cli and the tarball install put the SDK, tried when gcloud is not on PATH. */
const KNOWN_SDK_ROOTS = [
  "/usr/lib/google-cloud-sdk",
  "/usr/share/google-cloud-sdk",
  "/opt/google-cloud-sdk",
  "/google-cloud-sdk",
];
/** A JVM on a shared 2-core machine takes seconds; this bounds a hang, it is no performance claim. */
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 40;
/** A small heap and the serial collector: the emulator holds a few thousand messages at most. */
const JAVA_OPTS = "-Xmx512m -XX:+UseSerialGC";

export interface PubSubEmulator {
  /** host:port, the form PUBSUB_EMULATOR_HOST takes. */
  readonly host: string;
  readonly port: number;
  /** SIGTERM, wait (bounded), then SIGKILL. */
  stop(): Promise<void>;
}

let launcherPath: string | undefined;

/** The emulator launcher: $SEGWATCH_PUBSUB_EMULATOR, else the gcloud SDK's component. */
export function pubsubEmulatorLauncher(): string {
  if (launcherPath) return launcherPath;
  const candidates: string[] = [];
  if (process.env.SEGWATCH_PUBSUB_EMULATOR) candidates.push(process.env.SEGWATCH_PUBSUB_EMULATOR);
  else {
    // gcloud on PATH is <sdk root>/bin/gcloud, usually through a symlink: the SDK it belongs to.
    const gcloud = findOnPath("gcloud");
    if (gcloud) candidates.push(join(dirname(dirname(realpathSync(gcloud))), LAUNCHER));
    for (const r of KNOWN_SDK_ROOTS) candidates.push(join(r, LAUNCHER));
  }
  let found = candidates.find((c) => existsSync(c));
  if (!found && !process.env.SEGWATCH_PUBSUB_EMULATOR) {
    // Some installs wrap gcloud in a script: ask it (slower, a Python start).
    const root = gcloudSdkRoot();
    if (root && existsSync(join(root, LAUNCHER))) found = join(root, LAUNCHER);
  }
  if (!found) {
    throw new Error(
      `the Pub/Sub emulator is not installed (looked at ${candidates.join(", ")}). It is the Google Cloud CLI's pubsub-emulator component: Debian package google-cloud-cli-pubsub-emulator, or \`gcloud components install pubsub-emulator\`; or point SEGWATCH_PUBSUB_EMULATOR at its bin/cloud-pubsub-emulator.`,
    );
  }
  launcherPath = found;
  return found;
}

function gcloudSdkRoot(): string | undefined {
  try {
    const out = execFileSync("gcloud", ["info", "--format=value(installation.sdk_root)"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 30_000,
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startPubSubEmulator(): Promise<PubSubEmulator> {
  const launcher = pubsubEmulatorLauncher();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  let last: Error | undefined;
  // The port is picked free, then handed over: another process may take it in between, in which
  // case the emulator exits at once and the next attempt picks another.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const started = await startOn(launcher, port).catch((err: Error) => err);
    if (!(started instanceof Error)) return started;
    last = started;
  }
  throw last!;
}

async function startOn(launcher: string, port: number): Promise<PubSubEmulator> {
  // The emulator writes nothing there today; a private directory keeps any state out of the tree.
  const dataDir = mkdtempSync(join(tmpdir(), "segwatch-pubsub-"));
  const args = [launcher, `--host=127.0.0.1`, `--port=${port}`];
  const setpriv = process.platform === "linux" ? findOnPath("setpriv") : undefined;
  const [cmd, argv] = setpriv
    ? [setpriv, ["--pdeathsig", "KILL", "--", ...args]]
    : [args[0]!, args.slice(1)];
  const child = spawn(cmd, argv, {
    cwd: dataDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, JAVA_OPTS: process.env.JAVA_OPTS ?? JAVA_OPTS },
  });
  live.add(child);
  const log: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line) log.push(line);
    if (log.length > LOG_TAIL_LINES) log.splice(0, log.length - LOG_TAIL_LINES);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = () => {
      exited = true;
      live.delete(child);
      resolve();
    };
    child.once("exit", done);
    child.once("error", (err) => {
      log.push(`spawn error: ${err.message}`);
      done();
    });
  });
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      if (!(await within(exit, STOP_GRACE_MS))) {
        child.kill("SIGKILL");
        await within(exit, 5_000);
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const failure = (what: string) =>
    new Error(
      `pubsub emulator on port ${port}: ${what}. Last output:\n${log.join("\n") || "(none)"}`,
    );

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (true) {
    if (exited) {
      await stop();
      throw failure(`exited during startup (${child.exitCode ?? child.signalCode})`);
    }
    // The emulator answers "Ok" on / once its gRPC and REST endpoints listen.
    if ((await probe(`http://127.0.0.1:${port}/`)) === "200 Ok") break;
    if (Date.now() > deadline) {
      await stop();
      throw failure(`not answering after ${START_TIMEOUT_MS} ms`);
    }
    await sleep(100);
  }
  return { host: `127.0.0.1:${port}`, port, stop };
}

function probe(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 1_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve(`${res.statusCode} ${body.trim()}`));
      res.on("error", (err) => resolve(err.message));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve(err.message));
  });
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  try {
    return await Promise.race([
      p.then(() => true),
      sleep(ms, false, { signal: ac.signal }).catch(() => false),
    ]);
  } finally {
    ac.abort();
  }
}
