// The CRDs' CEL rules and validation.ts judge the shared cases of test/support/crd-cases.ts alike.
// The API server's own verdicts on the same cases are checked in test/e2e/crd-validation.test.ts.

import { describe, expect, it } from "vitest";
import { CRD_CASES, type CrdCase, caseManifest } from "../../test/support/crd-cases.ts";
import { allRules, celFailures } from "../../test/support/crd-cel.ts";
import { CRD_DEFINITIONS, celString, resourceSchema } from "./crd-schema.ts";
import type { ProfileSchemaSpec, SegmentSpec, SubscriptionSpec } from "./types.ts";
import {
  type FieldError,
  validateProfileSchema,
  validateSegmentSpec,
  validateSubscriptionSpec,
} from "./validation.ts";

const schemaOf = (kind: CrdCase["kind"]) =>
  resourceSchema(CRD_DEFINITIONS.find((d) => d.kind === kind)!);

function segwatchErrors(c: CrdCase): FieldError[] {
  switch (c.kind) {
    case "Segment":
      return validateSegmentSpec(c.spec as unknown as SegmentSpec);
    case "Subscription":
      return validateSubscriptionSpec(c.spec as unknown as SubscriptionSpec);
    case "ProfileSchema":
      return validateProfileSchema(c.metadataName ?? "case", c.spec as ProfileSchemaSpec);
  }
}

describe("validation.ts agrees with the CRDs", () => {
  it.each(CRD_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const errors = segwatchErrors(c);
    const beyondSyntax = errors.filter((e) => e.code !== "InvalidSegmentQL");
    expect(beyondSyntax.length === 0, JSON.stringify(errors)).toBe(c.valid);
    expect(errors.some((e) => e.code === "InvalidSegmentQL")).toBe(c.segmentqlError === true);
  });
});

describe("the CEL rules, evaluated offline", () => {
  const celJudged = CRD_CASES.filter((c) => c.valid || c.rejectedBy === "cel");
  it.each(celJudged.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const failures = celFailures(schemaOf(c.kind), caseManifest(c, "ns"));
    if (c.valid) {
      expect(failures).toEqual([]);
    } else {
      expect(failures.map((f) => f.message).join("\n")).toContain(c.message);
    }
  });

  it("every rule rejects at least one case", () => {
    const failed = new Set<string>();
    for (const c of CRD_CASES.filter((x) => x.rejectedBy === "cel")) {
      for (const f of celFailures(schemaOf(c.kind), caseManifest(c, "ns"))) failed.add(f.rule);
    }
    const untested = CRD_DEFINITIONS.flatMap((d) =>
      allRules(resourceSchema(d)).map((r) => `${d.kind} ${r.path}: ${r.rule}`),
    ).filter((r) => ![...failed].some((rule) => r.endsWith(`: ${rule}`)));
    expect(untested).toEqual([]);
  });
});

describe("celString", () => {
  it("quotes backslashes and single quotes for CEL", () => {
    expect(celString("a'b\\S")).toBe("'a\\'b\\\\S'");
  });
});
