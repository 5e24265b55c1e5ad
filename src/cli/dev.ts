// `segwatch dev`: all of segwatch on one machine with embedded defaults — a nats-server (built by
// tools/, data under .segwatch/) unless NATS_URL is set, the controller over a folder of manifests
// (seeded from config/samples/), the evaluator, a delivery worker per channel and the API with a local
// inbox. Prints what a newcomer needs to try it; Ctrl-C stops everything cleanly.

import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadAll } from "js-yaml";
import { runApi } from "../api/app.ts";
import { runController } from "../controller/index.ts";
import { jsonLogger } from "../controller/logger.ts";
import { runDeliveryWorker } from "../delivery/run.ts";
import { runEvaluator } from "../evaluator/run.ts";
import { bootstrap } from "../nats/bootstrap.ts";
import { connectNats } from "../nats/connection.ts";
import { type NatsServer, startNatsServer } from "../nats/embedded-server.ts";
import { DEFAULT_PARTITIONS } from "../profile/identity.ts";
import { DirectorySource } from "../resources/directory-source.ts";
import { isRetryable, loadKubeConfig } from "../resources/kube-client.ts";
import { KubernetesSource } from "../resources/kubernetes-source.ts";
import type { ResourceSource } from "../resources/source.ts";
import {
  API_VERSION,
  CHANNELS,
  DEFAULT_NAMESPACE,
  RESOURCE_KINDS,
  type Resource,
} from "../resources/types.ts";
import { DevInbox, devInboxRoutes } from "./dev-inbox.ts";

/** The leases of `segwatch dev`'s single delivery worker per channel and single evaluator. */
const DEV_LEASE = { ttlMs: 5_000, renewMs: 1_000, pollMs: 500 } as const;

/** Defaults of `segwatch dev`, each overridable by the environment or a flag. */
export const DEV_DEFAULTS = {
  apiPort: 8080,
  apiToken: "segwatch-dev",
  stateDir: ".segwatch",
  samplesDir: "config/samples",
} as const;

export interface DevOptions {
  /** Where segwatch keeps its state (nats data, resources, status): default .segwatch. */
  readonly stateDir?: string;
  /** The manifests folder; default <stateDir>/resources, seeded from the samples on first use. */
  readonly resourcesDir?: string;
  readonly samplesDir?: string;
  readonly apiPort?: number;
  readonly apiToken?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Read and write resources on a cluster (its kubeconfig) instead of a folder; the samples are
   * applied to namespace default when it has no Segments yet.
   */
  readonly cluster?: { readonly kubeconfigPath: string };
  readonly out: (line: string) => void;
}

export interface DevRun {
  readonly apiUrl: string;
  readonly token: string;
  readonly natsUrl: string;
  stop(): Promise<void>;
}

