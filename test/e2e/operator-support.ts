// Shared pieces of the operator's end-to-end tests: kubectl against the run's control plane, a
// namespace per test, a real nats-server per file, the controller process (leader election, Lease,
// health server) on a KubernetesSource scoped to the test's namespaces, and a recording webhook
// receiver on loopback. Waits are bounded polls: a limit on a hang, not a performance expectation.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { inject } from "vitest";
import {
  type ControllerProcess,
  type ControllerProcessOptions,
  startControllerProcess,
} from "../../src/controller/controller-process.ts";
import type { ControllerSettings } from "../../src/controller/defaults.ts";
import type { Logger } from "../../src/controller/logger.ts";
import { type Buckets, bootstrap } from "../../src/nats/bootstrap.ts";
import { DELIVERIES_STREAM, deliveryConsumerName } from "../../src/nats/names.ts";
import { loadKubeConfig } from "../../src/resources/kube-client.ts";
import { KubernetesSource } from "../../src/resources/kubernetes-source.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import { until as untilDone } from "../support/until.ts";
import { e2eKubeconfigPath } from "./cluster-access.ts";

const run = promisify(execFile);

export const WAIT_MS = 60_000;

/** Fast controller timings for tests: short resync and retries. */
export const TEST_CONTROLLER_SETTINGS: Partial<ControllerSettings> = {
  resyncMs: 2_000,
  statsRefreshDelayMs: 100,
  retryBaseMs: 100,
  retryMaxMs: 2_000,
  missingSecretRetryMs: 500,
};

/** Watch timings for tests: restarts and relists come quickly. */
export const TEST_SOURCE_SETTINGS = {
  restartBaseMs: 100,
  restartMaxMs: 1_000,
  relistMs: 10_000,
  watchdogMs: 10_000,
  watchTimeoutSeconds: 30,
} as const;

export function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = WAIT_MS,
): Promise<T> {
  return untilDone(what, check, ms, 100);
}

export function kubeConfig(path = e2eKubeconfigPath()): KubeConfig {
  return loadKubeConfig(path);
}

/** Runs kubectl against the run's control plane; rejects with its stderr on a non-zero exit. */
export function kubectl(args: readonly string[], input?: string): Promise<string> {
  return kubectlAt(e2eKubeconfigPath(), args, input);
}

/** Runs kubectl against the control plane of `kubeconfigPath`. */
export async function kubectlAt(
  kubeconfigPath: string,
  args: readonly string[],
  input?: string,
): Promise<string> {
  // The run's discovery cache: kubectl caches per host:port, and ports are reused between clusters.
  const full = ["--kubeconfig", kubeconfigPath, "--cache-dir", inject("kubectlCacheDir"), ...args];
  if (input === undefined) {
    try {
      const { stdout } = await run("kubectl", full, { timeout: WAIT_MS, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(" ")}: ${e.stderr || e.message}`);
    }
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      full,
      { timeout: WAIT_MS, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(" ")}: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
    child.stdin!.end(input);
  });
}

/** A fresh namespace (an account) for one test. */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubectl(["create", "namespace", name]);
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(["delete", "namespace", name, "--wait=false", "--ignore-not-found"]).catch(
    () => {},
  );
}

export interface Stack {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly buckets: Buckets;
  readonly source: KubernetesSource;
  readonly errors: string[];
  /** Starts a controller process on this stack (several may run: leader election). */
  startController(extra?: Partial<ControllerProcessOptions>): Promise<ControllerProcess>;
  registry<T>(key: string): Promise<T | undefined>;
  consumerExists(subscriptionId: string, lane: "live" | "backfill"): Promise<boolean>;
  close(): Promise<void>;
}

/** A nats-server, a KubernetesSource limited to `namespaces`, and controllers started on demand. */
export async function startStack(
  namespaces: readonly string[],
  kubeconfigPath = e2eKubeconfigPath(),
): Promise<Stack> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url, noAsyncTraces: true, name: "e2e" });
  const buckets = await bootstrap(nc);
  const jsm = await jetstreamManager(nc);
  const errors: string[] = [];
  const source = new KubernetesSource({
    kubeConfig: kubeConfig(kubeconfigPath),
    namespaces,
    settings: TEST_SOURCE_SETTINGS,
    onError: (e) => errors.push(e.message),
  });
  const log: Logger = {
    info() {},
    error: (message, fields) => errors.push(`${message} ${JSON.stringify(fields ?? {})}`),
  };
  const processes: ControllerProcess[] = [];
  return {
    server,
    nc,
    jsm,
    buckets,
    source,
    errors,
    async startController(extra = {}) {
      const p = await startControllerProcess({
        source,
        nc,
        buckets,
        log,
        settings: TEST_CONTROLLER_SETTINGS,
        ...extra,
      });
      processes.push(p);
      return p;
    },
    async registry<T>(key: string) {
      const e = await buckets.registry.get(key);
      return e?.operation === "PUT" ? (e.json() as T) : undefined;
    },
    async consumerExists(id, lane) {
      try {
        await jsm.consumers.info(DELIVERIES_STREAM, deliveryConsumerName(id, lane));
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      for (const p of processes.splice(0)) await p.stop();
      await source.close();
      await nc.close();
      await server.stop();
    },
  };
}

/** Reads `.status.conditions[type=Ready]` of a resource with kubectl (the user's view). */
export async function readyCondition(
  namespace: string,
  resource: string,
): Promise<{ status: string; reason: string; message: string } | undefined> {
  const out = await kubectl(["get", resource, "-n", namespace, "-o", "json"]);
  const obj = JSON.parse(out) as {
    status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
  };
  return obj.status?.conditions?.find((c) => c.type === "Ready");
}

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** A local HTTP receiver that records every POST and answers 200. */
export async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      received.push({ headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
