// The body of a status write: a JSON merge patch (RFC 7386) of the status subresource that turns the
// stored status into exactly `next` — members `next` lacks are set to null, since a merge patch
// otherwise keeps them — guarded by the resourceVersion the caller read, so a write based on a stale
// read fails with 409 Conflict instead of silently overwriting someone else's.

export interface StatusPatch {
  readonly metadata: { readonly resourceVersion: string };
  readonly status: Record<string, unknown>;
}

export function buildStatusPatch(
  current: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
  resourceVersion: string,
): StatusPatch {
  const status: Record<string, unknown> = {};
  for (const key of Object.keys(current ?? {})) {
    if (next[key] === undefined) status[key] = null;
  }
  for (const [key, value] of Object.entries(next)) {
    if (value !== undefined) status[key] = value;
  }
  return { metadata: { resourceVersion }, status };
}

/**
 * JSON with object keys sorted, undefined and null members dropped: how a status compares once
 * stored (a merge patch cannot store null; it removes the member).
 */
export function storedForm(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const member = (v as Record<string, unknown>)[k];
      if (member !== null && member !== undefined) out[k] = member;
    }
    return out;
  });
}
