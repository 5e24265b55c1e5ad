// Subscription reconcile: validate, resolve the segments (creating the inline one), resolve the
// channel's settings and Secrets, ensure the lanes' consumers, register, and report status with
// the counters of KV segwatch-status. Ready is True when SegmentsResolved, DeliveryReady and
// Backfilled all are.
//
// What exists: consumers exist from the first time the delivery settings resolve until the
// subscription is deleted, since they hold the entries and exits not yet delivered. The registry
// record is written whenever the spec, its segments and its delivery settings all resolve; when
// they stop resolving (a Secret deleted, an edit with a typo) the last valid record stays, so
// memberships keep being tracked and delivered rather than silently skipped, and the conditions
// say so. Consumers are created before the record, so nothing the evaluators publish for a
// subscription precedes its consumer.

import { registryKey } from "../nats/names.ts";
import {
  type ResourceKey,
  resourceId,
  type Subscription,
  type SubscriptionStatus,
} from "../resources/types.ts";
import {
  type FieldError,
  validateName,
  validateSubscriptionSpec,
} from "../resources/validation.ts";
import { resolveChannel } from "./channel-settings.ts";
import {
  type ConditionInput,
  falseCondition,
  readySummary,
  setConditions,
  trueCondition,
} from "./conditions.ts";
import type { ReconcileContext, ReconcileResult } from "./context.ts";
import { CLEANUP_FINALIZER, inlineSegmentName } from "./defaults.ts";
import { collectGarbage } from "./garbage-collector.ts";
import { ownedBy, reconcileInlineSegment } from "./inline-segment.ts";
import { loadNamespace } from "./namespace-view.ts";
import { ConditionType, Reason } from "./reasons.ts";
import { buildSubscriptionRecord, type ResolvedChannel } from "./record-builders.ts";
import type { SubscriptionRecord } from "./records.ts";
import { describeFieldErrors } from "./segment-compile.ts";
import { writeStatusIfChanged } from "./status-write.ts";
import {
  backfillProgress,
  backfillRequestedAt,
  currentDeliveryError,
  deliveryCounters,
} from "./subscription-progress.ts";
import { resolveSegments } from "./subscription-segments.ts";
import { reportTransition } from "./transition-events.ts";

/** Validation errors about which segments a subscription listens to; the rest are delivery's. */
export function isSegmentsPath(path: string): boolean {
  return (
    path.startsWith("spec.segments") ||
    path.startsWith("spec.segmentql") ||
    path.startsWith("spec.withBackfill")
  );
}

