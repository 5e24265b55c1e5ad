// Benchmark 1: nanoseconds per evaluation of a compiled 5-condition segment over 20-field profiles,
// beside a hand-written JavaScript predicate, json-logic-engine and @marcbachmann/cel-js on the same
// condition and the same objects — once on shape-stable objects, once on shape-varied ones.

import { parse as celParse } from "@marcbachmann/cel-js";
import { LogicEngine } from "json-logic-engine";
import { compileSegment } from "../src/segmentql/index.ts";
import { environment, type Measurement, measureAll, rng, writeResult } from "./harness.ts";

const SEGMENT = `FILTER AND (
  plan = "pro",
  score > 50,
  country IN ("US", "CA", "GB"),
  status != "churned",
  email CONTAINS "@acme"
)`;
const COUNTRIES = new Set(["US", "CA", "GB"]);
const handWritten = (p: Record<string, any>): boolean =>
  p.plan === "pro" &&
  p.score > 50 &&
  COUNTRIES.has(p.country) &&
  p.status !== "churned" &&
  p.email.includes("@acme");

const JSON_LOGIC = {
  and: [
    { "==": [{ var: "plan" }, "pro"] },
    { ">": [{ var: "score" }, 50] },
    { in: [{ var: "country" }, ["US", "CA", "GB"]] },
    { "!=": [{ var: "status" }, "churned"] },
    { in: ["@acme", { var: "email" }] },
  ],
};
const CEL =
  'plan == "pro" && score > 50.0 && country in ["US", "CA", "GB"] && status != "churned" && email.contains("@acme")';

const N = 1024; // a power of two: index with a mask
const FIELDS = 20;

function fieldValues(r: () => number): [string, unknown][] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const entries: [string, unknown][] = [
    ["plan", r() < 0.7 ? "pro" : pick(["free", "team"])],
    ["score", Math.floor(r() * 140)],
    ["country", r() < 0.75 ? pick(["US", "CA", "GB"]) : pick(["DE", "FR", "JP"])],
    ["status", r() < 0.8 ? "active" : "churned"],
    ["email", `${pick(["ann", "bob", "cy"])}${r() < 0.8 ? "@acme.test" : "@other.test"}`],
  ];
  for (let i = entries.length; i < FIELDS; i++) {
    const kind = i % 4;
    entries.push([
      `f${i}`,
      kind === 0
        ? r() * 1000
        : kind === 1
          ? `v${Math.floor(r() * 50)}`
          : kind === 2
            ? r() < 0.5
            : Math.floor(r() * 9),
    ]);
  }
  return entries;
}

/** Same keys in the same order with the same value types: one hidden class for all. */
function shapeStable(r: () => number): Record<string, unknown>[] {
  const out = [];
  for (let i = 0; i < N; i++) {
    const [plan, score, country, status, email, ...rest] = fieldValues(r);
    const o: Record<string, unknown> = {
      plan: plan![1],
      score: score![1],
      country: country![1],
      status: status![1],
      email: email![1],
    };
    for (const [k, v] of rest) o[k] = v;
    out.push(o);
  }
  return out;
}

/** The same content with keys inserted in random orders and some extra keys: many hidden classes. */
function shapeVaried(r: () => number): Record<string, unknown>[] {
  const out = [];
  for (let i = 0; i < N; i++) {
    const entries = fieldValues(r);
    for (let j = entries.length - 1; j > 0; j--) {
      const k = Math.floor(r() * (j + 1));
      [entries[j], entries[k]] = [entries[k]!, entries[j]!];
    }
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) o[k] = v;
    if (r() < 0.3) o[`extra${Math.floor(r() * 8)}`] = 1;
    out.push(o);
  }
  return out;
}

export interface SegmentEvalResult {
  readonly set: string;
  readonly measurements: (Measurement & { readonly ratio: number })[];
  readonly matchRate: number;
}

export function runSegmentEvalBench(opts: { rounds: number; ops: number }): {
  sets: SegmentEvalResult[];
} {
  const generated = compileSegment(SEGMENT);
  const closures = compileSegment(SEGMENT, { backend: "closures" });
  // The evaluator's form for plain ANDs like this one: one loop shared by every segment.
  const conditions = compileSegment(SEGMENT, { backend: "conditions" });
  const jsonLogic = new LogicEngine().build(JSON_LOGIC) as (d: unknown) => unknown;
  const cel = celParse(CEL);
  const sets: SegmentEvalResult[] = [];
  for (const [set, profiles] of [
    ["shape-stable", shapeStable(rng(1))],
    ["shape-varied", shapeVaried(rng(1))],
  ] as const) {
    // Every engine must agree on every profile before its speed means anything.
    let matches = 0;
    for (const p of profiles) {
      const want = handWritten(p);
      if (want) matches++;
      const got = [
        generated.matches(p, 0),
        closures.matches(p, 0),
        conditions.matches(p, 0),
        jsonLogic(p) === true,
        cel(p) === true,
      ];
      if (got.some((g) => g !== want))
        throw new Error(`engines disagree on ${JSON.stringify(p)}: ${want} vs ${got}`);
    }
    const mask = N - 1;
    const candidates = [
      { name: "hand-written JS", fn: (i: number) => (handWritten(profiles[i & mask]!) ? 1 : 0) },
      {
        name: "segwatch (generated code)",
        fn: (i: number) => (generated.matches(profiles[i & mask]!, 0) ? 1 : 0),
      },
      {
        name: "segwatch (closures)",
        fn: (i: number) => (closures.matches(profiles[i & mask]!, 0) ? 1 : 0),
      },
      {
        name: "segwatch (condition list)",
        fn: (i: number) => (conditions.matches(profiles[i & mask]!, 0) ? 1 : 0),
      },
      {
        name: "json-logic-engine (build)",
        fn: (i: number) => (jsonLogic(profiles[i & mask]!) === true ? 1 : 0),
      },
      {
        name: "@marcbachmann/cel-js",
        fn: (i: number) => (cel(profiles[i & mask]!) === true ? 1 : 0),
      },
    ];
    const slow = new Set(["@marcbachmann/cel-js"]);
    const fast = measureAll(
      candidates.filter((c) => !slow.has(c.name)),
      { ops: opts.ops, rounds: opts.rounds, warmupOps: opts.ops },
    );
    const celOps = Math.max(1, Math.floor(opts.ops / 20));
    const slowOnes = measureAll(
      candidates.filter((c) => slow.has(c.name)),
      { ops: celOps, rounds: opts.rounds, warmupOps: celOps },
    );
    const all = [...fast, ...slowOnes];
    const base = all[0]!.nsPerOp;
    sets.push({
      set,
      matchRate: matches / N,
      measurements: all.map((m) => ({ ...m, ratio: m.nsPerOp / base })),
    });
  }
  return { sets };
}

export function reportSegmentEval(result: { sets: SegmentEvalResult[] }): string[] {
  const lines = [
    "segment evaluation — 5 conditions, 20-field profiles (ns/eval, × hand-written JS)",
  ];
  for (const s of result.sets) {
    lines.push(`  ${s.set} (${(s.matchRate * 100).toFixed(0)}% match)`);
    for (const m of s.measurements)
      lines.push(
        `    ${m.name.padEnd(28)} ${m.nsPerOp.toFixed(1).padStart(8)} ns  ${m.ratio.toFixed(2)}×`,
      );
  }
  return lines;
}

export function saveSegmentEval(result: { sets: SegmentEvalResult[] }): string {
  return writeResult("segment-eval", {
    benchmark: "segment-eval",
    segment: SEGMENT,
    environment: environment(),
    ...result,
  });
}
