// A resource's status as the REST bodies summarise it: Ready with its reason and message, "Pending"
// while the controller has not yet processed the latest generation (so a client polling after an
// upsert never mistakes the previous generation's verdict for the new one's).

import type { Condition, ObjectMeta } from "../resources/types.ts";

export interface ConditionView {
  type: string;
  status: Condition["status"];
  reason: string;
  message: string;
  last_transition_time: string;
}

export interface ReadinessView {
  ready: boolean;
  state: "Ready" | "NotReady" | "Pending";
  reason: string;
  message: string;
  generation: number;
  observed_generation: number;
  conditions: ConditionView[];
}

export function readinessView(
  meta: ObjectMeta,
  status: { observedGeneration?: number; conditions?: Condition[] } | undefined,
): ReadinessView {
  const generation = meta.generation ?? 1;
  const observed = status?.observedGeneration ?? 0;
  const conditions = (status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    last_transition_time: c.lastTransitionTime,
  }));
  const ready = status?.conditions?.find((c) => c.type === "Ready");
  if (!ready || observed < generation) {
    return {
      ready: false,
      state: "Pending",
      reason: "Reconciling",
      message: `waiting for the controller to process generation ${generation}`,
      generation,
      observed_generation: observed,
      conditions,
    };
  }
  return {
    ready: ready.status === "True",
    state: ready.status === "True" ? "Ready" : "NotReady",
    reason: ready.reason,
    message: ready.message,
    generation,
    observed_generation: observed,
    conditions,
  };
}
