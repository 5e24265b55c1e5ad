// Status goes back only through the source's status subresource, and only when it changed: every
// write is a file write (directory source) or an API call and a watch event (Kubernetes).

import type { ResourceSource } from "../resources/source.ts";
import { storedForm } from "../resources/status-patch.ts";
import type { ResourceKind, StatusOf } from "../resources/types.ts";

export async function writeStatusIfChanged<K extends ResourceKind>(
  source: ResourceSource,
  kind: K,
  namespace: string,
  name: string,
  current: StatusOf<K> | undefined,
  next: StatusOf<K>,
): Promise<boolean> {
  // Compared as stored: a null member and a missing one are the same (a cluster cannot store null).
  if (current !== undefined && storedForm(current) === storedForm(next)) return false;
  await source.updateStatus(kind, namespace, name, next);
  return true;
}

/** JSON with object keys sorted and undefined members dropped: equal values, equal strings. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}
