// Starts a real nats-server with JetStream: for `segwatch dev` and for the integration tests. Loopback
// only, a private (or given) store directory, readiness taken from the server's own /healthz; the
// server never outlives this process.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** The binary tools/build.sh builds (override with SEGWATCH_NATS_SERVER). */
export const natsServerBinary =
  process.env.SEGWATCH_NATS_SERVER ??
  fileURLToPath(new URL("../../.tools/bin/nats-server", import.meta.url));

export interface NatsServerOptions {
  /** JetStream store directory to use (and keep). Default: a fresh temporary directory, removed by `stop()`. */
  storeDir?: string;
  /** Bound on each start until `/healthz?js-enabled-only=true` answers. Default 30 s. */
  startTimeoutMs?: number;
  /** nats-server configuration appended to the generated file (accounts, limits, …). */
  config?: string;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>`; unchanged by `restart()`. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGTERM, wait (bounded) for exit, then SIGKILL; removes the temporary directory. */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port with the same store. */
  restart(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 60;

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
  log: string[];
}

// Servers still running in this process, so that an exit of the test worker
// (even one that skips afterAll) takes them down with it.
interface LiveServer {
  running: Running | undefined;
  tempDir: string;
}
const live = new Set<LiveServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const s of live) {
      s.running?.child.kill("SIGKILL");
      try {
        rmSync(s.tempDir, { recursive: true, force: true });
      } catch {
        // The killed server may still be writing; a leftover temp dir is harmless.
      }
    }
  });
}

// The exit hook does not run when the worker itself is killed by a signal;
// PR_SET_PDEATHSIG (via util-linux setpriv) makes the kernel kill the server then.
let setprivPath: string | null | undefined;
function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform === "linux") {
    for (const dir of (process.env.PATH ?? "").split(delimiter)) {
      const candidate = join(dir, "setpriv");
      if (dir && existsSync(candidate)) {
        setprivPath = candidate;
        break;
      }
    }
  }
  return setprivPath;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  if (!existsSync(natsServerBinary)) {
    throw new Error(
      `nats-server is not built: ${natsServerBinary} is missing. Run \`tools/build.sh\` (or \`npm run tools\`) from the repository root first.`,
    );
  }
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const tempDir = await mkdtemp(join(tmpdir(), "segwatch-nats-"));
  const storeDir = options.storeDir ?? join(tempDir, "store");
  const portsDir = join(tempDir, "ports");
  mkdirSync(storeDir, { recursive: true });
  mkdirSync(portsDir, { recursive: true });

  const entry: LiveServer = { running: undefined, tempDir };
  installExitHook();
  live.add(entry);

  let port = -1;
  let stopped = false;
  // stop() and restart() may be called concurrently (a failing test plus afterAll).
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => undefined);
    return next;
  };

  const start = async (): Promise<void> => {
    const configFile = join(tempDir, "nats.conf");
    await writeFile(
      configFile,
      [
        // -1 lets the server pick a free port itself (no probe-then-bind race);
        // a restart pins the port it got the first time.
        `listen: ${JSON.stringify(`127.0.0.1:${port}`)}`,
        `http: "127.0.0.1:-1"`,
        `ports_file_dir: ${JSON.stringify(portsDir)}`,
        `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
        options.config ?? "",
        "",
      ].join("\n"),
    );
    const running = spawnServer(configFile);
    entry.running = running;
    try {
      const ports = await waitForPorts(running, portsDir, startTimeoutMs);
      const natsUrl = new URL(ports.nats[0]!);
      port = Number(natsUrl.port);
      await waitForHealthz(running, ports.monitoring[0]!, startTimeoutMs);
    } catch (err) {
      await terminate(running);
      entry.running = undefined;
      throw err;
    }
  };

  const halt = async (): Promise<void> => {
    const running = entry.running;
    if (!running) return;
    await terminate(running);
    entry.running = undefined;
  };

  try {
    await start();
  } catch (err) {
    live.delete(entry);
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: () =>
      serialize(async () => {
        if (stopped) return;
        stopped = true;
        await halt();
        live.delete(entry);
        await rm(tempDir, { recursive: true, force: true });
      }),
    restart: () =>
      serialize(async () => {
        if (stopped) throw new Error("nats-server: restart() after stop()");
        await halt();
        await start();
      }),
  };
}

function spawnServer(configFile: string): Running {
  const setpriv = findSetpriv();
  const [command, args] = setpriv
    ? [setpriv, ["--pdeathsig", "KILL", "--", natsServerBinary, "-c", configFile]]
    : [natsServerBinary, ["-c", configFile]];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line) log.push(line);
    }
    if (log.length > LOG_TAIL_LINES) log.splice(0, log.length - LOG_TAIL_LINES);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const running: Running = { child, exited: Promise.resolve(), done: false, log };
  running.exited = new Promise<void>((resolve) => {
    const finish = (): void => {
      running.done = true;
      resolve();
    };
    child.once("exit", finish);
    // A failed spawn emits "error" and no "exit".
    child.once("error", (err) => {
      log.push(`spawn error: ${err.message}`);
      finish();
    });
  });
  return running;
}

function describeFailure(running: Running, what: string): Error {
  const { exitCode, signalCode } = running.child;
  const status =
    exitCode !== null || signalCode !== null
      ? ` (exited with ${signalCode ?? `code ${exitCode}`})`
      : "";
  return new Error(
    `nats-server: ${what}${status}. Last server output:\n${running.log.join("\n") || "(none)"}`,
  );
}

function hasExited(running: Running): boolean {
  return running.done;
}

/** Resolves true if `promise` settles within `ms`, false otherwise; never leaves a timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  try {
    return await Promise.race([
      promise.then(() => true),
      sleep(ms, false, { signal: ac.signal }).catch(() => false),
    ]);
  } finally {
    ac.abort();
  }
}

async function waitForPorts(
  running: Running,
  portsDir: string,
  timeoutMs: number,
): Promise<{ nats: string[]; monitoring: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const suffix = `_${running.child.pid}.ports`;
  while (Date.now() < deadline) {
    if (hasExited(running)) throw describeFailure(running, "server exited during startup");
    const name = (await readdir(portsDir)).find((f) => f.endsWith(suffix));
    if (name) {
      try {
        const ports = JSON.parse(await readFile(join(portsDir, name), "utf8"));
        if (ports.nats?.length && ports.monitoring?.length) return ports;
      } catch {
        // The server writes the file non-atomically; read it again.
      }
    }
    await sleep(25);
  }
  throw describeFailure(running, `no ports file after ${timeoutMs} ms`);
}

async function waitForHealthz(
  running: Running,
  monitoringUrl: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `${monitoringUrl}/healthz?js-enabled-only=true`;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (hasExited(running)) throw describeFailure(running, "server exited during startup");
    last = await probe(url);
    if (last === "200") return;
    await sleep(50);
  }
  throw describeFailure(running, `${url} not healthy after ${timeoutMs} ms (last: ${last})`);
}

// node:http without keep-alive: a pooled socket to a server about to be
// stopped would only linger.
function probe(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(String(res.statusCode)));
      res.on("error", (err) => resolve(err.message));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve(err.message));
  });
}

async function terminate(running: Running): Promise<void> {
  if (hasExited(running)) return;
  running.child.kill("SIGTERM");
  if (await within(running.exited, STOP_GRACE_MS)) return;
  running.child.kill("SIGKILL");
  if (!(await within(running.exited, 5_000))) {
    throw describeFailure(running, `server pid ${running.child.pid} did not exit after SIGKILL`);
  }
}
