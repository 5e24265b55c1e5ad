// What the evaluators and delivery workers report about a subscription (KV segwatch-status), turned
// into status: counters, the Backfilled condition, and whether deliveries are failing right now.

import type { SubscriptionStatus } from "../resources/types.ts";
import { type ConditionInput, falseCondition, trueCondition } from "./conditions.ts";
import { ConditionType, Reason } from "./reasons.ts";
import type { SubscriptionStats } from "./records.ts";

/** status.backfill; its `requestedAt` keeps the instant "current members" refers to across restarts. */
export type BackfillStatus = NonNullable<SubscriptionStatus["backfill"]>;

/** The instant a backfill refers to: the one recorded before (status, else registry), else now. */
export function backfillRequestedAt(
  withBackfill: boolean | undefined,
  status: BackfillStatus | undefined,
  registered: string | undefined,
  now: Date,
): string | undefined {
  if (withBackfill !== true) return undefined;
  return status?.requestedAt ?? registered ?? now.toISOString();
}

export function backfillProgress(
  requestedAt: string | undefined,
  stats: SubscriptionStats | undefined,
  previous: BackfillStatus | undefined,
): { readonly status: BackfillStatus; readonly condition: ConditionInput } {
  const type = ConditionType.Backfilled;
  if (requestedAt === undefined) {
    return {
      status: { state: "NotRequested" },
      condition: trueCondition(type, Reason.NotRequested, "no backfill was requested"),
    };
  }
  // Figures of an earlier request (withBackfill turned off and on again) do not count.
  const b =
    stats?.backfill && (stats.backfill.requestedAt ?? requestedAt) === requestedAt
      ? stats.backfill
      : undefined;
  if (!b) {
    return {
      status: { state: "Pending", requestedAt },
      condition: falseCondition(
        type,
        Reason.Pending,
        `a backfill of the members as of ${requestedAt} waits for an evaluator`,
      ),
    };
  }
  // Evaluators stamp `at` on every progress report: the first one seen is when it started.
  const startedAt = previous?.startedAt ?? (b.state === "Running" ? b.at : undefined);
  if (b.state === "Running") {
    return {
      status: { state: "Running", requestedAt, startedAt: startedAt ?? b.at, members: b.members },
      condition: falseCondition(
        type,
        Reason.Running,
        `backfilling the members as of ${requestedAt}: ${b.members} so far`,
      ),
    };
  }
  return {
    status: {
      state: "Complete",
      requestedAt,
      ...(startedAt ? { startedAt } : {}),
      completedAt: b.at,
      members: b.members,
    },
    condition: trueCondition(
      type,
      Reason.Complete,
      `${b.members} member${b.members === 1 ? "" : "s"} as of ${requestedAt} backfilled`,
    ),
  };
}

/**
 * The error to report when deliveries are failing now: lastError is recent (its time, else the time
 * the counters were written) and no delivery succeeded after it.
 */
export function currentDeliveryError(
  stats: SubscriptionStats | undefined,
  writtenAt: number | undefined,
  now: number,
  windowMs: number,
): string | undefined {
  if (!stats?.lastError) return undefined;
  const errorAt = stats.lastErrorTime ? Date.parse(stats.lastErrorTime) : writtenAt;
  if (errorAt === undefined || Number.isNaN(errorAt) || now - errorAt > windowMs) return undefined;
  const deliveredAt = stats.lastDeliveryTime ? Date.parse(stats.lastDeliveryTime) : Number.NaN;
  if (stats.lastErrorTime && deliveredAt > errorAt) return undefined;
  return stats.lastError;
}

/** The counters of status, zero until a worker has reported. */
export function deliveryCounters(
  stats: SubscriptionStats | undefined,
): Pick<
  SubscriptionStatus,
  "delivered" | "failed" | "deadLettered" | "lastDeliveryTime" | "lastError"
> {
  return {
    delivered: stats?.delivered ?? 0,
    failed: stats?.failed ?? 0,
    deadLettered: stats?.deadLettered ?? 0,
    lastDeliveryTime: stats?.lastDeliveryTime ?? null,
    lastError: stats?.lastError ?? null,
  };
}
