// Events for the transitions users should hear about (`kubectl describe`, `kubectl events`): a
// resource becoming Ready, and one failing — compile errors, missing segments or Secrets, delivery
// failing — as Warnings with the condition's reason and message. Only changes of the Ready
// condition (status or reason, or a new generation still failing) are reported, so a steady state
// writes no events however often it is reconciled.

import type { Condition, Resource } from "../resources/types.ts";
import { findCondition } from "./conditions.ts";
import type { ReconcileContext } from "./context.ts";
import { ConditionType } from "./reasons.ts";

export interface TransitionEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly note: string;
}

/** The event a change of conditions deserves, if any. */
export function readyTransition(
  kind: string,
  before: readonly Condition[] | undefined,
  after: readonly Condition[] | undefined,
): TransitionEvent | undefined {
  const now = findCondition(after, ConditionType.Ready);
  if (!now) return undefined;
  const was = findCondition(before, ConditionType.Ready);
  if (now.status === "Unknown") return undefined;
  if (was && was.status === now.status && was.reason === now.reason) {
    // Still failing the same way: worth repeating only for a new generation (the user's new edit).
    if (now.status === "True" || was.observedGeneration === now.observedGeneration)
      return undefined;
  }
  if (now.status === "True") return { type: "Normal", reason: "Ready", note: `${kind} is ready` };
  return { type: "Warning", reason: now.reason, note: now.message || `${kind} is not ready` };
}

/** Records the transition's event through the source; a failure is logged, never thrown. */
export async function reportTransition(
  ctx: ReconcileContext,
  resource: Resource,
  before: readonly Condition[] | undefined,
  after: readonly Condition[] | undefined,
): Promise<void> {
  const event = readyTransition(resource.kind, before, after);
  if (!event) return;
  const { namespace, name, uid } = resource.metadata;
  ctx.log.info("transition", { kind: resource.kind, namespace, name, ...event });
  try {
    await ctx.source.recordEvent({
      regarding: { kind: resource.kind, namespace, name, ...(uid ? { uid } : {}) },
      action: "Reconcile",
      ...event,
    });
  } catch (err) {
    ctx.log.error("recording an event failed", { error: String(err) });
  }
}
