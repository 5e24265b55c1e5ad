// Which resources must be reconciled again when a segment changes. Segments INCLUDE segments and
// subscriptions name segments, by slug, name or id; a reconcile records what its resource refers to,
// and a segment whose observable state changed (created, deleted, slug, validity, fields) wakes the
// resources that refer to any of its old or new identifiers, and the segments that compete for its
// slug. The periodic resync is the safety net for anything this misses.

import { keyString, type ResourceKey } from "../resources/types.ts";

interface SegmentEntry {
  readonly key: ResourceKey;
  readonly identifiers: readonly string[];
  readonly slug: string;
  readonly fingerprint: string;
}

export class DependencyIndex {
  /** Resource key → what it refers to (lower-cased). */
  private readonly refs = new Map<string, { key: ResourceKey; refs: Set<string> }>();
  private readonly segments = new Map<string, SegmentEntry>();

  /** Records what a resource refers to (INCLUDE names, spec.segments). */
  setRefs(key: ResourceKey, refs: Iterable<string>): void {
    const set = new Set([...refs].map((r) => r.toLowerCase()));
    if (set.size === 0) this.refs.delete(keyString(key));
    else this.refs.set(keyString(key), { key, refs: set });
  }

  forget(key: ResourceKey): void {
    this.refs.delete(keyString(key));
  }

  /**
   * Records a segment's state after its reconcile (undefined when it no longer exists) and returns the
   * keys to reconcile again when that state differs from the last one recorded.
   */
  segmentObserved(
    key: ResourceKey,
    now: { identifiers: readonly string[]; slug: string; fingerprint: string } | undefined,
  ): ResourceKey[] {
    const k = keyString(key);
    const before = this.segments.get(k);
    if (now && before && before.fingerprint === now.fingerprint) return [];
    if (now) this.segments.set(k, { key, ...now });
    else {
      this.segments.delete(k);
      this.refs.delete(k);
    }
    const identifiers = new Set(
      [...(before?.identifiers ?? [key.name]), ...(now?.identifiers ?? [])].map((s) =>
        s.toLowerCase(),
      ),
    );
    const slugs = new Set([before?.slug, now?.slug].filter((s): s is string => !!s));
    const out = new Map<string, ResourceKey>();
    for (const [rk, r] of this.refs) {
      if (rk === k || r.key.namespace !== key.namespace) continue;
      for (const ref of r.refs) {
        if (identifiers.has(ref)) {
          out.set(rk, r.key);
          break;
        }
      }
    }
    for (const [sk, s] of this.segments) {
      if (sk !== k && s.key.namespace === key.namespace && slugs.has(s.slug)) out.set(sk, s.key);
    }
    return [...out.values()];
  }

  /** Keys of segments known in a namespace (for a schema change). */
  segmentsIn(namespace: string): ResourceKey[] {
    return [...this.segments.values()]
      .filter((s) => s.key.namespace === namespace)
      .map((s) => s.key);
  }
}
