// A small timing harness: same-process, median of several rounds, reported as ratios to a baseline
// measured in the same run (the machine is shared and noisy; see shared/notes/performance.md).

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";

export interface Measurement {
  readonly name: string;
  /** Median nanoseconds per operation over the rounds. */
  readonly nsPerOp: number;
  /** Every round's nanoseconds per operation, for spread. */
  readonly rounds: readonly number[];
}

/** Keeps results observable so the optimiser cannot drop the work. */
export let sink = 0;

/**
 * Times `fn(i)` called `opsPerRound` times per round; `fn` returns a number folded into `sink`.
 * Rounds are interleaved across candidates by the caller to spread noise evenly.
 */
export function timeRound(fn: (i: number) => number, ops: number): number {
  const start = process.hrtime.bigint();
  let acc = 0;
  for (let i = 0; i < ops; i++) acc += fn(i);
  const ns = Number(process.hrtime.bigint() - start);
  sink += acc;
  return ns / ops;
}

/** Measures each candidate for `rounds` interleaved rounds after a warm-up; median per candidate. */
export function measureAll(
  candidates: readonly { name: string; fn: (i: number) => number }[],
  opts: { ops: number; rounds: number; warmupOps: number },
): Measurement[] {
  for (const c of candidates) timeRound(c.fn, opts.warmupOps);
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const c of candidates) samples.get(c.name)!.push(timeRound(c.fn, opts.ops));
  }
  return candidates.map((c) => {
    const rounds = samples.get(c.name)!;
    return { name: c.name, nsPerOp: median(rounds), rounds };
  });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function environment(): Record<string, string | number> {
  return {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    date: new Date().toISOString(),
  };
}

export function writeResult(name: string, data: unknown): string {
  const file = join(import.meta.dirname, "results", `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** A deterministic pseudo-random generator, so every run measures the same data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
