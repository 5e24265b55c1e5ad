// An inverted index from profile fields to the segments that read them, so that a profile update
// re-evaluates only the segments whose inputs changed (DESIGN.md: "re-evaluates only the segments
// whose referenced fields changed").

import type { FieldRefs } from "../segmentql/index.ts";

export class FieldIndex<Id> {
  private readonly byField = new Map<string, Set<Id>>();
  /** Segments that read fields by prefix (match("score_")): checked against every changed field. */
  private readonly byPrefix = new Map<string, Set<Id>>();
  private readonly refs = new Map<Id, FieldRefs>();

  get size(): number {
    return this.refs.size;
  }

  /** Adds or replaces a segment's references. */
  set(id: Id, refs: FieldRefs): void {
    this.delete(id);
    this.refs.set(id, refs);
    for (const f of refs.names) addTo(this.byField, f, id);
    for (const p of refs.prefixes) addTo(this.byPrefix, p, id);
  }

  delete(id: Id): void {
    const refs = this.refs.get(id);
    if (!refs) return;
    this.refs.delete(id);
    for (const f of refs.names) removeFrom(this.byField, f, id);
    for (const p of refs.prefixes) removeFrom(this.byPrefix, p, id);
  }

  /** The segments that read any of the changed fields. */
  affected(changedFields: Iterable<string>, into: Set<Id> = new Set()): Set<Id> {
    for (const f of changedFields) {
      const ids = this.byField.get(f);
      if (ids) for (const id of ids) into.add(id);
      if (this.byPrefix.size > 0) {
        for (const [prefix, pids] of this.byPrefix) {
          if (f.startsWith(prefix)) for (const id of pids) into.add(id);
        }
      }
    }
    return into;
  }
}

function addTo<Id>(m: Map<string, Set<Id>>, key: string, id: Id): void {
  let s = m.get(key);
  if (!s) {
    s = new Set();
    m.set(key, s);
  }
  s.add(id);
}

function removeFrom<Id>(m: Map<string, Set<Id>>, key: string, id: Id): void {
  const s = m.get(key);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) m.delete(key);
}
