// A namespace's segments as INCLUDE and subscriptions see them: each segment's slug (spec.slug, else
// the statement's ALIAS, else metadata.name), which segment owns a slug when two claim it (the one
// created first; the later one is DuplicateSlug), and lookup by slug, name or id.

import { resourceId, type Segment } from "../resources/types.ts";
import { type FieldError, validateName, validateSegmentSpec } from "../resources/validation.ts";
import { parseStatement } from "../segmentql/index.ts";
import { forEachInclude, includeKey } from "../segmentql/link.ts";
import { CONTROLLER_DEFAULTS } from "./defaults.ts";

/** What can be known of one segment without looking at the others. */
export interface SegmentFacts {
  readonly name: string;
  readonly namespace: string;
  readonly id: string;
  readonly creationTimestamp: string;
  readonly segmentql: string;
  /** The statement's ALIAS (lower-cased); undefined when absent or the statement does not parse. */
  readonly alias: string | undefined;
  readonly slug: string;
  /** Lower-cased names the statement INCLUDEs directly. */
  readonly includes: readonly string[];
  /** Spec and name errors (validation.ts), including SegmentQL syntax errors. */
  readonly specErrors: readonly FieldError[];
}

export interface SegmentIndex {
  /** Oldest first (creationTimestamp, then name): the order that decides who owns a slug. */
  readonly segments: readonly SegmentFacts[];
  readonly byName: ReadonlyMap<string, SegmentFacts>;
  /** Lower-cased slug → the segment that owns it. */
  readonly bySlug: ReadonlyMap<string, SegmentFacts>;
  readonly byId: ReadonlyMap<string, SegmentFacts>;
}

const factsCache = new Map<string, SegmentFacts>();

/** The facts of a segment; memoised, since every reconcile in a namespace needs all of them. */
export function segmentFacts(segment: Segment): SegmentFacts {
  const m = segment.metadata;
  const cacheKey = JSON.stringify([m.uid, m.namespace, m.name, m.creationTimestamp, segment.spec]);
  const cached = factsCache.get(cacheKey);
  if (cached) return cached;
  const facts = computeFacts(segment);
  if (factsCache.size >= CONTROLLER_DEFAULTS.segmentFactsCacheSize) factsCache.clear();
  factsCache.set(cacheKey, facts);
  return facts;
}

function computeFacts(segment: Segment): SegmentFacts {
  const spec = segment.spec;
  const segmentql = typeof spec?.segmentql === "string" ? spec.segmentql : "";
  let alias: string | undefined;
  const includes = new Set<string>();
  try {
    const statement = parseStatement(segmentql);
    alias = statement.alias;
    forEachInclude(statement.filter, (inc) => includes.add(includeKey(inc.name)));
  } catch {
    // validateSegmentSpec reports it, with the position.
  }
  const specErrors = [...validateName(segment.metadata.name), ...validateSegmentSpec(spec)];
  return {
    name: segment.metadata.name,
    namespace: segment.metadata.namespace,
    id: resourceId(segment.metadata),
    creationTimestamp: segment.metadata.creationTimestamp ?? "",
    segmentql,
    alias,
    slug: slugOf(spec?.slug, alias, segment.metadata.name),
    includes: [...includes],
    specErrors,
  };
}

/** spec.slug, else the ALIAS, else metadata.name; lower-cased as INCLUDE matches it. */
export function slugOf(specSlug: unknown, alias: string | undefined, name: string): string {
  if (typeof specSlug === "string" && specSlug !== "") return specSlug.toLowerCase();
  if (alias) return alias.toLowerCase();
  return name.toLowerCase();
}

export function indexSegments(segments: readonly Segment[]): SegmentIndex {
  const facts = segments.map(segmentFacts).sort(olderFirst);
  const byName = new Map<string, SegmentFacts>();
  const bySlug = new Map<string, SegmentFacts>();
  const byId = new Map<string, SegmentFacts>();
  for (const f of facts) {
    byName.set(f.name, f);
    if (f.id) byId.set(f.id, f);
    if (!bySlug.has(f.slug)) bySlug.set(f.slug, f);
  }
  return { segments: facts, byName, bySlug, byId };
}

function olderFirst(a: SegmentFacts, b: SegmentFacts): number {
  if (a.creationTimestamp !== b.creationTimestamp)
    return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The segment that owns the slug `facts` claims, when it is another one. */
export function slugOwner(index: SegmentIndex, facts: SegmentFacts): SegmentFacts | undefined {
  const owner = index.bySlug.get(facts.slug);
  return owner && owner.name !== facts.name ? owner : undefined;
}

/**
 * Finds a segment by the way users and INCLUDE name it: slug (case-insensitive), then name, then id.
 * A segment that lost its slug to an older one is still found by name and id.
 */
export function lookupSegment(index: SegmentIndex, ref: string): SegmentFacts | undefined {
  return (
    index.bySlug.get(ref.toLowerCase()) ??
    index.byName.get(ref) ??
    index.byName.get(ref.toLowerCase()) ??
    index.byId.get(ref.toLowerCase())
  );
}

/**
 * The SegmentQL of a segment INCLUDE may use: it must be usable on its own account (a valid spec, its
 * own slug); whether it compiles with what it includes is found by compiling through it.
 */
export function includeTarget(index: SegmentIndex, ref: string): string | undefined {
  const f = lookupSegment(index, ref);
  if (!f || f.specErrors.length > 0 || slugOwner(index, f)) return undefined;
  return f.segmentql;
}

/** The ways a segment can be referred to; what dependents are matched against. */
export function segmentIdentifiers(facts: SegmentFacts): string[] {
  return [...new Set([facts.name, facts.slug, facts.id].filter((s) => s !== ""))];
}
