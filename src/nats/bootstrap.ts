// Idempotent setup of the streams and KV buckets every segwatch process shares. Each process calls
// `bootstrap` at start: the first one creates, the others find what they need (and bring a stream's
// settings up to date when a newer segwatch changed them). The replicas come from
// SEGWATCH_STREAM_REPLICAS unless given, so no process can put a clustered install back to R1.

import {
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  DELIVERIES_STREAM,
  DELIVERIES_SUBJECTS,
  DLQ_STREAM,
  DLQ_SUBJECTS,
  EVENTS_STREAM,
  EVENTS_SUBJECTS,
  PROFILES_BUCKET,
  REGISTRY_BUCKET,
  STATUS_BUCKET,
} from "./names.ts";
import {
  STREAM_REPLICAS_DEFAULTS,
  STREAM_REPLICAS_ENV,
  streamReplicasFromEnv,
  validStreamReplicas,
} from "./stream-replicas.ts";

const HOUR_NS = 3_600_000_000_000;
const DAY_NS = 24 * HOUR_NS;

/** Defaults for the streams; every one can be overridden per install. */
export const STREAM_DEFAULTS = {
  /** How long collected events stay replayable. */
  eventsMaxAgeNs: 7 * DAY_NS,
  /** How long deliveries wait for a worker. */
  deliveriesMaxAgeNs: 7 * DAY_NS,
  /**
   * How long JetStream remembers a delivery's idempotency key (Nats-Msg-Id). It must outlast the
   * longest time an event can wait to be redelivered to an evaluator (ack wait, restarts).
   */
  deliveriesDuplicateWindowNs: 2 * HOUR_NS,
  dlqMaxAgeNs: 30 * DAY_NS,
} as const;

export interface BootstrapOptions {
  /** File storage (default) survives a nats-server restart; memory is for throwaway tests only. */
  readonly storage?: "file" | "memory";
  /**
   * Replicas for streams and buckets (1 for a single server, 3 for a cluster); default
   * SEGWATCH_STREAM_REPLICAS, else 1.
   */
  readonly replicas?: number;
  readonly eventsMaxAgeNs?: number;
  readonly deliveriesMaxAgeNs?: number;
  readonly deliveriesDuplicateWindowNs?: number;
  readonly dlqMaxAgeNs?: number;
}

export interface Buckets {
  readonly registry: KV;
  readonly profiles: KV;
  readonly status: KV;
}

export type StreamSettings = Partial<StreamConfig> & { name: string };

/** A stream or bucket that could not be created or brought to segwatch's settings. */
export class BootstrapError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BootstrapError";
  }
}

export function streamConfigs(opts: BootstrapOptions = {}): StreamSettings[] {
  const storage = opts.storage === "memory" ? StorageType.Memory : StorageType.File;
  const num_replicas = opts.replicas ?? STREAM_REPLICAS_DEFAULTS.replicas;
  const common = {
    storage,
    num_replicas,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
  };
  return [
    {
      ...common,
      name: EVENTS_STREAM,
      subjects: [EVENTS_SUBJECTS],
      max_age: opts.eventsMaxAgeNs ?? STREAM_DEFAULTS.eventsMaxAgeNs,
    },
    {
      ...common,
      name: DELIVERIES_STREAM,
      subjects: [DELIVERIES_SUBJECTS],
      max_age: opts.deliveriesMaxAgeNs ?? STREAM_DEFAULTS.deliveriesMaxAgeNs,
      duplicate_window:
        opts.deliveriesDuplicateWindowNs ?? STREAM_DEFAULTS.deliveriesDuplicateWindowNs,
    },
    {
      ...common,
      name: DLQ_STREAM,
      subjects: [DLQ_SUBJECTS],
      max_age: opts.dlqMaxAgeNs ?? STREAM_DEFAULTS.dlqMaxAgeNs,
    },
  ];
}

/**
 * Creates (or updates) the streams and opens (or creates) the buckets, all with the same replicas.
 * Safe to call concurrently.
 */
export async function bootstrap(nc: NatsConnection, opts: BootstrapOptions = {}): Promise<Buckets> {
  const replicas =
    opts.replicas === undefined
      ? streamReplicasFromEnv()
      : validStreamReplicas(opts.replicas, "bootstrap replicas");
  const jsm = await jetstreamManager(nc);
  for (const config of streamConfigs({ ...opts, replicas }))
    await withReplicasHint(`stream ${config.name}`, replicas, () => ensureStream(jsm, config));
  const kvm = new Kvm(nc);
  const storage = opts.storage === "memory" ? StorageType.Memory : StorageType.File;
  const bucket = (name: string) =>
    withReplicasHint(`KV bucket ${name}`, replicas, async () => {
      const kv = await kvm.create(name, { history: 1, storage, replicas });
      await ensureBucketReplicas(jsm, name, replicas);
      return kv;
    });
  const [registry, profiles, status] = await Promise.all([
    bucket(REGISTRY_BUCKET),
    bucket(PROFILES_BUCKET),
    bucket(STATUS_BUCKET),
  ]);
  return { registry, profiles, status };
}

async function ensureStream(jsm: JetStreamManager, config: StreamSettings): Promise<void> {
  const name = config.name;
  try {
    await jsm.streams.add(config);
  } catch (err) {
    // Another process created it first, or an older segwatch did with other settings: converge.
    if (!(await exists(jsm, name))) throw err;
    await jsm.streams.update(name, config);
  }
}

/** `Kvm.create` opens an existing bucket as it is; its replicas are converged here like a stream's. */
async function ensureBucketReplicas(
  jsm: JetStreamManager,
  bucket: string,
  replicas: number,
): Promise<void> {
  const stream = `KV_${bucket}`;
  const info = await jsm.streams.info(stream);
  if (info.config.num_replicas === replicas) return;
  await jsm.streams.update(stream, { ...info.config, num_replicas: replicas });
}

/**
 * Runs a step of the bootstrap; a failure names what failed and, with more than one replica, the
 * replicas setting (a single nats-server refuses R>1, a cluster with fewer servers cannot place it).
 */
async function withReplicasHint<T>(what: string, replicas: number, step: () => Promise<T>) {
  try {
    return await step();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const hint =
      replicas > 1
        ? ` (${STREAM_REPLICAS_ENV}=${replicas}: the NATS server must be a JetStream cluster of at least ${replicas} servers; set ${STREAM_REPLICAS_ENV}=1 for a single server)`
        : "";
    throw new BootstrapError(
      `${what} with ${replicas} replica${replicas === 1 ? "" : "s"}: ${reason}${hint}`,
      {
        cause: err,
      },
    );
  }
}

async function exists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch {
    return false;
  }
}
