// The SegmentQL conformance table: cases derived from qlbridge's own test tables (see README.md),
// each a `segwatch segment eval` request with qlbridge's answer ("expect") and, where segwatch
// deliberately differs, segwatch's answer ("segwatch").

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  answerEvalRequest,
  type EvalRequest,
  SegmentCache,
} from "../../../src/cli/segment-eval.ts";

interface Expectation {
  readonly match?: boolean;
  readonly error?: string | boolean;
  readonly boundary?: string | null;
}

interface ConformanceCase extends EvalRequest {
  readonly expect: Expectation;
  readonly segwatch?: Expectation;
  readonly source: string;
  readonly note?: string;
  readonly quirk?: boolean;
}

const dir = join(import.meta.dirname, "cases");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".jsonl"))
  .sort();

function load(file: string): { line: number; c: ConformanceCase }[] {
  return readFileSync(join(dir, file), "utf8")
    .split("\n")
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => text.trim() !== "")
    .map(({ text, line }) => ({ line, c: JSON.parse(text) as ConformanceCase }));
}

describe("conformance table", () => {
  it("has cases", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    describe(file, () => {
      const cache = new SegmentCache();
      const conditions = new SegmentCache();
      for (const { line, c } of load(file)) {
        const want = c.segwatch ?? c.expect;
        it(`${line}: ${c.ql.replace(/\s+/g, " ").slice(0, 100)}`, () => {
          const { expect: _e, segwatch: _s, source, note: _n, quirk: _q, ...request } = c;
          const answer = answerEvalRequest(request, cache) as Record<string, unknown>;
          const context = `${source}\n${JSON.stringify(c)}\n→ ${JSON.stringify(answer)}`;
          if (want.error !== undefined && want.error !== false) {
            expect(answer.error, context).toEqual(expect.any(String));
            if (c.segwatch?.error !== undefined && typeof want.error === "string") {
              expect(String(answer.error).toLowerCase(), context).toContain(
                want.error.toLowerCase(),
              );
            }
            return;
          }
          expect(answer.error, context).toBeUndefined();
          if (want.match !== undefined) expect(answer.match, context).toBe(want.match);
          // The evaluator's backend (condition lists for ANDs, ORs and NOTs of comparisons) agrees.
          const viaConditions = answerEvalRequest(request, conditions, "conditions");
          expect(viaConditions, `conditions backend: ${context}`).toEqual(answer);
          if (c.boundary && want.boundary !== undefined) {
            const got = answer.boundary === null ? null : Date.parse(String(answer.boundary));
            const wanted = want.boundary === null ? null : Date.parse(want.boundary);
            expect(got, context).toBe(wanted);
          }
        });
      }
    });
  }
});
