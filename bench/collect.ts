// Benchmark: the collect API on a real nats-server, as ratios measured in the same run.
//   noop     — POST /collect/json/:stream answered without publishing (parse, identity, partition,
//              headers, metrics: everything but JetStream) — the baseline
//   publish  — the same route publishing to JetStream and answering after the PubAck (the default
//              publisher: core publishes with one reply inbox, a shared window of acks in flight)
//   jsclient — the same with nats.js's `jetstream(nc).publish` under the same window, for comparison
// Each server runs in its own child process (the load generator would otherwise share its event
// loop); autocannon drives it from this process, rounds interleaved, median of the rounds.
// Target (issue 3): publish ≥ 0.6 × noop in requests per second.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import autocannon from "autocannon";
import { buildApi } from "../src/api/app.ts";
import {
  type EventPublisher,
  jetStreamClientPublisher,
  jetStreamEventPublisher,
} from "../src/api/publisher.ts";
import { bootstrap } from "../src/nats/bootstrap.ts";
import { startNatsServer } from "../src/nats/embedded-server.ts";
import { DirectorySource } from "../src/resources/directory-source.ts";
import { environment, median, writeResult } from "./harness.ts";

const TOKEN = "bench-token";
const CONNECTIONS = 32;
/** Distinct bodies cycled by the load generator: users spread over every partition. */
const BODIES = 64;

type Mode = "noop" | "publish" | "jsclient";
const MODES: readonly Mode[] = ["noop", "publish", "jsclient"];

export interface CollectRound {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU seconds per 1,000 requests. */
  readonly cpuPer1k: number;
}

export interface CollectBenchResult {
  readonly connections: number;
  readonly roundSeconds: number;
  readonly modes: Record<
    Mode,
    {
      readonly requestsPerSecond: number;
      readonly p99Ms: number;
      readonly cpuPer1k: number;
      readonly rounds: readonly CollectRound[];
    }
  >;
  /** Medians over rounds of each round's ratio to the baseline. */
  readonly ratios: {
    /** publish ÷ noop requests per second: the target is ≥ 0.6. */
    readonly publishToNoop: number;
    readonly p99PublishToNoop: number;
    readonly jsclientToNoop: number;
  };
  /** Events JetStream holds after the run, beside the 2xx answers of the publishing modes. */
  readonly stored: { readonly events: number; readonly accepted: number };
}

