// A bounded fuzz of the parser and compiler: random text and mutations of valid statements must
// give a statement or a positioned SegmentQLError — never another exception, never a hang (the
// test's own time limit bounds it).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterStatement } from "../../test/support/segmentql-arbitraries.ts";
import { compileSegment } from "./compile.ts";
import { SegmentQLError } from "./errors.ts";
import { printStatement } from "./printer.ts";

const SEEDS = [
  '-- Paying Users Segment\nFILTER AND ( paying_user = "t" ) FROM user ALIAS demo_segment',
  "FILTER AND ( score_momentum > 25, score_quantity > 25 ) ALIAS seg_webhook1",
  'FILTER OR ( email LIKE "*@x.com", NOT tags INTERSECTS ("a", "b"), x BETWEEN 1 AND "5.5" )',
  'FILTER AND ( last_visit > "now-7d", INCLUDE other, EXISTS `a.b`.`c`, len(tags) >= 2 )',
  'SELECT * FROM user WHERE x IS NOT NULL LIMIT 5 WITH a = "b", c = 1 ALIAS s',
  'FILTER x IN ["a", 1, -2.5] OR cast(y AS int) == 3 || !exists(z) && m.k != NULL',
];

/** Tokens that steer mutations toward the grammar's corners. */
const FRAGMENTS = [
  "AND (",
  "OR (",
  "NOT ",
  ")",
  "(",
  ",",
  '"',
  "'",
  "`",
  "[",
  "]",
  "{",
  "}",
  "==",
  "!=",
  "<>",
  ">=",
  " IN ",
  " LIKE ",
  " BETWEEN ",
  " AND ",
  " EXISTS ",
  "INCLUDE ",
  "--",
  "#",
  "//",
  "/*",
  ";",
  "-",
  "0x",
  "05",
  "1e",
  ".",
  "\\",
  "\n",
  "FILTER ",
  "SELECT ",
  "FROM ",
  "ALIAS ",
  "WITH ",
  "LIMIT ",
  "NULL",
  "*",
  "match_all",
  "now-1d",
  "tolower(",
  "cast(",
];

function outcome(text: string): "ok" | "error" {
  try {
    const seg = compileSegment(text, { missingInclude: "not-ok" });
    seg.matches({ x: 1, tags: ["a"], email: "a@x.com", m: { k: "v" } }, 0);
    return "ok";
  } catch (err) {
    if (err instanceof SegmentQLError) {
      expect(err.line).toBeGreaterThanOrEqual(1);
      expect(err.column).toBeGreaterThanOrEqual(1);
      expect(err.message).toMatch(/^\d+:\d+: /);
      return "error";
    }
    throw new Error(`unexpected ${String(err)} for input ${JSON.stringify(text)}`, { cause: err });
  }
}

const mutation = fc.record({
  at: fc.nat(),
  cut: fc.nat({ max: 6 }),
  insert: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })),
});

function mutate(text: string, edits: { at: number; cut: number; insert: string }[]): string {
  let out = text;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    out = out.slice(0, at) + e.insert + out.slice(at + e.cut);
  }
  return out;
}

describe("parser fuzz", () => {
  it("survives random text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: "grapheme-ascii" }), (s) => {
        outcome(s);
        outcome(`FILTER ${s}`);
      }),
      { numRuns: 3000 },
    );
  });

  it("survives mutated valid statements", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, edits) => {
          outcome(mutate(seed, edits));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("survives mutated generated statements", () => {
    fc.assert(
      fc.property(
        filterStatement,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (stmt, edits) => {
          outcome(mutate(printStatement(stmt), edits));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
