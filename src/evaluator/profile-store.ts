// Profiles in KV segwatch-profiles, with a bounded in-memory cache in front: an evaluator owns its
// partitions, so what it cached is what is stored — except after a failed flush, when the touched
// profiles are evicted and read back. Every write is a compare-and-set on the revision this process
// read or wrote last (Nats-Expected-Last-Subject-Sequence): a write that comes late — from an owner
// that lost its partition's lease while the write sat in a reconnecting client's buffer — is refused
// instead of overwriting what the new owner stored.

import type { KV } from "@nats-io/kv";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { PROFILES_BUCKET } from "../nats/names.ts";
import type { JetStreamPublisher } from "../nats/publisher.ts";
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
/** KV reads or writes in flight at once. */
const IO_WINDOW = 128;

export function profileKvKey(namespace: string, partition: number, profileKey: string): string {
  return `${namespace}.${partition}.${profileKey}`;
}

export class ProfileStore {
  private readonly kv: KV;
  private readonly limit: number;
  /** Insertion-ordered: re-inserting on use keeps the most recently used last. */
  private readonly cache = new Map<string, Profile>();
  /** Keys read and found absent since: a new user's first event need not read twice. */
  private readonly absent = new Set<string>();
  /**
   * The key's last stream sequence as this process knows it (0: never written), for keys cached or
   * known absent; the expected sequence of the next write.
   */
  private readonly revisions = new Map<string, number>();

  private readonly publisher: JetStreamPublisher;

  /** Reads go through the KV client; writes through the fast publisher (a KV put is a publish). */
  constructor(kv: KV, publisher: JetStreamPublisher, limit = DEFAULT_PROFILE_CACHE_SIZE) {
    this.kv = kv;
    this.publisher = publisher;
    this.limit = limit;
  }

  /**
   * The user's profile, or a new one — cached at once, so a second event of the same user in the
   * same batch sees the first one's changes (it is stored when the batch is flushed).
   */
  async load(kvKey: string, identity: Identity, types: FieldTypes, now: Date): Promise<Profile> {
    const found = this.absent.has(kvKey) ? undefined : await this.get(kvKey, types);
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
    // A deleted key's last sequence is its delete marker's.
    this.revisions.set(kvKey, e?.revision ?? 0);
    if (e?.operation !== "PUT") {
      if (this.absent.size >= this.limit) {
        for (const k of this.absent) if (!this.cache.has(k)) this.revisions.delete(k);
        this.absent.clear();
      }
      this.absent.add(kvKey);
      return undefined;
    }
    const profile = restoreProfile(e.json<StoredProfile>(), types);
    this.remember(kvKey, profile);
    return profile;
  }

  /** Reads the uncached profiles among these into the cache, a bounded window of reads in flight. */
  async prefetch(items: readonly { kvKey: string; types: FieldTypes }[]): Promise<void> {
    const missing = new Map<string, FieldTypes>();
    for (const i of items) if (!this.cache.has(i.kvKey)) missing.set(i.kvKey, i.types);
    const keys = [...missing.keys()];
    let next = 0;
    const lane = async () => {
      while (next < keys.length) {
        const kvKey = keys[next++]!;
        await this.get(kvKey, missing.get(kvKey)!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(IO_WINDOW, keys.length) }, lane));
  }

  /**
   * Stores the profiles, each only if the store still holds the revision this process knows;
   * rejects if any write was not acknowledged (a refused one included: evict and read again).
   */
  async saveAll(items: readonly { kvKey: string; profile: Profile }[]): Promise<void> {
    const acks = await this.publisher.publishAll(
      items.map(({ kvKey, profile }) => {
        const expected = this.revisions.get(kvKey);
        // Unknown only after evictNamespace dropped a profile a window still holds: written as is.
        const headers = expected === undefined ? undefined : natsHeaders();
        headers?.set(EXPECTED_LAST_SUBJECT_SEQUENCE, String(expected));
        return {
          subject: `$KV.${PROFILES_BUCKET}.${kvKey}`,
          data: JSON.stringify(profile),
          ...(headers ? { headers } : {}),
        };
      }),
    );
    for (const [i, { kvKey, profile }] of items.entries()) {
      this.revisions.set(kvKey, acks[i]!.seq);
      this.remember(kvKey, profile);
    }
  }

  /** Forgets cached profiles (after a failed flush their cached state is ahead of the store). */
  evict(kvKeys: Iterable<string>): void {
    for (const k of kvKeys) {
      this.cache.delete(k);
      this.absent.delete(k);
      this.revisions.delete(k);
    }
  }

  /**
   * Forgets what is cached of a partition, found or absent (another owner may have written it since
   * this process read it).
   */
  evictPartition(partition: number): void {
    const inPartition = (k: string) => k.split(".", 2)[1] === String(partition);
    for (const k of [...this.cache.keys()]) if (inPartition(k)) this.cache.delete(k);
    for (const k of [...this.absent]) if (inPartition(k)) this.absent.delete(k);
    for (const k of [...this.revisions.keys()]) if (inPartition(k)) this.revisions.delete(k);
  }

  /**
   * Forgets a namespace's cached profiles (its schema changed: stored values are coerced again). Their
   * revisions stay: a window may still hold one of them to store.
   */
  evictNamespace(namespace: string): void {
    const prefix = `${namespace}.`;
    for (const k of [...this.cache.keys()]) if (k.startsWith(prefix)) this.cache.delete(k);
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
    this.absent.delete(kvKey);
    this.cache.delete(kvKey);
    this.cache.set(kvKey, profile);
    if (this.cache.size > this.limit) {
      const oldest = this.cache.keys().next().value!;
      this.cache.delete(oldest);
      this.revisions.delete(oldest);
    }
  }
}

/** JetStream stores the message only if the subject's last sequence is this (0: none yet). */
const EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence";
