// The controller: watches a resource source, feeds keys into a de-duplicating, rate-limited work
// queue, and runs reconciles (level-triggered: a reconcile gets only a key and converges to what it
// reads). A periodic resync reconciles everything again and collects garbage; counter updates in KV
// segwatch-status bring a resource's status up to date shortly after.

import { jetstreamManager } from "@nats-io/jetstream";
import { KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type BootstrapOptions, type Buckets, bootstrap } from "../nats/bootstrap.ts";
import { ResourceNotFoundError, type ResourceSource } from "../resources/source.ts";
import { keyString, RESOURCE_KINDS, type ResourceKey } from "../resources/types.ts";
import type { ChannelWorkloads } from "./channel-workloads.ts";
import { ConsumerManager } from "./consumers.ts";
import { IdMemory, type ReconcileContext } from "./context.ts";
import {
  CONTROLLER_DEFAULTS,
  type ControllerSettings,
  DELIVERY_DEPLOYMENT_DEFAULTS,
} from "./defaults.ts";
import { subscriptionsPerChannel } from "./delivery-deployments.ts";
import { DependencyIndex } from "./dependencies.ts";
import { collectGarbage, parseRegistryKey } from "./garbage-collector.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { BucketRateLimiter, ExponentialRateLimiter, MaxOfRateLimiter } from "./rate-limiter.ts";
import { parseKey, reconcile } from "./reconcile.ts";
import { RegistryStore } from "./registry-store.ts";
import { StatsReader } from "./stats-reader.ts";
import { WorkQueue } from "./work-queue.ts";

export interface ControllerOptions {
  readonly source: ResourceSource;
  readonly nc: NatsConnection;
  /** The buckets, when the caller has bootstrapped already; else the controller bootstraps. */
  readonly buckets?: Buckets;
  readonly bootstrap?: BootstrapOptions;
  readonly log?: Logger;
  /** Overrides of CONTROLLER_DEFAULTS (tests shorten the resync). */
  readonly settings?: Partial<ControllerSettings>;
  readonly now?: () => Date;
  /** Per-channel delivery workers to keep in line with the subscriptions (cluster Deployments). */
  readonly workloads?: ChannelWorkloads;
}