interface Server {
  readonly mode: Mode;
  readonly url: string;
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

export async function runCollectBench(opts: {
  rounds: number;
  seconds: number;
}): Promise<CollectBenchResult> {
  const nats = await startNatsServer();
  const servers: Server[] = [];
  try {
    const nc = await connect({ servers: nats.url, noAsyncTraces: true });
    await bootstrap(nc);
    for (const mode of MODES) servers.push(await startServer(mode, nats.url));
    const bodies = Array.from({ length: BODIES }, (_, i) =>
      JSON.stringify({
        user_id: `user-${i}`,
        paying_user: i % 2 === 0 ? "t" : "f",
        page: "/pricing",
        plan: "pro",
        score: 40 + i,
      }),
    );
    let accepted = 0;
    // Warm-up: JIT, connection pools, the stream's first blocks.
    for (const s of servers) {
      const res = await load(s.url, bodies, Math.min(2, opts.seconds));
      if (s.mode !== "noop") accepted += res.total;
    }
    const rounds = new Map<Mode, CollectRound[]>(MODES.map((m) => [m, []]));
    for (let r = 0; r < opts.rounds; r++) {
      for (const s of servers) {
        const cpuBefore = await s.cpu();
        const res = await load(s.url, bodies, opts.seconds);
        const cpu = (await s.cpu()) - cpuBefore;
        if (res.non2xx > 0 || res.errors > 0)
          throw new Error(`${s.mode}: ${res.non2xx} non-2xx answers, ${res.errors} errors`);
        if (s.mode !== "noop") accepted += res.total;
        rounds.get(s.mode)!.push({
          requestsPerSecond: res.total / opts.seconds,
          p50Ms: res.p50,
          p99Ms: res.p99,
          cpuPer1k: (cpu / res.total) * 1000,
        });
      }
    }
    const js = await (await import("@nats-io/jetstream")).jetstreamManager(nc);
    const info = await js.streams.info("SEGWATCH_EVENTS");
    await nc.close();
    // autocannon stops counting at the deadline while the last requests still complete: the stream
    // may hold a few more events than answers counted, never fewer.
    if (info.state.messages < accepted)
      throw new Error(`only ${info.state.messages} events stored for ${accepted} answered 200`);
    const modes = Object.fromEntries(
      MODES.map((m) => {
        const rs = rounds.get(m)!;
        return [
          m,
          {
            requestsPerSecond: median(rs.map((x) => x.requestsPerSecond)),
            p99Ms: median(rs.map((x) => x.p99Ms)),
            cpuPer1k: median(rs.map((x) => x.cpuPer1k)),
            rounds: rs,
          },
        ];
      }),
    ) as unknown as CollectBenchResult["modes"];
    return {
      connections: CONNECTIONS,
      roundSeconds: opts.seconds,
      modes,
      ratios: {
        publishToNoop: pairedRatio(rounds, "publish", (x) => x.requestsPerSecond),
        p99PublishToNoop: pairedRatio(rounds, "publish", (x) => x.p99Ms),
        jsclientToNoop: pairedRatio(rounds, "jsclient", (x) => x.requestsPerSecond),
      },
      stored: { events: info.state.messages, accepted },
    };
  } finally {
    for (const s of servers) await s.stop();
    await nats.stop();
  }
}

/**
 * The median over rounds of (mode ÷ baseline) within each round: the machine's load drifts between
 * rounds, and a round's candidates run back to back, so pairing cancels most of the drift.
 */
function pairedRatio(
  rounds: ReadonlyMap<Mode, CollectRound[]>,
  mode: Mode,
  value: (r: CollectRound) => number,
): number {
  const base = rounds.get("noop")!;
  return median(rounds.get(mode)!.map((r, i) => value(r) / value(base[i]!)));
}

interface LoadResult {
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
}

async function load(url: string, bodies: string[], seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/collect/json/bench`,
    connections: CONNECTIONS,
    duration: seconds,
    method: "POST",
    headers: { authorization: TOKEN, "content-type": "application/json" },
    requests: bodies.map((body) => ({ method: "POST", body })),
  });
  return {
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/** A server in a child process; it prints its URL, and its CPU time when asked on stdin. */
async function startServer(mode: Mode, natsUrl: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), "--serve", mode, natsUrl],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`collect bench server (${mode}) exited`);
    return value as string;
  };
  const url = JSON.parse(await next()).url as string;
  return {
    mode,
    url,
    cpu: async () => {
      child.stdin!.write("cpu\n");
      return JSON.parse(await next()).cpu as number;
    },
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** The child: one API on 127.0.0.1, publishing per `mode`. */
async function serve(mode: Mode, natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  const root = mkdtempSync(join(tmpdir(), "segwatch-bench-collect-"));
  const source = new DirectorySource({
    dir: join(root, "manifests"),
    stateDir: join(root, "state"),
  });
  const noop: EventPublisher = {
    publish: () => Promise.resolve(),
    inFlight: () => 0,
    close: () => Promise.resolve(),
  };
  const publisher =
    mode === "noop"
      ? noop
      : mode === "publish"
        ? jetStreamEventPublisher(nc)
        : jetStreamClientPublisher(nc);
  const app = buildApi({
    source,
    publisher,
    registry: { schema: () => undefined },
    config: { tokens: new Map([[TOKEN, "bench"]]) },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "cpu") {
      const u = process.cpuUsage();
      process.stdout.write(`${JSON.stringify({ cpu: (u.user + u.system) / 1e6 })}\n`);
    }
  }
  await app.close();
  await publisher.close();
  await nc.close();
  rmSync(root, { recursive: true, force: true });
}

export function reportCollect(r: CollectBenchResult): string[] {
  const line = (name: string, m: CollectBenchResult["modes"][Mode], ratio: number) =>
    `    ${name.padEnd(36)} ${m.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${m.p99Ms
      .toFixed(1)
      .padStart(5)} ms  ${m.cpuPer1k.toFixed(3)} CPU s/1k  ${ratio.toFixed(2)}×`;
  return [
    `collect API — POST /collect/json/:stream, 1 event/request, ${r.connections} connections (× route without publishing)`,
    line("route without publishing (baseline)", r.modes.noop, 1),
    line("route publishing (default publisher)", r.modes.publish, r.ratios.publishToNoop),
    line("route publishing (js.publish)", r.modes.jsclient, r.ratios.jsclientToNoop),
    `    ${r.stored.events} events stored ≥ ${r.stored.accepted} answered 200; p99 ${r.ratios.p99PublishToNoop.toFixed(2)}× the baseline's; target ≥ 0.60× — ${r.ratios.publishToNoop >= 0.6 ? "met" : "NOT met"}`,
  ];
}

export function saveCollect(r: CollectBenchResult): string {
  return writeResult("collect", { benchmark: "collect", environment: environment(), ...r });
}

if (process.argv[2] === "--serve") {
  await serve(process.argv[3] as Mode, process.argv[4]!);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  const result = await runCollectBench({ rounds: quick ? 2 : 5, seconds: quick ? 2 : 4 });
  for (const l of reportCollect(result)) console.log(l);
  console.log(`  → ${saveCollect(result)}`);
}
