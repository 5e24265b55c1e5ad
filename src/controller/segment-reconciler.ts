// Segment reconcile: read the segment and its namespace, decide whether it is usable (segment-compile),
// register or unregister it, report status, and wake what depends on it when that changed.

import { registryKey } from "../nats/names.ts";
import type { ResourceKey, SegmentStatus } from "../resources/types.ts";
import { setConditions } from "./conditions.ts";
import type { ReconcileContext, ReconcileResult } from "./context.ts";
import { collectGarbage } from "./garbage-collector.ts";
import { loadNamespace } from "./namespace-view.ts";
import { buildSegmentRecord } from "./record-builders.ts";
import { evaluateSegment } from "./segment-compile.ts";
import { segmentFacts, segmentIdentifiers } from "./segment-index.ts";
import { writeStatusIfChanged } from "./status-write.ts";
import { reportTransition } from "./transition-events.ts";

export async function reconcileSegment(
  ctx: ReconcileContext,
  key: ResourceKey,
): Promise<ReconcileResult> {
  const { namespace, name } = key;
  const segment = await ctx.source.get("Segment", namespace, name);
  if (!segment) {
    const id = ctx.ids.delete(key);
    if (id) await ctx.registry.delete(registryKey.segment(namespace, id));
    await collectGarbage(ctx, { namespace });
    wake(ctx, ctx.deps.segmentObserved(key, undefined));
    return {};
  }

  const view = await loadNamespace(ctx.source, namespace);
  const facts = view.index.byName.get(name) ?? segmentFacts(segment);
  const outcome = evaluateSegment(facts, view.index, view.types);
  const id = facts.id;
  const previousId = ctx.ids.set(key, id);
  // Re-created under the same name (a new uid): the old id's entry is someone else's no more.
  if (previousId && previousId !== id)
    await ctx.registry.delete(registryKey.segment(namespace, previousId));

  const recordKey = registryKey.segment(namespace, id);
  if (outcome.compiled) await ctx.registry.put(recordKey, buildSegmentRecord(segment, facts.slug));
  else await ctx.registry.delete(recordKey);

  const generation = segment.metadata.generation ?? 1;
  const stats = outcome.compiled ? await ctx.stats.segment(namespace, id) : undefined;
  const status: SegmentStatus = {
    observedGeneration: generation,
    id,
    slug: facts.slug,
    ...(outcome.compiled
      ? {
          fields: [...outcome.compiled.fields],
          timeDependent: outcome.compiled.timeDependent,
          members: stats?.value.members ?? 0,
        }
      : {}),
    conditions: setConditions(segment.status?.conditions, [outcome.ready], generation, ctx.now()),
  };
  await writeStatusIfChanged(ctx.source, "Segment", namespace, name, segment.status, status);
  await reportTransition(ctx, segment, segment.status?.conditions, status.conditions);

  ctx.deps.setRefs(key, facts.includes);
  wake(
    ctx,
    ctx.deps.segmentObserved(key, {
      identifiers: segmentIdentifiers(facts),
      slug: facts.slug,
      fingerprint: JSON.stringify([
        id,
        facts.slug,
        facts.segmentql,
        outcome.ready.status,
        outcome.ready.reason,
        outcome.compiled?.fields ?? null,
        outcome.compiled?.timeDependent ?? null,
      ]),
    }),
  );
  return {};
}

function wake(ctx: ReconcileContext, keys: readonly ResourceKey[]): void {
  for (const k of keys) ctx.enqueue(k);
}
