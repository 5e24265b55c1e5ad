import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSegment } from "./compile.ts";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const H = 3_600_000;
const D = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();

describe("referenced fields", () => {
  it("lists top-level keys, both readings of a dotted name, and included segments' fields", () => {
    const seg = compileSegment(
      'FILTER AND ( a == 1, m.k > 2, `x`.`y` == 3, tolower(n) == "z", INCLUDE s )',
      {
        includes: () => "FILTER q == 1",
      },
    );
    expect([...seg.fields.names].sort()).toEqual(["a", "m", "m.k", "n", "q", "x"]);
  });
});

describe("time dependence", () => {
  it("is true for date math against a time, and false where no time can be compared", () => {
    expect(compileSegment('FILTER d > "now-1d"', { types: { d: "time" } }).timeDependent).toBe(
      true,
    );
    expect(compileSegment('FILTER d > "now-1d"').timeDependent).toBe(false);
    expect(compileSegment('FILTER name == "now-1d"', { types: { d: "time" } }).timeDependent).toBe(
      false,
    );
    expect(
      compileSegment('FILTER d BETWEEN "now-2d" AND "2030-01-01"', { types: { d: "time" } })
        .timeDependent,
    ).toBe(true);
    expect(compileSegment("FILTER hourofday() == 5").timeDependent).toBe(true);
    expect(compileSegment("FILTER d < now()", { types: { d: "time" } }).timeDependent).toBe(true);
    expect(
      compileSegment("FILTER INCLUDE recent", {
        types: { d: "time" },
        includes: () => 'FILTER d > "now-1h"',
      }).timeDependent,
    ).toBe(true);
    expect(compileSegment("FILTER x > 5").timeDependent).toBe(false);
  });
});

describe("nextBoundary", () => {
  const types = { last_event: "time" } as const;

  it("finds when last_event < now-1d becomes true (the qlbridge example), to the second", () => {
    const seg = compileSegment('FILTER last_event < "now-1d"', { types });
    const p = { last_event: iso(NOW - 12 * H) };
    expect(seg.matches(p, NOW)).toBe(false);
    // qlbridge says now+12h; comparisons are in whole seconds, so it is true one second later.
    const b = seg.nextBoundary(p, NOW)!;
    expect(b).toBe(NOW + 12 * H + 1000);
    expect(seg.matches(p, b - 1)).toBe(false);
    expect(seg.matches(p, b)).toBe(true);
  });

  it("finds an exit, and nothing once the result can no longer change", () => {
    const seg = compileSegment('FILTER last_event > "now-7d"', { types });
    const p = { last_event: iso(NOW - 2 * D) };
    expect(seg.nextBoundary(p, NOW)).toBe(NOW + 5 * D);
    const old = { last_event: iso(NOW - 9 * D) };
    expect(seg.matches(old, NOW)).toBe(false);
    expect(seg.nextBoundary(old, NOW)).toBeNull();
    expect(seg.nextBoundary({}, NOW)).toBeNull();
  });

  it("handles BETWEEN with one date-math bound, which qlbridge misses", () => {
    const seg = compileSegment('FILTER last_event BETWEEN "now-2d" AND "2030-01-01"', { types });
    const p = { last_event: iso(NOW - D) };
    expect(seg.matches(p, NOW)).toBe(true);
    expect(seg.nextBoundary(p, NOW)).toBe(NOW + D);
  });

  it("steps through calendar ticks for time functions", () => {
    const seg = compileSegment("FILTER hourofday() == 15");
    expect(seg.nextBoundary({}, NOW)).toBe(NOW + 3 * H);
  });
});

/** Segments whose result depends on time, over a time field `t` and a list of times `ts`. */
const timeSegment = fc
  .record({
    field: fc.constantFrom("t", "ts"),
    op: fc.constantFrom(">", ">=", "<", "<=", "==", "!="),
    sign: fc.constantFrom("-", "+"),
    n: fc.integer({ min: 0, max: 40 }),
    unit: fc.constantFrom("s", "m", "h", "d", "w", "M", "y"),
    between: fc.boolean(),
    n2: fc.integer({ min: 1, max: 40 }),
  })
  .map(({ field, op, sign, n, unit, between, n2 }) =>
    between
      ? `FILTER ${field} BETWEEN "now-${n + n2}${unit}" AND "now${sign}${n}${unit}"`
      : `FILTER ${field} ${op} "now${sign}${n}${unit}"`,
  );

const instant = fc.integer({ min: NOW - 800 * D, max: NOW + 800 * D });

describe("nextBoundary (property)", () => {
  it("is never late: the result does not change before the boundary", () => {
    fc.assert(
      fc.property(
        timeSegment,
        instant,
        fc.array(instant, { maxLength: 3 }),
        fc.integer({ min: 0, max: 999 }),
        (ql, t, ts, ms) => {
          const seg = compileSegment(ql, { types: { t: "time", ts: "[]time" } });
          const now = NOW + ms;
          const p = { t: iso(t), ts: ts.map(iso) };
          const before = seg.matches(p, now);
          const b = seg.nextBoundary(p, now);
          const horizon = b ?? now + 3 * 366 * D;
          if (b !== null) expect(b).toBeGreaterThan(now);
          // Sample the interval densely near its ends, where an off-by-one would show.
          const samples = [now + 1, now + 1000, horizon - 1001, horizon - 1, (now + horizon) / 2];
          for (let i = 1; i < 16; i++) samples.push(now + ((horizon - now) * i) / 16);
          for (const s of samples) {
            if (s > now && s < horizon)
              expect(seg.matches(p, Math.floor(s)), `${ql} at ${iso(s)}`).toBe(before);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("is exact for one comparison against one time: the result flips at the boundary", () => {
    fc.assert(
      fc.property(
        timeSegment.filter((q) => q.startsWith("FILTER t ") && !q.includes("BETWEEN")),
        instant,
        (ql, t) => {
          const seg = compileSegment(ql, { types: { t: "time" } });
          const p = { t: iso(t) };
          const b = seg.nextBoundary(p, NOW);
          if (b !== null) expect(seg.matches(p, b), ql).toBe(!seg.matches(p, NOW));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
