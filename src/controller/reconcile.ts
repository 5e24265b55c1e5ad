// One entry point per key: the kind decides which reconcile runs.

import type { ResourceKey, ResourceKind } from "../resources/types.ts";
import type { ReconcileContext, ReconcileResult } from "./context.ts";
import { reconcileProfileSchema } from "./schema-reconciler.ts";
import { reconcileSegment } from "./segment-reconciler.ts";
import { reconcileSubscription } from "./subscription-reconciler.ts";

const RECONCILERS: Readonly<
  Record<ResourceKind, (ctx: ReconcileContext, key: ResourceKey) => Promise<ReconcileResult>>
> = {
  Segment: reconcileSegment,
  Subscription: reconcileSubscription,
  ProfileSchema: reconcileProfileSchema,
};

export function reconcile(ctx: ReconcileContext, key: ResourceKey): Promise<ReconcileResult> {
  return RECONCILERS[key.kind](ctx, key);
}

/** The inverse of keyString: "Kind/namespace/name". */
export function parseKey(text: string): ResourceKey | undefined {
  const parts = text.split("/");
  if (parts.length !== 3) return undefined;
  const [kind, namespace, name] = parts as [ResourceKind, string, string];
  if (!(kind in RECONCILERS) || !namespace || !name) return undefined;
  return { kind, namespace, name };
}
