// metav1.Condition bookkeeping: a condition keeps its lastTransitionTime while its status stays the
// same (reason and message may change), and `Ready` summarises the other conditions.

import type { Condition } from "../resources/types.ts";
import { ConditionType, Reason } from "./reasons.ts";

/** A condition as a reconcile computes it; times and generations are filled in by setCondition. */
export interface ConditionInput {
  readonly type: string;
  readonly status: Condition["status"];
  readonly reason: string;
  readonly message: string;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === "True";
}

/**
 * Returns the conditions with `next` set: lastTransitionTime is kept when the status did not change,
 * so that "since when is this False" stays true across reconciles. Order is stable (new types last).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  observedGeneration: number,
  now: Date,
): Condition[] {
  const out = [...(conditions ?? [])];
  const at = out.findIndex((c) => c.type === next.type);
  const previous = at >= 0 ? out[at] : undefined;
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime:
      previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString(),
    observedGeneration,
  };
  if (at >= 0) out[at] = condition;
  else out.push(condition);
  return out;
}

/** Sets every condition of `inputs`, in order, and drops conditions of other types. */
export function setConditions(
  conditions: readonly Condition[] | undefined,
  inputs: readonly ConditionInput[],
  observedGeneration: number,
  now: Date,
): Condition[] {
  let out = (conditions ?? []).filter((c) => inputs.some((i) => i.type === c.type));
  for (const input of inputs) out = setCondition(out, input, observedGeneration, now);
  return inputs.map((i) => out.find((c) => c.type === i.type)!);
}

/**
 * The `Ready` summary of a resource's other conditions: False with the first False one's reason and
 * message; else Unknown with the first Unknown one's; else True.
 */
export function readySummary(parts: readonly ConditionInput[]): ConditionInput {
  const failed = parts.find((c) => c.status === "False");
  if (failed)
    return {
      type: ConditionType.Ready,
      status: "False",
      reason: failed.reason,
      message: failed.message,
    };
  const unknown = parts.find((c) => c.status === "Unknown");
  if (unknown)
    return {
      type: ConditionType.Ready,
      status: "Unknown",
      reason: unknown.reason,
      message: unknown.message,
    };
  return { type: ConditionType.Ready, status: "True", reason: Reason.Ready, message: "" };
}

export function trueCondition(type: string, reason: string, message = ""): ConditionInput {
  return { type, status: "True", reason, message };
}

export function falseCondition(type: string, reason: string, message: string): ConditionInput {
  return { type, status: "False", reason, message };
}
