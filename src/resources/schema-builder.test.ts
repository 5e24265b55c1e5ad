import { describe, expect, it } from "vitest";
import {
  array,
  integer,
  nullable,
  object,
  type SameShape,
  string,
  stringMap,
  type TypeOf,
} from "./schema-builder.ts";

const sample = object("an object", {
  required: { a: string("a") },
  optional: {
    b: integer("b"),
    n: nullable(string("n")),
    l: array("l", object("item", { required: { k: string("k") } })),
    m: stringMap("m", string("v")),
  },
});
type Declared = {
  a: string;
  b?: number;
  n?: string | null;
  l?: { k: string }[];
  m?: Record<string, string>;
};

// These are checked by `npm run typecheck`: the agreement check must catch each kind of drift.
const agrees: SameShape<TypeOf<typeof sample>, Declared> = true;
// @ts-expect-error a field the type has and the schema lacks (even an optional one)
const missingOptional: SameShape<TypeOf<typeof sample>, Declared & { c?: string }> = true;
// @ts-expect-error required in the schema, optional in the type
const optionality: SameShape<TypeOf<typeof sample>, Omit<Declared, "a"> & { a?: string }> = true;
// @ts-expect-error a different value type
const valueType: SameShape<TypeOf<typeof sample>, Omit<Declared, "b"> & { b?: string }> = true;
// @ts-expect-error nullability differs
const nullability: SameShape<TypeOf<typeof sample>, Omit<Declared, "n"> & { n?: string }> = true;
type NestedDrift = Omit<Declared, "l"> & { l?: { k: string; z?: number }[] };
// @ts-expect-error a field added deep inside a list item
const nestedDrift: SameShape<TypeOf<typeof sample>, NestedDrift> = true;

describe("schema builder", () => {
  it("keeps its compile-time agreement checks (see above; `npm run typecheck` judges them)", () => {
    const checks = [agrees, missingOptional, optionality, valueType, nullability, nestedDrift];
    expect(checks).toHaveLength(6);
  });

  it("renders required and optional properties", () => {
    expect(sample.json).toMatchObject({
      type: "object",
      description: "an object",
      required: ["a"],
      properties: { a: { type: "string", description: "a" }, n: { nullable: true } },
    });
    expect(sample.json.properties?.m).toMatchObject({ additionalProperties: { type: "string" } });
  });

  it("refuses a field without a description", () => {
    expect(() => string(" ")).toThrow(/description/);
  });

  it("refuses a field that is both required and optional", () => {
    expect(() =>
      object("o", { required: { a: string("a") }, optional: { a: string("a") } }),
    ).toThrow(/both required and optional/);
  });
});
