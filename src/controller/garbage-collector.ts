// Level-triggered cleanup: registry entries, consumers, counters and inline segments whose resource no
// longer exists are removed by comparing what is there with what should be, so no finalizers are needed for
// the directory source (and a missed delete notification heals on the next pass).
//
// Order matters: what might be garbage (registry keys, consumers, owned segments) is listed before the
// resources that justify it. Anything created after the first listing is not considered; anything
// listed first whose resource existed before is found in the second listing.

import { registryKey } from "../nats/names.ts";
import { API_VERSION, resourceId, type Segment, type Subscription } from "../resources/types.ts";
import type { ReconcileContext } from "./context.ts";

export interface CollectScope {
  /** Only this namespace (consumers, which carry no namespace, are then left to a full pass). */
  readonly namespace?: string;
}

export interface Collected {
  readonly registryKeys: string[];
  readonly consumers: string[];
  readonly segments: string[];
  /** Counter keys in KV segwatch-status of segments and subscriptions that are gone. */
  readonly statusKeys: string[];
}

export async function collectGarbage(
  ctx: ReconcileContext,
  scope: CollectScope = {},
): Promise<Collected> {
  const ns = scope.namespace;
  const prefix = (kind: string) => (ns === undefined ? `${kind}.` : `${kind}.${ns}.`);
  const [segmentKeys, subscriptionKeys, schemaKeys] = await Promise.all([
    ctx.registry.keys(prefix("segments")),
    ctx.registry.keys(prefix("subscriptions")),
    ns === undefined ? ctx.registry.keys("schemas.") : Promise.resolve([registryKey.schema(ns)]),
  ]);
  const consumerIds = ns === undefined ? await ctx.consumers.subscriptionIds() : new Set<string>();
  const statusKeys = await ctx.stats.keys(ns);
  const segments = await ctx.source.list("Segment", ns);
  const subscriptions = await ctx.source.list("Subscription", ns);
  const schemas = await ctx.source.list("ProfileSchema", ns);

  const segmentIds = new Set(
    segments.map((s) => `${s.metadata.namespace}/${resourceId(s.metadata)}`),
  );
  const subscriptionIds = new Set(
    subscriptions.map((s) => `${s.metadata.namespace}/${resourceId(s.metadata)}`),
  );
  const schemaNamespaces = new Set(schemas.map((s) => s.metadata.namespace));
  const collected: Collected = { registryKeys: [], consumers: [], segments: [], statusKeys: [] };

  for (const key of segmentKeys) {
    const k = parseRegistryKey(key);
    if (k && !segmentIds.has(`${k.namespace}/${k.id}`) && (await ctx.registry.delete(key)))
      collected.registryKeys.push(key);
  }
  for (const key of subscriptionKeys) {
    const k = parseRegistryKey(key);
    if (!k || subscriptionIds.has(`${k.namespace}/${k.id}`)) continue;
    // The record first: it going is what tells workers to stop (and not ensure consumers again).
    if (await ctx.registry.delete(key)) collected.registryKeys.push(key);
    if (await ctx.consumers.remove(k.id, { purge: true })) collected.consumers.push(k.id);
  }
  for (const key of schemaKeys) {
    const namespace = key.slice("schemas.".length);
    if (!schemaNamespaces.has(namespace) && (await ctx.registry.delete(key)))
      collected.registryKeys.push(key);
  }
  if (ns === undefined) {
    const live = new Set(subscriptions.map((s) => resourceId(s.metadata)));
    for (const id of consumerIds) {
      if (!live.has(id) && (await ctx.consumers.remove(id, { purge: true })))
        collected.consumers.push(id);
    }
  }
  // A segment or subscription made again under the same id must not inherit the old counters
  // (member counts are kept as sums of deltas). Namespaces and ids hold no dots.
  for (const key of statusKeys) {
    const [kind, namespace, id] = key.split(".");
    const live = kind === "segments" ? segmentIds : subscriptionIds;
    if (!live.has(`${namespace}/${id}`)) {
      await ctx.stats.remove(key);
      collected.statusKeys.push(key);
    }
  }
  for (const seg of segments) {
    if (isOrphan(seg, subscriptions)) {
      if (await ctx.source.delete("Segment", seg.metadata.namespace, seg.metadata.name))
        collected.segments.push(`${seg.metadata.namespace}/${seg.metadata.name}`);
    }
  }
  for (const k of collected.registryKeys) ctx.log.info("collected registry entry", { key: k });
  for (const id of collected.consumers) ctx.log.info("collected consumers", { subscription: id });
  for (const k of collected.statusKeys) ctx.log.info("collected counters", { key: k });
  for (const s of collected.segments) ctx.log.info("collected inline segment", { segment: s });
  return collected;
}

/** A segment controlled by a Subscription that is gone (by name, or replaced under a new uid). */
export function isOrphan(segment: Segment, subscriptions: readonly Subscription[]): boolean {
  const owner = controllerOwner(segment);
  if (!owner) return false;
  return !subscriptions.some(
    (s) =>
      s.metadata.namespace === segment.metadata.namespace &&
      s.metadata.name === owner.name &&
      (owner.uid === "" || s.metadata.uid === owner.uid),
  );
}

export function controllerOwner(segment: Segment): { name: string; uid: string } | undefined {
  const ref = segment.metadata.ownerReferences?.find(
    (o) => o.kind === "Subscription" && o.apiVersion === API_VERSION && o.controller === true,
  );
  return ref ? { name: ref.name, uid: ref.uid ?? "" } : undefined;
}

/** "segments.<namespace>.<id>" → its parts. */
export function parseRegistryKey(
  key: string,
): { readonly kind: string; readonly namespace: string; readonly id: string } | undefined {
  const parts = key.split(".");
  if (parts.length < 3) return undefined;
  return { kind: parts[0]!, namespace: parts.slice(1, -1).join("."), id: parts.at(-1)! };
}
