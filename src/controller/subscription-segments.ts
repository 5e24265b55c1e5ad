// Resolving a subscription's segment references (names, slugs or ids) against its namespace: each
// must exist and be Ready itself, since only registered segments are evaluated.

import type { FieldTypes } from "../segmentql/index.ts";
import { type ConditionInput, falseCondition, trueCondition } from "./conditions.ts";
import { ConditionType, Reason } from "./reasons.ts";
import { evaluateSegment } from "./segment-compile.ts";
import { lookupSegment, type SegmentIndex } from "./segment-index.ts";

export interface SegmentResolution {
  readonly condition: ConditionInput;
  /** Ids of the segments that resolved and are Ready, in reference order, without repeats. */
  readonly segmentIds: readonly string[];
  readonly resolved: boolean;
}

export function resolveSegments(
  refs: readonly string[],
  index: SegmentIndex,
  types: FieldTypes,
  namespace: string,
): SegmentResolution {
  const missing: string[] = [];
  const notReady: string[] = [];
  const ids: string[] = [];
  const names: string[] = [];
  for (const ref of refs) {
    const facts = lookupSegment(index, ref);
    if (!facts) {
      missing.push(ref);
      continue;
    }
    const outcome = evaluateSegment(facts, index, types);
    if (!outcome.compiled) {
      notReady.push(`${facts.name} (${outcome.ready.reason}: ${outcome.ready.message})`);
      continue;
    }
    if (!ids.includes(facts.id)) {
      ids.push(facts.id);
      names.push(facts.name);
    }
  }
  const type = ConditionType.SegmentsResolved;
  if (missing.length > 0) {
    return {
      condition: falseCondition(
        type,
        Reason.SegmentNotFound,
        `no segment named ${missing.map((m) => `"${m}"`).join(", ")} in namespace ${namespace} (by name, slug or id)`,
      ),
      segmentIds: ids,
      resolved: false,
    };
  }
  if (notReady.length > 0) {
    return {
      condition: falseCondition(type, Reason.SegmentNotReady, `not Ready: ${notReady.join("; ")}`),
      segmentIds: ids,
      resolved: false,
    };
  }
  return {
    condition: trueCondition(
      type,
      Reason.Resolved,
      `${names.length === 1 ? "segment" : "segments"} ${names.join(", ")}`,
    ),
    segmentIds: ids,
    resolved: true,
  };
}
