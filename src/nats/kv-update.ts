// Read-modify-write of one KV key with compare-and-set: several processes (evaluators, delivery
// workers) update the same status keys, and a plain put would drop another's increment.

import type { KV } from "@nats-io/kv";

/** Another writer won the race this many times in a row. */
export class KvUpdateConflictError extends Error {
  readonly key: string;

  constructor(key: string, attempts: number, options?: ErrorOptions) {
    super(`KV ${key}: compare-and-set lost ${attempts} times in a row`, options);
    this.name = "KvUpdateConflictError";
    this.key = key;
  }
}

/** How many times `updateKv` reads again after losing the race, unless told otherwise. */
export const DEFAULT_KV_UPDATE_ATTEMPTS = 10;

/**
 * Writes `fn(current)` at the revision read, reading again when another writer got there first.
 * `current` is undefined for a missing or deleted key, and for a value that is not valid JSON (a
 * corrupt value is replaced rather than blocking the key forever).
 */
export async function updateKv<T>(
  kv: KV,
  key: string,
  fn: (current: T | undefined) => T,
  attempts: number = DEFAULT_KV_UPDATE_ATTEMPTS,
): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const entry = await kv.get(key);
    let current: T | undefined;
    if (entry !== null && entry.operation === "PUT") {
      try {
        current = entry.json<T>();
      } catch {
        current = undefined;
      }
    }
    const next = JSON.stringify(fn(current));
    try {
      if (entry === null) await kv.create(key, next);
      else await kv.update(key, next, entry.revision);
      return;
    } catch (err) {
      last = err;
    }
  }
  throw new KvUpdateConflictError(key, attempts, { cause: last });
}
