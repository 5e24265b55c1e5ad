// A namespace's segments as the REST API addresses them: by id, slug or resource name, with the slug
// computed by the same rule the controller and INCLUDE use (spec.slug, else the ALIAS, else
// metadata.name, lower-cased).

import { resourceId, type Segment } from "../resources/types.ts";
import { parseStatement } from "../segmentql/index.ts";

const ALIAS_CACHE_LIMIT = 10_000;
const aliasCache = new Map<string, string | undefined>();

/** The statement's ALIAS, or undefined when it has none or does not parse. */
export function aliasOf(segmentql: string): string | undefined {
  if (aliasCache.has(segmentql)) return aliasCache.get(segmentql);
  let alias: string | undefined;
  try {
    alias = parseStatement(segmentql).alias;
  } catch {
    alias = undefined;
  }
  if (aliasCache.size >= ALIAS_CACHE_LIMIT) aliasCache.clear();
  aliasCache.set(segmentql, alias);
  return alias;
}

export function slugOf(segment: Segment): string {
  const spec = segment.spec;
  if (typeof spec?.slug === "string" && spec.slug !== "") return spec.slug.toLowerCase();
  const alias = typeof spec?.segmentql === "string" ? aliasOf(spec.segmentql) : undefined;
  return (alias ?? segment.metadata.name).toLowerCase();
}

/** The subscription whose inline segment this is (a controller owner reference), if any. */
export function owningSubscription(segment: Segment): string | undefined {
  return segment.metadata.ownerReferences?.find((o) => o.kind === "Subscription" && o.controller)
    ?.name;
}

export class SegmentDirectory {
  readonly segments: readonly Segment[];
  private readonly byId = new Map<string, Segment>();
  private readonly byName = new Map<string, Segment>();
  private readonly bySlug = new Map<string, Segment>();

  constructor(segments: readonly Segment[]) {
    // The oldest segment owns a slug two of them claim, as the controller decides.
    this.segments = [...segments].sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
    for (const s of this.segments) {
      this.byId.set(resourceId(s.metadata), s);
      this.byName.set(s.metadata.name, s);
      const slug = slugOf(s);
      if (!this.bySlug.has(slug)) this.bySlug.set(slug, s);
    }
  }

  /** By id (with or without dashes), then resource name, then slug. */
  find(ref: string): Segment | undefined {
    return (
      this.byId.get(ref.replaceAll("-", "").toLowerCase()) ??
      this.byName.get(ref) ??
      this.bySlug.get(ref.toLowerCase())
    );
  }

  bySlugOnly(slug: string): Segment | undefined {
    return this.bySlug.get(slug.toLowerCase());
  }

  byResourceName(name: string): Segment | undefined {
    return this.byName.get(name);
  }

  /** The inline segment of a subscription. */
  inlineOf(subscriptionName: string): Segment | undefined {
    return this.segments.find((s) => owningSubscription(s) === subscriptionName);
  }
}
