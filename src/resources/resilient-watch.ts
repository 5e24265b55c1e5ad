// A list/watch loop for one kind (in one namespace or all) that never stalls: the informer of
// @kubernetes/client-node stops on any error but 410 Gone and can sit on a half-open connection
// forever. This one lists, watches from the listed resourceVersion, resumes after the server ends a
// watch, lists again after 410 Gone, after a failure (jittered, capped backoff), when nothing —
// not even a bookmark — arrived for a while (watchdog), and periodically regardless. Every list is
// compared with what was known, so changes and deletions a broken watch missed are reported too.
// It reports keys only ("namespace/name"); the receiver reads current state.

import { setTimeout as sleep } from "node:timers/promises";
import type { KubeSourceSettings } from "./defaults.ts";
import {
  classifyWatchError,
  diffListing,
  isOverdue,
  nextStep,
  type WatchEnd,
  watchTimeoutSeconds,
} from "./watch-policy.ts";

export interface ListedObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
  };
}

export interface Listing {
  readonly items: readonly ListedObject[];
  readonly resourceVersion: string;
}

export type WatchEventHandler = (type: string, object: ListedObject & { code?: number }) => void;

export interface ResilientWatchOptions {
  /** For messages: "segments in all namespaces". */
  readonly name: string;
  readonly list: () => Promise<Listing>;
  /** Starts one watch request; `done` is called once when it ends (null: ended normally). */
  readonly watch: (
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: WatchEventHandler,
    done: (err: unknown) => void,
  ) => Promise<AbortController>;
  /** A key ("namespace/name") that was added, changed or deleted. */
  readonly onKey: (key: string) => void;
  readonly onError?: (err: Error) => void;
  readonly settings: KubeSourceSettings;
  readonly random?: () => number;
}

export class ResilientWatch {
  private readonly opts: ResilientWatchOptions;
  private known = new Map<string, string>();
  private resourceVersion = "";
  private stopped = false;
  private readonly stopSignal = new AbortController();
  private running: Promise<void> | undefined;
  private firstList: { promise: Promise<void>; resolve: () => void };
  /** Counts for tests and metrics: how often the loop listed and restarted. */
  lists = 0;
  failures = 0;

  constructor(opts: ResilientWatchOptions) {
    this.opts = opts;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.firstList = { promise, resolve };
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Resolves after the first successful list (its keys have been reported). */
  synced(): Promise<void> {
    return this.firstList.promise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { settings } = this.opts;
    const random = this.opts.random ?? Math.random;
    let relist = true;
    let failures = 0;
    while (!this.stopped) {
      let end: WatchEnd;
      let watchStart = Date.now();
      try {
        if (relist) await this.relist();
        watchStart = Date.now();
        end = await this.watchOnce();
      } catch (err) {
        end = { kind: "failed", error: err };
      }
      if (this.stopped) return;
      if (end.kind === "failed") {
        this.failures++;
        this.opts.onError?.(
          new Error(`watching ${this.opts.name}: ${errorText(end.error)} (restarting)`, {
            cause: end.error,
          }),
        );
      }
      const step = nextStep(end, failures, settings, random, Date.now() - watchStart);
      failures = step.failures;
      relist = step.relist;
      if (step.delayMs > 0) {
        await sleep(step.delayMs, undefined, { signal: this.stopSignal.signal }).catch(() => {});
      }
    }
  }

  private lastListAt = 0;

  private async relist(): Promise<void> {
    const listing = await withTimeout(
      this.opts.list(),
      this.opts.settings.listTimeoutMs,
      `listing ${this.opts.name}`,
    );
    this.lists++;
    this.lastListAt = Date.now();
    const items = listing.items.map((o) => ({
      key: keyOfObject(o),
      resourceVersion: o.metadata?.resourceVersion ?? "",
    }));
    const diff = diffListing(this.known, items);
    this.known = diff.known;
    this.resourceVersion = listing.resourceVersion;
    for (const k of [...diff.changed, ...diff.deleted]) this.opts.onKey(k);
    this.firstList.resolve();
  }

  private watchOnce(): Promise<WatchEnd> {
    const { settings } = this.opts;
    return new Promise<WatchEnd>((resolve) => {
      let settled = false;
      let controller: AbortController | undefined;
      let lastEventAt = Date.now();
      const finish = (end: WatchEnd) => {
        if (settled) return;
        settled = true;
        clearInterval(tick);
        this.stopSignal.signal.removeEventListener("abort", onStop);
        controller?.abort();
        resolve(end);
      };
      const onStop = () => finish({ kind: "closed" });
      this.stopSignal.signal.addEventListener("abort", onStop);
      const tick = setInterval(
        () => {
          const now = Date.now();
          if (isOverdue(lastEventAt, now, settings.watchdogMs)) finish({ kind: "stalled" });
          else if (isOverdue(this.lastListAt, now, settings.relistMs))
            finish({ kind: "relist-due" });
        },
        Math.max(10, Math.min(settings.watchdogMs, settings.relistMs) / 4),
      );
      tick.unref();
      const onEvent: WatchEventHandler = (type, object) => {
        if (settled) return;
        lastEventAt = Date.now();
        if (type === "ERROR") {
          finish(
            object.code === 410
              ? { kind: "expired" }
              : {
                  kind: "failed",
                  error: new Error(`watch error event: ${JSON.stringify(object)}`),
                },
          );
          return;
        }
        const rv = object.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === "BOOKMARK") return;
        const key = keyOfObject(object);
        if (type === "DELETED") this.known.delete(key);
        else this.known.set(key, rv ?? "");
        this.opts.onKey(key);
      };
      this.opts
        .watch(
          this.resourceVersion,
          watchTimeoutSeconds(settings.watchTimeoutSeconds, this.opts.random),
          onEvent,
          (err) => finish(classifyWatchError(err)),
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          (err) => finish({ kind: "failed", error: err }),
        );
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function keyOfObject(o: ListedObject): string {
  return `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
