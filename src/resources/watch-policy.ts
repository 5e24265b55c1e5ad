// When a Kubernetes list/watch loop lists again, watches again, or waits: the decisions of
// ResilientWatch, kept pure so every branch is unit-tested. The loop never gives up; it only waits
// longer (jittered, capped) while the apiserver keeps failing.

export interface WatchPolicySettings {
  readonly restartBaseMs: number;
  readonly restartMaxMs: number;
}

/** How one watch request ended. */
export type WatchEnd =
  /** The server ended it (its timeout) or the connection went quiet: resume from the last version. */
  | { readonly kind: "closed" }
  /** 410 Gone: the version is too old to resume from; list again. */
  | { readonly kind: "expired" }
  /** An error (connection refused, 5xx, 403, …): list again after a backoff. */
  | { readonly kind: "failed"; readonly error: unknown }
  /** The watchdog saw nothing for too long, or the periodic relist is due: list again now. */
  | { readonly kind: "stalled" }
  | { readonly kind: "relist-due" };

export interface NextStep {
  /** List (and report what changed meanwhile) before watching again. */
  readonly relist: boolean;
  /** Wait this long first. */
  readonly delayMs: number;
  /** Consecutive failures so far (0 after anything but a failure). */
  readonly failures: number;
}

export function nextStep(
  end: WatchEnd,
  failures: number,
  settings: WatchPolicySettings,
  random: () => number = Math.random,
  /** How long the watch ran: one the server ends at once is not resumed in a tight loop. */
  watchedMs = Number.POSITIVE_INFINITY,
): NextStep {
  switch (end.kind) {
    case "closed":
      return {
        relist: false,
        delayMs: watchedMs < settings.restartBaseMs ? settings.restartBaseMs : 0,
        failures: 0,
      };
    case "expired":
    case "stalled":
    case "relist-due":
      return { relist: true, delayMs: 0, failures: 0 };
    case "failed": {
      const n = failures + 1;
      return { relist: true, delayMs: restartDelayMs(n, settings, random), failures: n };
    }
  }
}

/**
 * The delay before restart number `failures` (1-based): base · 2^(failures-1), capped, then scaled
 * into [50 %, 100 %] so that many watchers failing together do not retry together.
 */
export function restartDelayMs(
  failures: number,
  settings: WatchPolicySettings,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return 0;
  const exp = Math.min(settings.restartMaxMs, settings.restartBaseMs * 2 ** (failures - 1));
  return Math.round(exp * (0.5 + random() / 2));
}

/** The server-side timeout of the next watch: base to twice base (client-go's reflector spread). */
export function watchTimeoutSeconds(base: number, random: () => number = Math.random): number {
  return Math.floor(base * (1 + random()));
}

/** True when more than `periodMs` passed since `since`. */
export function isOverdue(since: number, now: number, periodMs: number): boolean {
  return now - since >= periodMs;
}

export interface Listed {
  readonly key: string;
  readonly resourceVersion: string;
}

export interface ListingDiff {
  /** Keys new or with another resourceVersion than known. */
  readonly changed: string[];
  /** Known keys the listing no longer has (deletions the watch may have missed). */
  readonly deleted: string[];
  /** What is known after the listing. */
  readonly known: Map<string, string>;
}

export function diffListing(
  known: ReadonlyMap<string, string>,
  items: readonly Listed[],
): ListingDiff {
  const next = new Map<string, string>();
  const changed: string[] = [];
  for (const item of items) {
    next.set(item.key, item.resourceVersion);
    if (known.get(item.key) !== item.resourceVersion) changed.push(item.key);
  }
  const deleted = [...known.keys()].filter((k) => !next.has(k));
  return { changed, deleted, known: next };
}

/** Classifies the error a watch request ended with. */
export function classifyWatchError(err: unknown): WatchEnd {
  if (err === null || err === undefined) return { kind: "closed" };
  const e = err as { statusCode?: unknown; code?: unknown; name?: unknown };
  if (e.statusCode === 410 || e.code === 410) return { kind: "expired" };
  // The client's inactivity timeout: a quiet resource, or a half-open connection; resume.
  if (e.name === "TimeoutError") return { kind: "closed" };
  return { kind: "failed", error: err };
}