export async function reconcileSubscription(
  ctx: ReconcileContext,
  key: ResourceKey,
): Promise<ReconcileResult> {
  const { namespace, name } = key;
  const sub = await ctx.source.get("Subscription", namespace, name);
  if (!sub) {
    ctx.deps.forget(key);
    const id = ctx.ids.delete(key);
    if (id) {
      await ctx.registry.delete(registryKey.subscription(namespace, id));
      await ctx.consumers.remove(id, { purge: true });
    }
    // Also what a previous run left (no id in memory after a restart), and its inline segment.
    await collectGarbage(ctx, { namespace });
    return {};
  }
  if (sub.metadata.deletionTimestamp) {
    await finalizeSubscription(ctx, key, sub);
    return {};
  }
  // Before anything outside the API server exists for it: its deletion then waits for the cleanup.
  if (!sub.metadata.finalizers?.includes(CLEANUP_FINALIZER))
    await ctx.source.addFinalizer("Subscription", namespace, name, CLEANUP_FINALIZER);

  const now = ctx.now();
  const id = resourceId(sub.metadata);
  const previousId = ctx.ids.set(key, id);
  if (previousId && previousId !== id) {
    await ctx.registry.delete(registryKey.subscription(namespace, previousId));
    await ctx.consumers.remove(previousId, { purge: true });
  }
  const recordKey = registryKey.subscription(namespace, id);
  const previous = await ctx.registry.get<SubscriptionRecord>(recordKey);
  const errors: FieldError[] = [...validateName(name), ...validateSubscriptionSpec(sub.spec)];
  const segmentErrors = errors.filter((e) => isSegmentsPath(e.path));
  const deliveryErrors = errors.filter((e) => !isSegmentsPath(e.path));

  // -- SegmentsResolved
  const inline = await reconcileInlineSegment(ctx.source, sub);
  const refs =
    inline.kind === "ready" ? [inline.name] : (sub.spec.segments ?? []).filter(isNonEmptyString);
  ctx.deps.setRefs(key, refs);
  let segments: ConditionInput;
  let segmentIds: readonly string[] = [];
  let segmentsResolved = false;
  if (segmentErrors.length > 0) {
    segments = falseCondition(
      ConditionType.SegmentsResolved,
      Reason.InvalidSpec,
      describeFieldErrors(segmentErrors),
    );
  } else if (inline.kind === "conflict") {
    segments = falseCondition(
      ConditionType.SegmentsResolved,
      Reason.InlineSegmentConflict,
      inline.message,
    );
  } else {
    const view = await loadNamespace(ctx.source, namespace);
    const r = resolveSegments(refs, view.index, view.types, namespace);
    segments = r.condition;
    segmentIds = r.segmentIds;
    segmentsResolved = r.resolved;
  }

  // -- DeliveryReady (settings, Secrets, consumers)
  let delivery: ConditionInput | undefined;
  let channel: ResolvedChannel | undefined;
  let requeueAfterMs: number | undefined;
  let consumerError: unknown;
  if (deliveryErrors.length > 0) {
    delivery = falseCondition(
      ConditionType.DeliveryReady,
      Reason.InvalidSpec,
      describeFieldErrors(deliveryErrors),
    );
  } else {
    const resolution = await resolveChannel(sub, {
      source: ctx.source,
      previousWebhook: previous?.webhook,
      now: now.getTime(),
      rotationWindowMs: ctx.settings.signingSecretRotationMs,
      missingSecretRetryMs: ctx.settings.missingSecretRetryMs,
    });
    requeueAfterMs = resolution.recheckAfterMs;
    if (!resolution.ok) delivery = resolution.condition;
    else if (segmentErrors.length === 0) {
      try {
        await ctx.consumers.ensure({ id, channel: sub.spec.channel });
        channel = resolution.channel;
      } catch (err) {
        consumerError = err;
        delivery = falseCondition(
          ConditionType.DeliveryReady,
          Reason.ConsumerError,
          `cannot create the delivery consumers: ${(err as Error).message}`,
        );
      }
    } else {
      delivery = falseCondition(
        ConditionType.DeliveryReady,
        Reason.InvalidSpec,
        "waiting for a valid spec (see SegmentsResolved)",
      );
    }
  }

  // -- register
  const requestedAt = backfillRequestedAt(
    sub.spec.withBackfill,
    (sub.status as SubscriptionStatus | undefined)?.backfill,
    previous?.backfillRequestedAt,
    now,
  );
  let keptGeneration: number | undefined;
  if (channel && segmentsResolved) {
    await ctx.registry.put(
      recordKey,
      buildSubscriptionRecord({
        subscription: sub,
        segmentIds,
        channel,
        backfillRequestedAt: requestedAt,
      }),
    );
  } else if (previous) {
    keptGeneration = previous.generation;
  }

  // -- progress from the workers
  const stats = await ctx.stats.subscription(namespace, id);
  if (!delivery) {
    const failing = currentDeliveryError(
      stats?.value,
      stats?.writtenAt,
      now.getTime(),
      ctx.settings.deliveryFailingWindowMs,
    );
    delivery = failing
      ? falseCondition(ConditionType.DeliveryReady, Reason.DeliveryFailing, failing)
      : trueCondition(
          ConditionType.DeliveryReady,
          Reason.DeliveryConfigured,
          `${sub.spec.channel} settings resolved; consumers ready`,
        );
  }
  const previousStatus = sub.status as SubscriptionStatus | undefined;
  const backfill = backfillProgress(requestedAt, stats?.value, previousStatus?.backfill);

  const generation = sub.metadata.generation ?? 1;
  const kept = (c: ConditionInput): ConditionInput =>
    keptGeneration !== undefined && c.status === "False"
      ? { ...c, message: `${c.message} (still delivering as of generation ${keptGeneration})` }
      : c;
  const parts = [kept(segments), kept(delivery), backfill.condition];
  const status: SubscriptionStatus = {
    observedGeneration: generation,
    id,
    segmentIds: [...segmentIds],
    ...deliveryCounters(stats?.value),
    backfill: backfill.status,
    conditions: setConditions(
      sub.status?.conditions,
      [readySummary(parts), ...parts],
      generation,
      now,
    ),
  };
  await writeStatusIfChanged(
    ctx.source,
    "Subscription",
    namespace,
    name,
    sub.status as Subscription["status"],
    status as NonNullable<Subscription["status"]>,
  );
  await reportTransition(ctx, sub, previousStatus?.conditions, status.conditions);
  if (consumerError !== undefined) throw consumerError;
  return requeueAfterMs === undefined ? {} : { requeueAfterMs };
}

/**
 * A subscription being deleted (its finalizer holds it): the registry record goes first (it going is
 * what tells the evaluators and workers to stop), then its consumers and its inline segment, then the
 * finalizer, which lets the API server complete the deletion.
 */
async function finalizeSubscription(
  ctx: ReconcileContext,
  key: ResourceKey,
  sub: Subscription,
): Promise<void> {
  const { namespace, name } = key;
  const id = resourceId(sub.metadata);
  await ctx.registry.delete(registryKey.subscription(namespace, id));
  await ctx.consumers.remove(id, { purge: true });
  const inline = await ctx.source.get("Segment", namespace, inlineSegmentName(name));
  if (inline && ownedBy(inline, sub))
    await ctx.source.delete("Segment", namespace, inline.metadata.name);
  ctx.deps.forget(key);
  ctx.ids.delete(key);
  if (sub.metadata.finalizers?.includes(CLEANUP_FINALIZER)) {
    await ctx.source.removeFinalizer("Subscription", namespace, name, CLEANUP_FINALIZER);
    ctx.log.info("subscription cleaned up", { namespace, name, id });
  }
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === "string" && v !== "";
}