export class Controller {
  readonly settings: ControllerSettings;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private readonly queue: WorkQueue;
  private ctx: ReconcileContext | undefined;
  private workers: Promise<void>[] = [];
  private stopWatch: (() => void) | undefined;
  private stopStats: (() => void) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncing: Promise<void> | undefined;
  private running = false;
  private workloadsTimer: NodeJS.Timeout | undefined;
  private workloadsSync: Promise<void> | undefined;
  private reconciles = 0;
  private failures = 0;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.settings = { ...CONTROLLER_DEFAULTS, ...options.settings };
    this.log = options.log ?? silentLogger;
    this.queue = new WorkQueue(
      new MaxOfRateLimiter(
        new ExponentialRateLimiter(this.settings.retryBaseMs, this.settings.retryMaxMs),
        new BucketRateLimiter(this.settings.retryRatePerSecond, this.settings.retryBurst),
      ),
    );
  }

  async start(): Promise<void> {
    if (this.running) throw new Error("the controller is already running");
    const { nc, source } = this.options;
    const buckets = this.options.buckets ?? (await bootstrap(nc, this.options.bootstrap));
    const jsm = await jetstreamManager(nc);
    this.ctx = {
      source,
      registry: new RegistryStore(buckets.registry),
      stats: new StatsReader(buckets.status),
      consumers: new ConsumerManager(jsm),
      deps: new DependencyIndex(),
      ids: new IdMemory(),
      settings: this.settings,
      log: this.log,
      now: this.options.now ?? (() => new Date()),
      enqueue: (key, afterMs) => this.enqueue(key, afterMs),
    };
    this.running = true;
    // The source reports every existing resource once, then changes.
    this.stopWatch = source.watch((key) => this.enqueue(key));
    for (let i = 0; i < this.settings.workers; i++) this.workers.push(this.work());
    this.stopStats = await this.watchStats(buckets);
    this.resyncTimer = setInterval(() => void this.resync(), this.settings.resyncMs);
    this.resyncTimer.unref();
    void this.collect();
    this.log.info("controller started", { workers: this.settings.workers });
  }

  /** Stops watching and lets in-flight reconciles finish. The source and connection stay open. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopWatch?.();
    this.stopStats?.();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.workloadsTimer) clearTimeout(this.workloadsTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
    await this.resyncing?.catch(() => {});
    await this.workloadsSync;
    this.workers = [];
    this.log.info("controller stopped", { reconciles: this.reconciles, failures: this.failures });
  }

  /** Reconciles every resource again and collects garbage (also runs on a timer). */
  resync(): Promise<void> {
    this.resyncing ??= (async () => {
      try {
        for (const kind of RESOURCE_KINDS) {
          for (const r of await this.options.source.list(kind)) {
            this.enqueue({ kind, namespace: r.metadata.namespace, name: r.metadata.name });
          }
        }
        await this.collect();
        this.scheduleWorkloads();
      } catch (err) {
        this.log.error("resync failed", { error: errorText(err) });
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  /** True when no reconcile is queued or running (scheduled retries and rechecks may wait). */
  get idle(): boolean {
    return this.queue.idle;
  }

  /** Counts since start, for metrics and logs. */
  get counters(): { readonly reconciles: number; readonly failures: number } {
    return { reconciles: this.reconciles, failures: this.failures };
  }

  enqueue(key: ResourceKey, afterMs?: number): void {
    if (!this.running) return;
    if (afterMs === undefined) this.queue.add(keyString(key));
    else this.queue.addAfter(keyString(key), afterMs);
  }

  private async work(): Promise<void> {
    for (;;) {
      const text = await this.queue.get();
      if (text === undefined) return;
      const key = parseKey(text);
      try {
        if (!key) continue;
        const result = await reconcile(this.ctx!, key);
        if (key.kind === "Subscription") this.scheduleWorkloads();
        this.reconciles++;
        this.queue.forget(text);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(text, result.requeueAfterMs);
      } catch (err) {
        this.reconciles++;
        if (
          err instanceof ResourceNotFoundError &&
          keyString(err.key) === text &&
          this.queue.failures(text) < this.settings.notFoundRetries
        ) {
          // Deleted while being reconciled: not a failure, the next reconcile sees the deletion
          // and cleans up. A source that keeps contradicting itself becomes a failure after a few.
          const retryInMs = this.queue.addRateLimited(text);
          this.log.info("deleted while being reconciled", { key: text, retryInMs });
          continue;
        }
        this.failures++;
        const retryInMs = this.queue.addRateLimited(text);
        this.log.error("reconcile failed", { key: text, error: errorText(err), retryInMs });
      } finally {
        this.queue.done(text);
      }
    }
  }

  /** Brings the channels' delivery workers in line soon; bursts of changes coalesce into one sync. */
  private scheduleWorkloads(): void {
    const workloads = this.options.workloads;
    if (!workloads || !this.running || this.workloadsTimer) return;
    this.workloadsTimer = setTimeout(() => {
      this.workloadsTimer = undefined;
      if (this.workloadsSync) {
        // One sync at a time; the one running may have read before this change: go again after it.
        void this.workloadsSync.then(() => this.scheduleWorkloads());
        return;
      }
      this.workloadsSync = (async () => {
        try {
          const subs = await this.options.source.list("Subscription");
          await workloads.sync(subscriptionsPerChannel(subs));
        } catch (err) {
          // The next resync tries again.
          this.log.error("syncing the delivery workloads failed", { error: errorText(err) });
        } finally {
          this.workloadsSync = undefined;
        }
      })();
    }, DELIVERY_DEPLOYMENT_DEFAULTS.syncDelayMs);
    this.workloadsTimer.unref();
  }

  private async collect(): Promise<void> {
    try {
      await collectGarbage(this.ctx!);
    } catch (err) {
      this.log.error("garbage collection failed", { error: errorText(err) });
    }
  }

  /** Counter updates wake their resource, after a short delay so that bursts coalesce. */
  private async watchStats(buckets: Buckets): Promise<() => void> {
    const watcher = await buckets.status.watch({ include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      try {
        for await (const e of watcher) {
          const k = parseRegistryKey(e.key);
          const key = k ? this.ctx!.ids.keyOf(k.id) : undefined;
          if (key) this.enqueue(key, this.settings.statsRefreshDelayMs);
        }
      } catch (err) {
        // The resync still refreshes counters.
        this.log.error("watching counters stopped", { error: errorText(err) });
      }
    })();
    return () => watcher.stop();
  }
}

/** Starts a controller; stop it with `stop()`. */
export async function runController(options: ControllerOptions): Promise<Controller> {
  const controller = new Controller(options);
  await controller.start();
  return controller;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
