// Evaluating a profile against a namespace's segments and turning results into transitions: a user
// enters a segment when its filter goes from false (or never evaluated) to true and exits on
// true → false. Transitions are diffs against the memberships stored in the profile, so evaluating a
// profile twice never yields a transition twice.

import type { Profile } from "../profile/profile.ts";
import type { ModelSegment, NamespaceModel } from "./model.ts";

export interface Transition {
  readonly segmentId: string;
  readonly event: "enter" | "exit";
  /** RFC 3339. */
  readonly enter: string;
  readonly exit: string | null;
}

/** Which segments to evaluate: those reading changed fields, a given set, or every one. */
export type Scope =
  | { readonly kind: "fields"; readonly fields: readonly string[] }
  | { readonly kind: "segments"; readonly ids: Iterable<string> }
  | { readonly kind: "all" };

export interface Evaluation {
  readonly transitions: Transition[];
}

/**
 * Evaluates the scoped segments for the profile at `now`, updates its memberships and time checks in
 * place, and returns the transitions.
 */
export function evaluateProfile(
  model: NamespaceModel,
  profile: Profile,
  scope: Scope,
  now: number,
): Evaluation {
  let at: string | undefined;
  const transitions: Transition[] = [];
  let checks = profile.checks;
  for (const seg of scopeSegments(model, scope)) {
    const id = seg.id;
    const member = seg.compiled.matches(profile.fields, now);
    const since = profile.segments[id];
    if (member && since === undefined) {
      at ??= new Date(now).toISOString();
      profile.segments[id] = at;
      transitions.push({ segmentId: id, event: "enter", enter: at, exit: null });
    } else if (!member && since !== undefined) {
      at ??= new Date(now).toISOString();
      delete profile.segments[id];
      transitions.push({ segmentId: id, event: "exit", enter: since, exit: at });
    }
    if (seg.compiled.timeDependent) {
      const next = seg.compiled.nextBoundary(profile.fields, now);
      if (next === null) {
        if (checks) delete checks[id];
      } else {
        checks ??= profile.checks = {};
        checks[id] = next;
      }
    }
  }
  // Memberships of segments that no longer exist are dropped without a transition: nobody listens.
  // Not on every event (a profile may be in hundreds of segments): the re-evaluation scan that
  // follows a deletion, and every timer, visit the profile with the deleted segment in scope.
  if (scope.kind !== "fields") {
    for (const id of Object.keys(profile.segments))
      if (!model.segments.has(id)) delete profile.segments[id];
    if (checks)
      for (const id of Object.keys(checks)) if (!model.segments.has(id)) delete checks[id];
  }
  if (checks && isEmpty(checks)) delete profile.checks;
  return { transitions };
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** The time-dependent segments due at `now` for the profile. */
export function dueSegments(profile: Profile, now: number): string[] {
  const out: string[] = [];
  for (const [id, t] of Object.entries(profile.checks ?? {})) if (t <= now) out.push(id);
  return out;
}

function scopeSegments(model: NamespaceModel, scope: Scope): Iterable<ModelSegment> {
  switch (scope.kind) {
    case "fields":
      return model.index.affected(scope.fields);
    case "segments": {
      const out: ModelSegment[] = [];
      for (const id of scope.ids) {
        const seg = model.segments.get(id);
        if (seg) out.push(seg);
      }
      return out;
    }
    case "all":
      return model.segments.values();
  }
}

/** The earliest time check of a profile, if any. */
export function nextCheckOf(profile: Profile): number | undefined {
  let min: number | undefined;
  for (const v of Object.values(profile.checks ?? {})) if (min === undefined || v < min) min = v;
  return min;
}
