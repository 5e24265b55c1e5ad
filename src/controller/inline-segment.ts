// A subscription's inline segment (spec.segmentql): a Segment named `<subscription>-inline`, owned
// by the subscription (controller ownerReference, so Kubernetes deletes it with its owner; the
// garbage collector does the same for the directory source), and never one a user made.

import type { ResourceSource } from "../resources/source.ts";
import { API_VERSION, type Segment, type Subscription } from "../resources/types.ts";
import { validateName } from "../resources/validation.ts";
import { inlineSegmentName, SUBSCRIPTION_LABEL } from "./defaults.ts";
import { controllerOwner } from "./garbage-collector.ts";
import { stableJson } from "./status-write.ts";

export type InlineSegment =
  /** The subscription names its segments; no inline segment (one it had is deleted). */
  | { readonly kind: "none" }
  | { readonly kind: "ready"; readonly name: string }
  /** The name is taken, or is no valid name. */
  | { readonly kind: "conflict"; readonly message: string };

export function wantsInlineSegment(sub: Subscription): boolean {
  const s = sub.spec;
  return (
    typeof s?.segmentql === "string" &&
    s.segmentql.trim() !== "" &&
    !(Array.isArray(s.segments) && s.segments.length > 0)
  );
}

export function desiredInlineSegment(sub: Subscription): Segment {
  return {
    apiVersion: API_VERSION,
    kind: "Segment",
    metadata: {
      name: inlineSegmentName(sub.metadata.name),
      namespace: sub.metadata.namespace,
      labels: { [SUBSCRIPTION_LABEL]: sub.metadata.name },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: "Subscription",
          name: sub.metadata.name,
          uid: sub.metadata.uid ?? "",
          controller: true,
        },
      ],
    },
    spec: {
      description: `inline segment of subscription ${sub.metadata.name}`,
      segmentql: sub.spec.segmentql!,
    },
  };
}

export function ownedBy(segment: Segment, sub: Subscription): boolean {
  return controllerOwner(segment)?.name === sub.metadata.name;
}

export async function reconcileInlineSegment(
  source: ResourceSource,
  sub: Subscription,
): Promise<InlineSegment> {
  const name = inlineSegmentName(sub.metadata.name);
  const ns = sub.metadata.namespace;
  const existing = await source.get("Segment", ns, name);
  if (!wantsInlineSegment(sub)) {
    if (existing && ownedBy(existing, sub)) await source.delete("Segment", ns, name);
    return { kind: "none" };
  }
  const nameErrors = validateName(name);
  if (nameErrors.length > 0) {
    return {
      kind: "conflict",
      message: `cannot name the inline segment: ${nameErrors[0]!.reason} (use a shorter subscription name)`,
    };
  }
  if (existing && !ownedBy(existing, sub)) {
    return {
      kind: "conflict",
      message: `Segment ${name} already exists and does not belong to this subscription`,
    };
  }
  const want = desiredInlineSegment(sub);
  if (!existing || !sameInline(existing, want)) await source.apply(want);
  return { kind: "ready", name };
}

function sameInline(have: Segment, want: Segment): boolean {
  return (
    stableJson(have.spec) === stableJson(want.spec) &&
    stableJson(have.metadata.labels ?? {}) === stableJson(want.metadata.labels) &&
    stableJson(have.metadata.ownerReferences ?? []) === stableJson(want.metadata.ownerReferences)
  );
}
