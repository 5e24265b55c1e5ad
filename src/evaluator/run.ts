// `segwatch evaluator`: owns a set of event partitions, keeps a model per namespace from the
// registry, and starts the partition workers — each reads only while it holds its partition's lease
// (partition-lease.ts), so processes that own the same partition take turns. When segment
// definitions change it re-evaluates the stored profiles; when a subscription asks for a backfill it
// runs one per partition.

import { createHash, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { RegistryCache } from "../controller/registry-cache.ts";
import { bootstrap } from "../nats/bootstrap.ts";
import { connectNats, type NatsSettings } from "../nats/connection.ts";
import type { LeaseTiming } from "../nats/lease.ts";
import { JetStreamPublisher } from "../nats/publisher.ts";
import { DEFAULT_PARTITIONS } from "../profile/identity.ts";
import { BackfillDeliveredView } from "./backfill-delivered.ts";
import { NamespaceModel } from "./model.ts";
import { LeasedPartition } from "./partition-lease.ts";
import { PARTITION_LEASE_DEFAULTS, PartitionWorker } from "./partition-worker.ts";
import { ProfileStore } from "./profile-store.ts";
import { KvStats } from "./stats.ts";

/** Registry changes are applied after this quiet period, so a burst rebuilds a model once. */
const MODEL_REBUILD_DELAY_MS = 50;
/** A namespace whose model could not be installed is tried again after this long. */
const MODEL_RETRY_DELAY_MS = 2_000;

export interface EvaluatorOptions {
  readonly nats?: NatsSettings;
  /** An existing connection (then `nats` is ignored and the connection is not closed on stop). */
  readonly connection?: NatsConnection;
  /** Total number of event partitions (must match the API's). */
  readonly partitions?: number;
  /**
   * The partitions this process owns (default all). Each is read only while this process holds its
   * lease; an owned partition another process reads is waited for.
   */
  readonly owned?: readonly number[];
  /** Timing of the partition leases (default PARTITION_LEASE_DEFAULTS). */
  readonly lease?: Partial<LeaseTiming>;
  /** This process's name in the leases (default host-pid-random). */
  readonly owner?: string;
  /** The clock (tests move it); default Date.now. */
  readonly clock?: () => number;
  readonly log?: (level: "info" | "warn" | "error", message: string, error?: unknown) => void;
}

export interface Evaluator {
  /** The owned partitions this process holds the lease of, and reads, now. */
  held(): number[];
  /**
   * Resolves once every owned partition is being read — never while another process holds one, so
   * callers (tests, benchmarks) bound the wait.
   */
  reading(): Promise<void>;
  /**
   * Stops taking events, finishes the batches in progress, releases the partitions' leases, closes
   * what it opened.
   */
  stop(): Promise<void>;
}

export async function runEvaluator(opts: EvaluatorOptions = {}): Promise<Evaluator> {
  const log = opts.log ?? defaultLog;
  const nc = opts.connection ?? (await connectNats("segwatch-evaluator", opts.nats));
  const buckets = await bootstrap(nc);
  const partitions = opts.partitions ?? DEFAULT_PARTITIONS;
  const owned = opts.owned ?? Array.from({ length: partitions }, (_, i) => i);
  const registry = await RegistryCache.open(buckets.registry, (err) =>
    log("error", "registry watch failed", err),
  );
  const stats = new KvStats(buckets.status, partitions, (err) =>
    log("warn", "member counts not written", err),
  );
  stats.start();
  const backfillDelivered = await BackfillDeliveredView.open(buckets.status, (err) =>
    log("error", "watching backfill delivery progress stopped", err),
  );
  const publisher = new JetStreamPublisher(nc);
  const profiles = new ProfileStore(buckets.profiles, publisher);
  const models = new Map<string, NamespaceModel>();

  const build = (namespace: string): NamespaceModel => {
    const model = new NamespaceModel(
      namespace,
      registry.schema(namespace),
      registry.segments(namespace),
      registry.subscriptions(namespace),
    );
    for (const p of model.problems) {
      log("warn", `${namespace}: segment ${p.segmentId} not evaluated: ${p.error}`);
    }
    return model;
  };

  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const workers = owned.map(
    (p) =>
      new PartitionWorker(p, {
        js,
        jsm,
        publisher,
        profiles,
        model: (ns) => models.get(ns),
        stats,
        backfillDelivered: (ns, id) => backfillDelivered.delivered(ns, id),
        clock: opts.clock ?? Date.now,
        // A test clock also dates the events, so time-based segments see one consistent "now".
        ...(opts.clock ? { eventTime: () => (opts.clock as () => number)() } : {}),
        log,
      }),
  );

  const owner = opts.owner ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const timing = { ...PARTITION_LEASE_DEFAULTS, ...opts.lease };
  const leased = workers.map(
    (worker) =>
      new LeasedPartition(worker, {
        kv: buckets.status,
        owner,
        timing,
        log,
        // Profiles may have changed while another process held the partition: scan them as a
        // fresh start does (due time boundaries, timers); unchanged memberships yield nothing.
        acquired: () => {
          for (const [namespace, model] of models) {
            const all = [...model.segments.keys()];
            if (all.length > 0) worker.reevaluate(namespace, all, versionOf(model, all));
          }
        },
      }),
  );

  /** The backfills a model asks for that a partition has not finished, as (worker, job) pairs. */
  const backfillsOf = async (model: NamespaceModel) => {
    const out: { worker: PartitionWorker; subscriptionId: string; requestedAt: string }[] = [];
    for (const sub of model.subscriptions.values()) {
      const requestedAt = sub.backfillRequestedAt;
      if (!requestedAt) continue;
      for (const worker of workers) {
        if (
          !(await stats.backfillComplete(model.namespace, sub.id, requestedAt, worker.partition))
        ) {
          out.push({ worker, subscriptionId: sub.id, requestedAt });
        }
      }
    }
    return out;
  };

  /**
   * Replaces a namespace's model. Backfill jobs are queued before the model that names their
   * subscription is visible to the workers (no await in between), so no event can reach a
   * subscription live before its backfill decided about the user.
   */
  const install = async (
    namespace: string,
    previous: NamespaceModel | undefined,
    everything: boolean,
  ) => {
    const model = build(namespace);
    if (previous && JSON.stringify(previous.types) !== JSON.stringify(model.types)) {
      // Cached profiles were coerced with the old field types.
      profiles.evictNamespace(namespace);
    }
    const backfills = await backfillsOf(model);
    for (const b of backfills) b.worker.backfill(namespace, b.subscriptionId, b.requestedAt);
    models.set(namespace, model);
    const changed = everything ? [...model.segments.keys()] : model.changedSegments(previous);
    if (changed.length > 0) {
      // The re-evaluation is resumable per (definitions) version: a restart with the same
      // definitions continues the scan, a new edit starts over.
      const version = versionOf(model, changed);
      for (const w of workers) w.reevaluate(namespace, changed, version);
    }
  };

  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  // Registry changes are applied one burst at a time, in order.
  let applying: Promise<void> = Promise.resolve();
  let stopping = false;
  const schedule = (namespace: string) => {
    pending.add(namespace);
    if (!stopping) timer ??= setTimeout(apply, MODEL_REBUILD_DELAY_MS);
  };
  const installOrRetry = async (namespace: string, everything: boolean) => {
    try {
      await install(namespace, models.get(namespace), everything);
    } catch (err) {
      // Typically the status bucket being unreachable; the namespace is tried again later.
      log("error", `${namespace}: applying registry changes failed`, err);
      setTimeout(() => schedule(namespace), MODEL_RETRY_DELAY_MS).unref();
    }
  };
  const apply = () => {
    timer = undefined;
    const batch = [...pending];
    pending.clear();
    applying = applying.then(async () => {
      for (const ns of batch) await installOrRetry(ns, false);
    });
  };
  // Listening before the initial build, so a change made meanwhile is applied after it.
  registry.onChange((change) => schedule(change.namespace));

  // Definitions may have changed while no evaluator ran: re-evaluate what is stored (transitions are
  // diffs against stored memberships, so an unchanged segment yields none).
  const namespaces = new Set(
    [...registry.segments(), ...registry.subscriptions()].map((r) => r.namespace),
  );
  for (const ns of namespaces) await installOrRetry(ns, true);

  // In the background: a partition another process holds is waited for without holding up the rest.
  for (const l of leased) l.start();
  log(
    "info",
    `evaluator ${owner}: ${owned.length} of ${partitions} partitions, ${models.size} namespaces`,
  );

  return {
    held: () => leased.filter((l) => l.held).map((l) => l.partition),
    reading: async () => {
      await Promise.all(workers.map((w) => w.whenReading()));
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      registry.stop();
      await applying;
      await Promise.all(leased.map((l) => l.stop()));
      backfillDelivered.stop();
      await stats.stop();
      publisher.close();
      if (!opts.connection) await nc.drain();
    },
  };
}

/** Names a scan of these segments' current definitions (its deliveries' idempotency keys). */
function versionOf(model: NamespaceModel, segmentIds: readonly string[]): string {
  return digest(segmentIds.map((id) => `${id}@${model.definitionOf(id) ?? "deleted"}`));
}

function digest(parts: readonly string[]): string {
  return createHash("sha256")
    .update([...parts].sort().join("\n"))
    .digest("hex")
    .slice(0, 16);
}

function defaultLog(level: "info" | "warn" | "error", message: string, error?: unknown): void {
  const line = error
    ? `${message}: ${error instanceof Error ? error.message : String(error)}`
    : message;
  (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(
    `[evaluator] ${line}`,
  );
}
