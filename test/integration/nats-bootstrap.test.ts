// bootstrap() against a real nats-server: idempotent with one replica (every process runs it at
// start, at once), and a replicas setting the server cannot satisfy (a single server refuses R3) is
// an error that names SEGWATCH_STREAM_REPLICAS — from the library and from a real process. On a real
// 3-node JetStream cluster, SEGWATCH_STREAM_REPLICAS=3 brings streams and buckets from R1 to R3.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BootstrapError, bootstrap, streamConfigs } from "../../src/nats/bootstrap.ts";
import {
  DELIVERIES_STREAM,
  DLQ_STREAM,
  EVENTS_STREAM,
  PROFILES_BUCKET,
  REGISTRY_BUCKET,
  STATUS_BUCKET,
} from "../../src/nats/names.ts";
import { StreamReplicasError } from "../../src/nats/stream-replicas.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import { clusterJetStream, type NatsCluster, startNatsCluster } from "../harness/nats-cluster.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");
const STREAMS = [EVENTS_STREAM, DELIVERIES_STREAM, DLQ_STREAM];
const BUCKET_STREAMS = [REGISTRY_BUCKET, PROFILES_BUCKET, STATUS_BUCKET].map((b) => `KV_${b}`);
/** A bound on a process that should fail at start, not a performance expectation. */
const PROCESS_EXIT_MS = 45_000;

async function replicasOf(nc: NatsConnection): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc);
  const out: Record<string, number> = {};
  for (const name of [...STREAMS, ...BUCKET_STREAMS])
    out[name] = (await jsm.streams.info(name)).config.num_replicas;
  return out;
}

describe("bootstrap", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("with one replica is idempotent: again and concurrently, the same streams, data kept", async () => {
    const first = await bootstrap(nc, { replicas: 1 });
    await first.registry.put("probe", "kept");
    const jsm = await jetstreamManager(nc);
    const configsBefore = await Promise.all(STREAMS.map((s) => jsm.streams.info(s)));

    // Every process bootstraps at start, several at the same moment.
    await Promise.all([bootstrap(nc), bootstrap(nc, { replicas: 1 }), bootstrap(nc)]);
    const again = await bootstrap(nc);

    expect(await replicasOf(nc)).toEqual(
      Object.fromEntries([...STREAMS, ...BUCKET_STREAMS].map((s) => [s, 1])),
    );
    const configsAfter = await Promise.all(STREAMS.map((s) => jsm.streams.info(s)));
    expect(configsAfter.map((i) => i.config)).toEqual(configsBefore.map((i) => i.config));
    expect(configsAfter.map((i) => i.created)).toEqual(configsBefore.map((i) => i.created));
    expect((await again.registry.get("probe"))?.string()).toBe("kept");
    // The settings bootstrap converges to are the ones the server holds.
    for (const wanted of streamConfigs({ replicas: 1 })) {
      const held = configsAfter.find((i) => i.config.name === wanted.name)!.config;
      expect(held).toMatchObject(wanted);
    }
  });

  it("reports R3 on a single server as an error naming SEGWATCH_STREAM_REPLICAS, changing nothing", async () => {
    await bootstrap(nc, { replicas: 1 });
    vi.stubEnv("SEGWATCH_STREAM_REPLICAS", "3");
    const failure = await bootstrap(nc).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(BootstrapError);
    const message = (failure as Error).message;
    expect(message).toContain("SEGWATCH_STREAM_REPLICAS=3");
    expect(message).toContain("JetStream cluster of at least 3 servers");
    // What the server said is kept, as message and cause.
    expect(message).toContain("replicas > 1 not supported in non-clustered mode");
    expect((failure as Error).cause).toBeInstanceOf(Error);
    expect(message).toMatch(/^stream SEGWATCH_EVENTS with 3 replicas: /);
    // The streams stay as they were.
    expect(Object.values(await replicasOf(nc))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("refuses R3 on a fresh single server too, and a malformed setting before touching the server", async () => {
    const fresh = await startNatsServer();
    const fnc = await connect({ servers: fresh.url });
    try {
      await expect(bootstrap(fnc, { replicas: 3 })).rejects.toThrow(
        /SEGWATCH_STREAM_REPLICAS=3: the NATS server must be a JetStream cluster/,
      );
      vi.stubEnv("SEGWATCH_STREAM_REPLICAS", "7");
      await expect(bootstrap(fnc)).rejects.toThrow(StreamReplicasError);
      await expect(bootstrap(fnc)).rejects.toThrow(/SEGWATCH_STREAM_REPLICAS must be .* got "7"/);
      const jsm = await jetstreamManager(fnc);
      expect(await jsm.streams.names().next()).toEqual([]);
    } finally {
      await fnc.close();
      await fresh.stop();
    }
  });

  it("makes a real process (segwatch evaluator) exit with the setting named", async () => {
    const child = spawn(process.execPath, [MAIN, "evaluator", `--nats=${server.url}`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", SEGWATCH_STREAM_REPLICAS: "3" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`segwatch evaluator did not exit:\n${output}`));
      }, PROCESS_EXIT_MS);
      child.on("close", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, output).not.toBe(0);
    expect(output).toContain("SEGWATCH_STREAM_REPLICAS=3");
  });
});

describe("bootstrap on a 3-node JetStream cluster", () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    nc = await connect({ servers: cluster.url.split(",") });
    await clusterJetStream(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("brings streams and KV buckets from R1 to SEGWATCH_STREAM_REPLICAS=3, keeping the data", async () => {
    const r1 = await bootstrap(nc, { replicas: 1 });
    await r1.registry.put("probe", "kept");
    expect(Object.values(await replicasOf(nc))).toEqual([1, 1, 1, 1, 1, 1]);

    vi.stubEnv("SEGWATCH_STREAM_REPLICAS", "3");
    // Kvm.create alone would leave an existing bucket at R1: the buckets converge like the streams.
    const r3 = await bootstrap(nc);
    expect(await replicasOf(nc)).toEqual(
      Object.fromEntries([...STREAMS, ...BUCKET_STREAMS].map((s) => [s, 3])),
    );
    expect((await r3.registry.get("probe"))?.string()).toBe("kept");
    // Every process starting again with the same setting changes nothing.
    await Promise.all([bootstrap(nc), bootstrap(nc)]);
    expect(Object.values(await replicasOf(nc))).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it("reports more replicas than servers, naming the setting", async () => {
    vi.stubEnv("SEGWATCH_STREAM_REPLICAS", "5");
    await expect(bootstrap(nc)).rejects.toThrow(
      /^stream SEGWATCH_EVENTS with 5 replicas: .*\(SEGWATCH_STREAM_REPLICAS=5: the NATS server must be a JetStream cluster of at least 5 servers/,
    );
  });
});
