// Benchmark 2: 10,000 segments over 200 fields; profile updates that change 2 fields. Evaluations
// per update and updates per second with the field index, against evaluating every segment.

import { FieldIndex } from "../src/evaluator/field-index.ts";
import { type CompiledSegment, compileSegment } from "../src/segmentql/index.ts";
import { environment, median, rng, writeResult } from "./harness.ts";

const SEGMENTS = 10_000;
const FIELDS = 200;
const FIELDS_PER_SEGMENT = 4;
const CHANGED_PER_UPDATE = 2;
const UPDATES = 2_000;

const field = (i: number) => `field_${i}`;

function makeSegments(r: () => number): CompiledSegment[] {
  const segs: CompiledSegment[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const used = new Set<number>();
    while (used.size < FIELDS_PER_SEGMENT) used.add(Math.floor(r() * FIELDS));
    const conds = [...used].map((f, j) =>
      j % 2 === 0
        ? `${field(f)} > ${Math.floor(r() * 100)}`
        : `${field(f)} != ${Math.floor(r() * 100)}`,
    );
    segs.push(compileSegment(`FILTER AND ( ${conds.join(", ")} ) ALIAS s${s}`));
  }
  return segs;
}

function makeUpdates(r: () => number): { fields: string[]; values: number[] }[] {
  const ups = [];
  for (let u = 0; u < UPDATES; u++) {
    const fields = new Set<number>();
    while (fields.size < CHANGED_PER_UPDATE) fields.add(Math.floor(r() * FIELDS));
    ups.push({
      fields: [...fields].map(field),
      values: [...fields].map(() => Math.floor(r() * 100)),
    });
  }
  return ups;
}

export interface FieldIndexResult {
  readonly segments: number;
  readonly fields: number;
  readonly changedPerUpdate: number;
  readonly evaluationsPerUpdate: {
    readonly indexed: number;
    readonly all: number;
    readonly reduction: number;
  };
  readonly updatesPerSecond: {
    readonly indexed: number;
    readonly all: number;
    readonly speedup: number;
  };
  readonly rounds: { readonly indexedMs: number[]; readonly allMs: number[] };
}

export function runFieldIndexBench(opts: { rounds: number }): FieldIndexResult {
  const r = rng(7);
  const segments = makeSegments(r);
  const index = new FieldIndex<number>();
  for (const [i, s] of segments.entries()) index.set(i, s.fields);
  const updates = makeUpdates(r);
  const base: Record<string, number> = {};
  for (let f = 0; f < FIELDS; f++) base[field(f)] = Math.floor(r() * 100);

  // Membership state per segment for one profile, so both strategies do the same bookkeeping.
  const runIndexed = (profile: Record<string, number>, members: Uint8Array) => {
    let evaluations = 0;
    for (const u of updates) {
      for (let k = 0; k < u.fields.length; k++) profile[u.fields[k]!] = u.values[k]!;
      for (const id of index.affected(u.fields)) {
        members[id] = segments[id]!.matches(profile, 0) ? 1 : 0;
        evaluations++;
      }
    }
    return evaluations;
  };
  const runAll = (profile: Record<string, number>, members: Uint8Array) => {
    let evaluations = 0;
    for (const u of updates) {
      for (let k = 0; k < u.fields.length; k++) profile[u.fields[k]!] = u.values[k]!;
      for (let id = 0; id < segments.length; id++) {
        members[id] = segments[id]!.matches(profile, 0) ? 1 : 0;
        evaluations++;
      }
    }
    return evaluations;
  };

  // Both strategies must reach the same memberships.
  const a = new Uint8Array(SEGMENTS);
  const b = new Uint8Array(SEGMENTS);
  const pa = { ...base };
  const pb = { ...base };
  for (let id = 0; id < SEGMENTS; id++) a[id] = b[id] = segments[id]!.matches(pa, 0) ? 1 : 0;
  const indexedEvals = runIndexed(pa, a);
  const allEvals = runAll(pb, b);
  if (!a.every((v, i) => v === b[i])) throw new Error("the field index missed a membership change");

  const indexedMs: number[] = [];
  const allMs: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const t0 = performance.now();
    runIndexed({ ...base }, new Uint8Array(SEGMENTS));
    const t1 = performance.now();
    runAll({ ...base }, new Uint8Array(SEGMENTS));
    const t2 = performance.now();
    indexedMs.push(t1 - t0);
    allMs.push(t2 - t1);
  }
  const indexedUps = UPDATES / (median(indexedMs) / 1000);
  const allUps = UPDATES / (median(allMs) / 1000);
  return {
    segments: SEGMENTS,
    fields: FIELDS,
    changedPerUpdate: CHANGED_PER_UPDATE,
    evaluationsPerUpdate: {
      indexed: indexedEvals / UPDATES,
      all: allEvals / UPDATES,
      reduction: allEvals / indexedEvals,
    },
    updatesPerSecond: { indexed: indexedUps, all: allUps, speedup: indexedUps / allUps },
    rounds: { indexedMs, allMs },
  };
}

export function reportFieldIndex(r: FieldIndexResult): string[] {
  return [
    `field index — ${r.segments} segments over ${r.fields} fields, updates changing ${r.changedPerUpdate} fields`,
    `  evaluations per update: ${r.evaluationsPerUpdate.indexed.toFixed(1)} indexed vs ${r.evaluationsPerUpdate.all} all → ${r.evaluationsPerUpdate.reduction.toFixed(1)}× fewer`,
    `  updates per second:     ${r.updatesPerSecond.indexed.toFixed(0)} indexed vs ${r.updatesPerSecond.all.toFixed(0)} all → ${r.updatesPerSecond.speedup.toFixed(1)}×`,
  ];
}

export function saveFieldIndex(r: FieldIndexResult): string {
  return writeResult("field-index", { benchmark: "field-index", environment: environment(), ...r });
}
