// What a reconcile gets besides its key: the source to read and write resources through, the NATS
// side (registry, counters, consumers), and the controller's in-memory hints. The hints only make
// things prompt; everything they say is also found by reading current state on the next resync.

import type { ResourceSource } from "../resources/source.ts";
import { keyString, type ResourceKey } from "../resources/types.ts";
import type { ConsumerManager } from "./consumers.ts";
import type { ControllerSettings } from "./defaults.ts";
import type { DependencyIndex } from "./dependencies.ts";
import type { Logger } from "./logger.ts";
import type { RegistryStore } from "./registry-store.ts";
import type { StatsReader } from "./stats-reader.ts";

export interface ReconcileContext {
  readonly source: ResourceSource;
  readonly registry: RegistryStore;
  readonly stats: StatsReader;
  readonly consumers: ConsumerManager;
  readonly deps: DependencyIndex;
  readonly ids: IdMemory;
  readonly settings: ControllerSettings;
  readonly log: Logger;
  now(): Date;
  /** Reconcile this key (again), after `afterMs` if given. */
  enqueue(key: ResourceKey, afterMs?: number): void;
}

export interface ReconcileResult {
  /** Reconcile again after this long even if nothing changes (a rotation window closing, a Secret). */
  readonly requeueAfterMs?: number;
}

/**
 * The id each resource had when last reconciled: a deleted resource's registry entry and consumers go
 * at once, and a counter update in KV segwatch-status finds its resource.
 */
export class IdMemory {
  private readonly byKey = new Map<string, { key: ResourceKey; id: string }>();
  private readonly byId = new Map<string, ResourceKey>();

  set(key: ResourceKey, id: string): string | undefined {
    const k = keyString(key);
    const before = this.byKey.get(k)?.id;
    if (before !== undefined && before !== id) this.byId.delete(before);
    this.byKey.set(k, { key, id });
    this.byId.set(id, key);
    return before;
  }

  get(key: ResourceKey): string | undefined {
    return this.byKey.get(keyString(key))?.id;
  }

  delete(key: ResourceKey): string | undefined {
    const k = keyString(key);
    const id = this.byKey.get(k)?.id;
    this.byKey.delete(k);
    if (id !== undefined) this.byId.delete(id);
    return id;
  }

  keyOf(id: string): ResourceKey | undefined {
    return this.byId.get(id);
  }
}
