// A live, in-memory view of KV segwatch-registry for the processes that act on it (evaluators, the
// API, delivery workers): a snapshot at open, then every change after it, in revision order.

import type { KV, KvEntry } from "@nats-io/kv";
import type { SchemaRecord, SegmentRecord, SubscriptionRecord } from "./records.ts";

export type RegistryChange =
  | {
      readonly kind: "segment";
      readonly namespace: string;
      readonly id: string;
      readonly record: SegmentRecord | undefined;
    }
  | {
      readonly kind: "subscription";
      readonly namespace: string;
      readonly id: string;
      readonly record: SubscriptionRecord | undefined;
    }
  | {
      readonly kind: "schema";
      readonly namespace: string;
      readonly record: SchemaRecord | undefined;
    };

type Listener = (change: RegistryChange) => void;

interface Entry {
  revision: number;
  value: unknown;
}

export class RegistryCache {
  private readonly kv: KV;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<Listener>();
  private stopWatch: (() => void) | undefined;
  private readonly onError: (err: Error) => void;

  private constructor(kv: KV, onError: (err: Error) => void) {
    this.kv = kv;
    this.onError = onError;
  }

  /** Loads the registry and keeps following it until `stop()`. */
  static async open(kv: KV, onError: (err: Error) => void = () => {}): Promise<RegistryCache> {
    const cache = new RegistryCache(kv, onError);
    await cache.start();
    return cache;
  }

  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  segments(namespace?: string): SegmentRecord[] {
    return this.values<SegmentRecord>("segments.", namespace);
  }

  segment(namespace: string, id: string): SegmentRecord | undefined {
    return this.entries.get(`segments.${namespace}.${id}`)?.value as SegmentRecord | undefined;
  }

  subscriptions(namespace?: string): SubscriptionRecord[] {
    return this.values<SubscriptionRecord>("subscriptions.", namespace);
  }

  subscription(namespace: string, id: string): SubscriptionRecord | undefined {
    return this.entries.get(`subscriptions.${namespace}.${id}`)?.value as
      | SubscriptionRecord
      | undefined;
  }

  schema(namespace: string): SchemaRecord | undefined {
    return this.entries.get(`schemas.${namespace}`)?.value as SchemaRecord | undefined;
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = undefined;
    this.listeners.clear();
  }

  private values<T>(prefix: string, namespace: string | undefined): T[] {
    const p = namespace === undefined ? prefix : `${prefix}${namespace}.`;
    const out: T[] = [];
    for (const [k, e] of this.entries) if (k.startsWith(p)) out.push(e.value as T);
    return out;
  }

  private async start(): Promise<void> {
    // Revisions before this one are read as a snapshot; the watch replays everything after it, and
    // an entry is applied only when newer than what the cache holds.
    const lastSeq = (await this.kv.status()).streamInfo.state.last_seq;
    const watcher = await this.kv.watch({ resumeFromRevision: lastSeq + 1 });
    this.stopWatch = () => watcher.stop();
    for await (const key of await this.kv.keys()) {
      const e = await this.kv.get(key);
      if (e) this.apply(e, false);
    }
    void (async () => {
      try {
        for await (const e of watcher) this.apply(e, true);
      } catch (err) {
        this.onError(err instanceof Error ? err : new Error(String(err)));
      }
    })();
  }

  private apply(e: KvEntry, notify: boolean): void {
    const current = this.entries.get(e.key);
    if (current && current.revision >= e.revision) return;
    let value: unknown;
    if (e.operation === "PUT") {
      try {
        value = e.json();
      } catch (err) {
        this.onError(new Error(`registry ${e.key}: not JSON: ${(err as Error).message}`));
        return;
      }
      this.entries.set(e.key, { revision: e.revision, value });
    } else {
      // The snapshot is complete before the watch is applied, so a deleted key cannot come back.
      this.entries.delete(e.key);
      if (!current) return;
    }
    if (!notify) return;
    const change = toChange(e.key, value);
    if (change) for (const fn of this.listeners) fn(change);
  }
}

function toChange(key: string, value: unknown): RegistryChange | undefined {
  const [kind, namespace, id] = key.split(".");
  if (!namespace) return undefined;
  switch (kind) {
    case "segments":
      return id
        ? { kind: "segment", namespace, id, record: value as SegmentRecord | undefined }
        : undefined;
    case "subscriptions":
      return id
        ? { kind: "subscription", namespace, id, record: value as SubscriptionRecord | undefined }
        : undefined;
    case "schemas":
      return { kind: "schema", namespace, record: value as SchemaRecord | undefined };
    default:
      return undefined;
  }
}
