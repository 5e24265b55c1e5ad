// An inverted index from profile fields to the segments that read them, so that a profile update
// re-evaluates only the segments whose inputs changed (DESIGN.md: "re-evaluates only the segments
// whose referenced fields changed").

import type { FieldRefs } from "../segmentql/index.ts";

/** One segment in the index; `mark` is the last lookup that returned it (dedupe without a Set). */
interface Entry<Id> {
  readonly id: Id;
  readonly refs: FieldRefs;
  mark: number;
}

export class FieldIndex<Id> {
  private readonly byField = new Map<string, Entry<Id>[]>();
  /** Segments that read fields by prefix (match("score_")): checked against every changed field. */
  private readonly byPrefix = new Map<string, Entry<Id>[]>();
  private readonly entries = new Map<Id, Entry<Id>>();
  private lookups = 0;

  get size(): number {
    return this.entries.size;
  }

  /** Adds or replaces a segment's references. */
  set(id: Id, refs: FieldRefs): void {
    this.delete(id);
    const entry: Entry<Id> = { id, refs, mark: 0 };
    this.entries.set(id, entry);
    for (const f of refs.names) addTo(this.byField, f, entry);
    for (const p of refs.prefixes) addTo(this.byPrefix, p, entry);
  }

  delete(id: Id): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    for (const f of entry.refs.names) removeFrom(this.byField, f, entry);
    for (const p of entry.refs.prefixes) removeFrom(this.byPrefix, p, entry);
  }

  /**
   * The segments that read any of the changed fields, each once. This runs for every event, over
   * tens of segments: a mark per entry dedupes where a Set would hash every id.
   */
  affected(changedFields: Iterable<string>): Id[] {
    const mark = ++this.lookups;
    const out: Id[] = [];
    for (const f of changedFields) {
      const entries = this.byField.get(f);
      if (entries) collect(entries, mark, out);
      if (this.byPrefix.size > 0) {
        for (const [prefix, prefixed] of this.byPrefix)
          if (f.startsWith(prefix)) collect(prefixed, mark, out);
      }
    }
    return out;
  }
}

function collect<Id>(entries: readonly Entry<Id>[], mark: number, out: Id[]): void {
  for (const e of entries) {
    if (e.mark === mark) continue;
    e.mark = mark;
    out.push(e.id);
  }
}

function addTo<Id>(m: Map<string, Entry<Id>[]>, key: string, entry: Entry<Id>): void {
  const list = m.get(key);
  if (list) list.push(entry);
  else m.set(key, [entry]);
}

function removeFrom<Id>(m: Map<string, Entry<Id>[]>, key: string, entry: Entry<Id>): void {
  const list = m.get(key);
  if (!list) return;
  const i = list.indexOf(entry);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) m.delete(key);
}
