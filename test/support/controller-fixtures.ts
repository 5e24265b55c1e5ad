// Resource builders for the controller's unit tests.

import { uidFor } from "../../src/resources/directory-source.ts";
import {
  API_VERSION,
  type ProfileSchema,
  type Segment,
  type Subscription,
  type SubscriptionSpec,
} from "../../src/resources/types.ts";

let clock = Date.parse("2026-01-01T00:00:00Z");

/** A segment in namespace acme; each one created a second after the previous one. */
export function segment(
  name: string,
  segmentql: string,
  extra: { slug?: string; namespace?: string; createdAt?: string } = {},
): Segment {
  const namespace = extra.namespace ?? "acme";
  clock += 1_000;
  return {
    apiVersion: API_VERSION,
    kind: "Segment",
    metadata: {
      name,
      namespace,
      uid: uidFor(`Segment/${namespace}/${name}`),
      generation: 1,
      creationTimestamp: extra.createdAt ?? new Date(clock).toISOString(),
    },
    spec: { segmentql, ...(extra.slug ? { slug: extra.slug } : {}) },
  };
}

export function subscription(name: string, spec: Partial<SubscriptionSpec> = {}): Subscription {
  return {
    apiVersion: API_VERSION,
    kind: "Subscription",
    metadata: {
      name,
      namespace: "acme",
      uid: uidFor(`Subscription/acme/${name}`),
      generation: 1,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: {
      channel: "webhook",
      segments: ["demo_segment"],
      webhook: { url: "https://example.com/hook" },
      ...spec,
    },
  };
}

export function schema(fields: Record<string, string>, identityFields?: string[]): ProfileSchema {
  return {
    apiVersion: API_VERSION,
    kind: "ProfileSchema",
    metadata: { name: "default", namespace: "acme", uid: uidFor("ProfileSchema/acme/default") },
    spec: { fields, ...(identityFields ? { identityFields } : {}) },
  };
}
