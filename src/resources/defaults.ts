// Defaults of the Kubernetes resource source in one place: how its watches heal themselves and how
// often a conflicting write is retried. The directory source keeps its one timing beside its code.

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;

export const KUBE_SOURCE_DEFAULTS = {
  /** First delay after a failed list or watch; doubles per consecutive failure, with jitter. */
  restartBaseMs: 500,
  /** Largest delay between restarts, so a long apiserver outage is retried at least this often. */
  restartMaxMs: 30 * SECOND_MS,
  /**
   * A full list this often even when the watch looks healthy: heals events a watch silently lost
   * (the informer-stall reports of @kubernetes/client-node) and reports deletions missed meanwhile.
   */
  relistMs: 5 * MINUTE_MS,
  /**
   * A watch that has delivered nothing (not even a bookmark) for this long is restarted with a
   * list; half-open connections otherwise look like quiet resources forever.
   */
  watchdogMs: 2 * MINUTE_MS,
  /** A list that has not answered after this long counts as failed (and is retried). */
  listTimeoutMs: 30 * SECOND_MS,
  /** The apiserver ends each watch after this long (jittered), so connections are renewed. */
  watchTimeoutSeconds: 240,
  /** Writes that meet a 409 Conflict are retried this many times, each after a fresh read. */
  conflictRetries: 5,
} as const;

export type KubeSourceSettings = { -readonly [K in keyof typeof KUBE_SOURCE_DEFAULTS]: number };

/** The component name on Events and the field manager on writes. */
export const KUBE_FIELD_MANAGER = "segwatch-controller";
