// Profiles in KV segwatch-profiles, with a bounded in-memory cache in front: an evaluator owns its
// partitions, so what it cached is what is stored — except after a failed flush, when the touched
// profiles are evicted and read back.

import type { KV } from "@nats-io/kv";
import type { Identity } from "../profile/identity.ts";
import {
  newProfile,
  type Profile,
  restoreProfile,
  type StoredProfile,
} from "../profile/profile.ts";
import type { FieldTypes } from "../segmentql/index.ts";

/** Profiles kept in memory per evaluator process. */
export const DEFAULT_PROFILE_CACHE_SIZE = 100_000;
/** KV puts in flight at once during a flush. */
const PUT_WINDOW = 128;

export function profileKvKey(namespace: string, partition: number, profileKey: string): string {
  return `${namespace}.${partition}.${profileKey}`;
}

export class ProfileStore {
  private readonly kv: KV;
  private readonly limit: number;
  /** Insertion-ordered: re-inserting on use keeps the most recently used last. */
  private readonly cache = new Map<string, Profile>();

  constructor(kv: KV, limit = DEFAULT_PROFILE_CACHE_SIZE) {
    this.kv = kv;
    this.limit = limit;
  }

  /**
   * The user's profile, or a new one — cached at once, so a second event of the same user in the
   * same batch sees the first one's changes (it is stored when the batch is flushed).
   */
  async load(
    namespace: string,
    partition: number,
    identity: Identity,
    types: FieldTypes,
    now: Date,
  ): Promise<Profile> {
    const kvKey = profileKvKey(namespace, partition, identity.key);
    const found = await this.get(kvKey, types);
    if (found) return found;
    const created = newProfile(identity.key, { field: identity.field, value: identity.value }, now);
    this.remember(kvKey, created);
    return created;
  }

  /** A stored profile by its KV key, or undefined. */
  async get(kvKey: string, types: FieldTypes): Promise<Profile | undefined> {
    const cached = this.cache.get(kvKey);
    if (cached) {
      this.cache.delete(kvKey);
      this.cache.set(kvKey, cached);
      return cached;
    }
    const e = await this.kv.get(kvKey);
    if (!e || e.operation !== "PUT") return undefined;
    const profile = restoreProfile(e.json<StoredProfile>(), types);
    this.remember(kvKey, profile);
    return profile;
  }

  /** Stores the profiles (a bounded window of puts in flight); rejects if any put failed. */
  async saveAll(items: readonly { kvKey: string; profile: Profile }[]): Promise<void> {
    let next = 0;
    let error: unknown;
    const lane = async () => {
      while (next < items.length && error === undefined) {
        const { kvKey, profile } = items[next++]!;
        try {
          await this.kv.put(kvKey, JSON.stringify(profile));
          this.remember(kvKey, profile);
        } catch (err) {
          error ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_WINDOW, items.length) }, lane));
    if (error !== undefined) throw error;
  }

  /** Forgets cached profiles (after a failed flush their cached state is ahead of the store). */
  evict(kvKeys: Iterable<string>): void {
    for (const k of kvKeys) this.cache.delete(k);
  }

  /** The KV keys of a namespace's profiles in a partition. */
  async keys(namespace: string, partition: number): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys(`${namespace}.${partition}.*`)) out.push(k);
    return out;
  }

  /** Every namespace that has profiles in a partition. */
  async namespaces(partition: number): Promise<string[]> {
    const out = new Set<string>();
    for await (const k of await this.kv.keys(`*.${partition}.*`))
      out.add(k.slice(0, k.indexOf(".")));
    return [...out];
  }

  private remember(kvKey: string, profile: Profile): void {
    this.cache.delete(kvKey);
    this.cache.set(kvKey, profile);
    if (this.cache.size > this.limit) this.cache.delete(this.cache.keys().next().value!);
  }
}
