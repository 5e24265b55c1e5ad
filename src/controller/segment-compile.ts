// Whether a segment is usable, and why not: its spec, its slug, its own SegmentQL, then what it
// INCLUDEs — in that order, so that the reason names the first thing the user has to fix. Pure: the
// Segment reconcile and the Subscription reconcile (is the referenced segment Ready?) share it.

import {
  type CompiledSegment,
  compileSegment,
  type FieldTypes,
  SegmentQLError,
} from "../segmentql/index.ts";
import type { ConditionInput } from "./conditions.ts";
import { ConditionType, Reason } from "./reasons.ts";
import {
  includeTarget,
  lookupSegment,
  type SegmentFacts,
  type SegmentIndex,
  slugOwner,
} from "./segment-index.ts";

export interface SegmentOutcome {
  readonly facts: SegmentFacts;
  /** The Ready condition. */
  readonly ready: ConditionInput;
  /** Set when Ready is True. */
  readonly compiled?: {
    /** Profile fields read, INCLUDEs expanded; key prefixes read by functions end in "*". */
    readonly fields: readonly string[];
    readonly timeDependent: boolean;
  };
}

export function evaluateSegment(
  facts: SegmentFacts,
  index: SegmentIndex,
  types: FieldTypes,
): SegmentOutcome {
  const fail = (reason: string, message: string): SegmentOutcome => ({
    facts,
    ready: { type: ConditionType.Ready, status: "False", reason, message },
  });
  if (facts.specErrors.length > 0) {
    const ql = facts.specErrors.find((e) => e.code === "InvalidSegmentQL");
    if (ql) return fail(Reason.InvalidSegmentQL, ql.reason);
    return fail(Reason.InvalidSpec, describeFieldErrors(facts.specErrors));
  }
  const owner = slugOwner(index, facts);
  if (owner) {
    return fail(
      Reason.DuplicateSlug,
      `slug "${facts.slug}" is already used by segment ${owner.name}; set spec.slug or another ALIAS`,
    );
  }
  let compiled: CompiledSegment;
  try {
    // Without its INCLUDEs first: an error here is the segment's own, whatever it includes.
    compiled = compileSegment(facts.segmentql, { types, missingInclude: "not-ok" });
  } catch (err) {
    if (!(err instanceof SegmentQLError)) throw err;
    return fail(Reason.InvalidSegmentQL, err.message);
  }
  if (facts.includes.length > 0) {
    const unusable: string[] = [];
    try {
      compiled = compileSegment(facts.segmentql, {
        types,
        includes: (name) => {
          const ql = includeTarget(index, name);
          const found = ql === undefined ? lookupSegment(index, name) : undefined;
          if (found && !unusable.includes(found.name)) unusable.push(found.name);
          return ql;
        },
      });
    } catch (err) {
      if (!(err instanceof SegmentQLError)) throw err;
      if (err.code === "UNKNOWN_INCLUDE") {
        // The segment exists but cannot be included: say so rather than only "unknown".
        const hint =
          unusable.length > 0
            ? ` (segment ${unusable.join(", ")} exists but is not Ready itself)`
            : "";
        // A position in another segment's text would mislead: name the detail only then.
        const missing = /unknown segment "(.*)" in INCLUDE/.exec(err.detail)?.[1];
        const own = missing !== undefined && facts.includes.includes(missing.toLowerCase());
        const message = own ? err.message : `in an included segment: ${err.detail}`;
        return fail(Reason.IncludeNotFound, `${message}${hint}`);
      }
      if (err.code === "INCLUDE_CYCLE") return fail(Reason.IncludeCycle, err.message);
      const message = err.message.includes("included segment")
        ? err.message
        : `in an included segment: ${err.message}`;
      return fail(Reason.IncludeInvalid, message);
    }
  }
  const fields = [
    ...[...compiled.fields.names].sort(),
    ...[...compiled.fields.prefixes].sort().map((p) => `${p}*`),
  ];
  return {
    facts,
    ready: {
      type: ConditionType.Ready,
      status: "True",
      reason: Reason.Compiled,
      message: compiledMessage(fields.length, compiled.timeDependent),
    },
    compiled: { fields, timeDependent: compiled.timeDependent },
  };
}

function compiledMessage(fieldCount: number, timeDependent: boolean): string {
  const reads = `reads ${fieldCount} field${fieldCount === 1 ? "" : "s"}`;
  return timeDependent ? `compiled; ${reads}; re-evaluated as time passes` : `compiled; ${reads}`;
}

/** "spec.webhook.url: the webhook URL is required; spec.delivery.maxAttempts: …" */
export function describeFieldErrors(errors: readonly { path: string; reason: string }[]): string {
  return errors.map((e) => `${e.path}: ${e.reason}`).join("; ");
}
