// What an evaluator knows about one namespace: its compiled segments (INCLUDEs resolved among the
// namespace's segments), the field index over them, its schema, and which subscriptions listen to
// which segment. Rebuilt from registry records; evaluation itself is in evaluate.ts.

import type { SchemaRecord, SegmentRecord, SubscriptionRecord } from "../controller/records.ts";
import { DEFAULT_IDENTITY_FIELDS } from "../resources/types.ts";
import {
  type CompiledSegment,
  compileSegment,
  type FieldTypes,
  propertyKey,
  SegmentQLError,
} from "../segmentql/index.ts";
import { FieldIndex } from "./field-index.ts";

export interface ModelSegment {
  /** The record's id, as an internalized string (see `propertyKey`). */
  readonly id: string;
  readonly record: SegmentRecord;
  readonly compiled: CompiledSegment;
}

export interface SegmentProblem {
  readonly segmentId: string;
  readonly error: string;
}

export class NamespaceModel {
  readonly namespace: string;
  readonly identityFields: readonly string[];
  readonly types: FieldTypes;
  readonly segments: ReadonlyMap<string, ModelSegment>;
  readonly index: FieldIndex<ModelSegment>;
  /** Segment id → subscriptions that listen to it. */
  readonly subscriptionsBySegment: ReadonlyMap<string, readonly SubscriptionRecord[]>;
  readonly subscriptions: ReadonlyMap<string, SubscriptionRecord>;
  /** Segments that failed to compile here (the controller reports them; evaluation skips them). */
  readonly problems: readonly SegmentProblem[];

  constructor(
    namespace: string,
    schema: SchemaRecord | undefined,
    segments: readonly SegmentRecord[],
    subscriptions: readonly SubscriptionRecord[],
  ) {
    this.namespace = namespace;
    this.identityFields = schema?.identityFields?.length
      ? schema.identityFields
      : DEFAULT_IDENTITY_FIELDS;
    this.types = schema?.fields ?? {};
    const bySlug = new Map<string, SegmentRecord>();
    for (const s of segments) {
      bySlug.set(s.slug.toLowerCase(), s);
      bySlug.set(s.id, s);
      bySlug.set(s.name, s);
    }
    const compiled = new Map<string, ModelSegment>();
    const problems: SegmentProblem[] = [];
    const index = new FieldIndex<ModelSegment>();
    for (const record of segments) {
      try {
        // Many segments, each evaluated for a few profiles at a time: one shared loop stays in the
        // CPU's caches where a generated function per segment would not (condition-list.ts).
        const seg = compileSegment(record.segmentql, {
          backend: "conditions",
          types: this.types,
          includes: (name) =>
            bySlug.get(name.toLowerCase())?.segmentql ?? bySlug.get(name)?.segmentql,
        });
        const entry = { id: propertyKey(record.id), record, compiled: seg };
        compiled.set(record.id, entry);
        index.set(entry, seg.fields);
      } catch (err) {
        if (!(err instanceof SegmentQLError)) throw err;
        problems.push({ segmentId: record.id, error: err.message });
      }
    }
    const bySegment = new Map<string, SubscriptionRecord[]>();
    for (const sub of subscriptions) {
      for (const id of sub.segmentIds) {
        let list = bySegment.get(id);
        if (!list) {
          list = [];
          bySegment.set(id, list);
        }
        list.push(sub);
      }
    }
    this.segments = compiled;
    this.index = index;
    this.subscriptionsBySegment = bySegment;
    this.subscriptions = new Map(subscriptions.map((s) => [s.id, s]));
    this.problems = problems;
  }

  /**
   * Segment ids whose meaning differs between two models: added, removed, rewritten, reading a
   * changed schema, or including a segment that changed.
   */
  changedSegments(previous: NamespaceModel | undefined): string[] {
    if (!previous || JSON.stringify(previous.types) !== JSON.stringify(this.types)) {
      return [...new Set([...this.segments.keys(), ...(previous?.segments.keys() ?? [])])];
    }
    const out: string[] = [];
    for (const id of new Set([...this.segments.keys(), ...previous.segments.keys()])) {
      if (this.definitionOf(id) !== previous.definitionOf(id)) out.push(id);
    }
    return out;
  }

  /**
   * What a segment's memberships depend on, as one string: its SegmentQL, the SegmentQL of the
   * segments it includes, and the schema's field types; undefined when it is not evaluated here.
   */
  definitionOf(id: string): string | undefined {
    const s = this.segments.get(id);
    if (!s) return undefined;
    const parts = [JSON.stringify(this.types), s.record.segmentql];
    for (const inc of s.compiled.includes) {
      const target = [...this.segments.values()].find(
        (x) => x.record.slug.toLowerCase() === inc || x.record.id === inc,
      );
      parts.push(target?.record.segmentql ?? "");
    }
    return parts.join("\u0000");
  }
}