export async function runDev(opts: DevOptions): Promise<DevRun> {
  const env = opts.env ?? process.env;
  const stateDir = resolve(opts.stateDir ?? DEV_DEFAULTS.stateDir);
  const resourcesDir = resolve(opts.resourcesDir ?? join(stateDir, "resources"));
  const port =
    opts.apiPort ?? (env.SEGWATCH_API_PORT ? Number(env.SEGWATCH_API_PORT) : DEV_DEFAULTS.apiPort);
  const token = opts.apiToken ?? env.SEGWATCH_API_TOKEN ?? DEV_DEFAULTS.apiToken;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse())
      await stop().catch((err) => opts.out(`stop failed: ${String(err)}`));
  };
  try {
    const samples = resolve(opts.samplesDir ?? DEV_DEFAULTS.samplesDir);
    if (!opts.cluster) await seedResources(resourcesDir, samples, port, opts.out);

    let server: NatsServer | undefined;
    let natsUrl = env.NATS_URL;
    if (!natsUrl) {
      await mkdir(join(stateDir, "nats"), { recursive: true });
      server = await startNatsServer({ storeDir: join(stateDir, "nats") });
      stops.push(() => server!.stop());
      natsUrl = server.url;
    }
    const nc = await connectNats("segwatch-dev", { url: natsUrl });
    stops.push(() => nc.drain());
    const buckets = await bootstrap(nc);

    const onSourceError = (err: Error) => opts.out(`resources: ${err.message}`);
    const source: ResourceSource = opts.cluster
      ? new KubernetesSource({
          kubeConfig: loadKubeConfig(opts.cluster.kubeconfigPath),
          onError: onSourceError,
        })
      : new DirectorySource({
          dir: resourcesDir,
          stateDir: join(stateDir, "state"),
          onError: onSourceError,
        });
    stops.push(() => source.close());
    if (opts.cluster) await seedClusterWhenReady(source, samples, port, opts.out);

    const controller = await runController({ source, nc, buckets, log: jsonLogger });
    stops.push(() => controller.stop());

    const partitions = env.SEGWATCH_PARTITIONS
      ? Number(env.SEGWATCH_PARTITIONS)
      : DEFAULT_PARTITIONS;
    // Its partition leases are short too: after a crash the next run reads again within seconds.
    const evaluator = await runEvaluator({ connection: nc, partitions, lease: DEV_LEASE });
    stops.push(() => evaluator.stop());

    // One worker per channel this version delivers to; a channel's SDK loads only once one of its
    // subscriptions appears. `segwatch dev` delivers to loopback (its own inbox, a receiver on the
    // laptop, local stand-ins of the cloud services).
    for (const channel of CHANNELS) {
      const delivery = await runDeliveryWorker({
        channel,
        connection: nc,
        webhook: { targetPolicy: { allowLoopback: true } },
        // One worker on a laptop: after a crash the next run takes over in seconds, not the 45 s a
        // cluster waits to keep per-user order across a handover.
        worker: { lease: DEV_LEASE },
      });
      stops.push(() => delivery.stop());
    }

    const inbox = new DevInbox();
    const api = await runApi({
      source,
      connection: nc,
      config: { tokens: new Map([[token, "default"]]), partitions },
      listen: { host: "127.0.0.1", port },
      publicRoutes: [devInboxRoutes(inbox)],
      env,
    });
    stops.push(() => api.stop());

    for (const line of banner(api.url, token, natsUrl)) opts.out(line);
    return { apiUrl: api.url, token, natsUrl, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The first run copies the sample manifests into the resources folder (later runs keep what is
 * there), pointing the samples' dev-inbox URLs at the port this API listens on.
 */
async function seedResources(
  dir: string,
  samples: string,
  port: number,
  out: (line: string) => void,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) return;
  const target = join(dir, "default");
  await mkdir(target, { recursive: true });
  for (const name of await readdir(samples)) {
    if (!/\.ya?ml$/.test(name)) continue;
    const text = await readFile(join(samples, name), "utf8");
    await writeFile(
      join(target, name),
      text.replaceAll(SAMPLE_INBOX_ORIGIN, `http://127.0.0.1:${port}`),
    );
  }
  out(`segwatch dev: copied the samples of ${samples} into ${dir}`);
}

/** How long `dev --cluster` retries applying the samples while a fresh API server settles. */
const CLUSTER_SEED_TIMEOUT_MS = 60_000;
const CLUSTER_SEED_RETRY_MS = 500;

/**
 * A just-started API server answers 429 "storage is (re)initializing" for a new CRD for a moment;
 * such answers (and 5xx, refused connections) are retried within a bound.
 */
async function seedClusterWhenReady(
  source: ResourceSource,
  samples: string,
  port: number,
  out: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + CLUSTER_SEED_TIMEOUT_MS;
  for (;;) {
    try {
      return await seedCluster(source, samples, port, out);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      if (!isRetryable(cause) || Date.now() > deadline) throw err;
      await sleep(CLUSTER_SEED_RETRY_MS);
    }
  }
}

/** On a cluster: the samples go to namespace default unless it has Segments already. */
async function seedCluster(
  source: ResourceSource,
  samples: string,
  port: number,
  out: (line: string) => void,
): Promise<void> {
  if ((await source.list("Segment", DEFAULT_NAMESPACE)).length > 0) return;
  for (const name of (await readdir(samples)).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    const text = (await readFile(join(samples, name), "utf8")).replaceAll(
      SAMPLE_INBOX_ORIGIN,
      `http://127.0.0.1:${port}`,
    );
    for (const doc of loadAll(text)) {
      const r = doc as Resource | null;
      if (!r || r.apiVersion !== API_VERSION || !RESOURCE_KINDS.includes(r.kind)) continue;
      await source.apply({ ...r, metadata: { ...r.metadata, namespace: DEFAULT_NAMESPACE } });
    }
  }
  out(`segwatch dev: applied the samples of ${samples} to namespace ${DEFAULT_NAMESPACE}`);
}

/** The origin the samples' webhook subscriptions use for the dev inbox. */
const SAMPLE_INBOX_ORIGIN = `http://127.0.0.1:${DEV_DEFAULTS.apiPort}`;

function banner(apiUrl: string, token: string, natsUrl: string): string[] {
  return [
    "",
    "segwatch dev is running",
    `  API      ${apiUrl}   (token: ${token})`,
    `  NATS     ${natsUrl}`,
    `  inbox    ${apiUrl}/dev/inbox/demo   (the sample subscription delivers here)`,
    "",
    "Try it:",
    `  export LIOKEY=${token}`,
    `  curl -s -XPOST "${apiUrl}/collect/json/demo" -H "Authorization: $LIOKEY" -H 'Content-type: application/json' -d '{"paying_user":"f","user_id":"user123"}'`,
    `  curl -s -XPOST "${apiUrl}/collect/json/demo" -H "Authorization: $LIOKEY" -H 'Content-type: application/json' -d '{"paying_user":"t","user_id":"user123"}'`,
    `  curl -s "${apiUrl}/dev/inbox/demo"`,
    "",
    "Ctrl-C stops everything.",
  ];
}
