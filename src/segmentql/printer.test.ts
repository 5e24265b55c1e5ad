import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterStatement, stripPositions } from "../../test/support/segmentql-arbitraries.ts";
import { parseStatement } from "./parser.ts";
import { printStatement } from "./printer.ts";

const roundTrip = (text: string) => printStatement(parseStatement(text));

describe("printStatement", () => {
  it("prints the canonical form of the brief's segment", () => {
    expect(
      roundTrip(
        '-- Paying Users Segment\nFILTER AND (\npaying_user = "t"\n)\nFROM user\nALIAS demo_segment',
      ),
    ).toBe('-- Paying Users Segment\nFILTER paying_user == "t" FROM user ALIAS demo_segment');
    expect(
      roundTrip("FILTER AND ( score_momentum > 25, score_quantity > 25 ) ALIAS seg_webhook1"),
    ).toBe("FILTER AND ( score_momentum > 25, score_quantity > 25 ) ALIAS seg_webhook1");
  });

  it("keeps parentheses that carry meaning and drops the rest", () => {
    expect(roundTrip("FILTER (a == 1 OR b == 2) AND c == 3")).toBe(
      "FILTER (a == 1 OR b == 2) AND c == 3",
    );
    expect(roundTrip("FILTER (a == 1) AND (c == 3)")).toBe("FILTER a == 1 AND c == 3");
    expect(roundTrip("FILTER AND ( (a == 1 AND (b == 2 OR c == 3)), d == 4 )")).toBe(
      "FILTER AND ( (a == 1 AND (b == 2 OR c == 3)), d == 4 )",
    );
    expect(roundTrip('FILTER NOT (tolower(x) == "a")')).toBe('FILTER NOT (tolower(x) == "a")');
  });

  it("quotes names and strings only where needed", () => {
    expect(roundTrip('FILTER `has space` == "say ""hi"""')).toBe(
      'FILTER `has space` == "say \\"hi\\""',
    );
    expect(roundTrip("FILTER `last.event`.`has.period` > 1")).toBe(
      "FILTER `last.event`.`has.period` > 1",
    );
    expect(roundTrip("FILTER `from` == 1")).toBe("FILTER `from` == 1");
  });

  it("parses its own output back to the same tree (property)", () => {
    fc.assert(
      fc.property(filterStatement, (stmt) => {
        const text = printStatement(stmt);
        const reparsed = parseStatement(text, { strictFunctions: true });
        expect(stripPositions(reparsed), text).toEqual(stripPositions(stmt));
      }),
      { numRuns: 2000 },
    );
  });
});
