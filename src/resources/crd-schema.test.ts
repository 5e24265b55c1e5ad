import { describe, expect, it } from "vitest";
import {
  CRD_CATEGORY,
  CRD_DEFINITIONS,
  customResourceDefinition,
  resourceSchema,
  SCHEMAS_MATCH_TYPES,
} from "./crd-schema.ts";
import type { JSONSchemaProps } from "./schema-builder.ts";

/** Paths of schema nodes without a description. */
function undocumented(schema: JSONSchemaProps, path: string): string[] {
  // metadata is the one exception: the API server refuses a description there (its schema is built in).
  const out = schema.description?.trim() || path === "(root).metadata" ? [] : [path];
  for (const [key, sub] of Object.entries(schema.properties ?? {}))
    out.push(...undocumented(sub, `${path}.${key}`));
  if (schema.items) out.push(...undocumented(schema.items, `${path}[]`));
  if (schema.additionalProperties)
    out.push(...undocumented(schema.additionalProperties, `${path}.*`));
  return out;
}

/** Structural-schema rules the API server enforces: every node has a type, objects list properties or a map. */
function structuralProblems(schema: JSONSchemaProps, path: string): string[] {
  const out: string[] = [];
  if (!schema.type) out.push(`${path}: no type`);
  if (
    schema.type === "object" &&
    path !== "(root).metadata" &&
    !schema.properties &&
    !schema.additionalProperties
  )
    out.push(`${path}: object without properties`);
  if (schema.type === "array" && !schema.items) out.push(`${path}: array without items`);
  for (const req of schema.required ?? []) {
    if (!schema.properties?.[req]) out.push(`${path}: required ${req} is not a property`);
  }
  for (const [key, sub] of Object.entries(schema.properties ?? {}))
    out.push(...structuralProblems(sub, `${path}.${key}`));
  if (schema.items) out.push(...structuralProblems(schema.items, `${path}[]`));
  if (schema.additionalProperties)
    out.push(...structuralProblems(schema.additionalProperties, `${path}.*`));
  return out;
}

describe("CRD schemas", () => {
  it.each(CRD_DEFINITIONS.map((d) => [d.kind, d] as const))(
    "%s documents every field",
    (_k, def) => {
      expect(undocumented(resourceSchema(def), "(root)")).toEqual([]);
    },
  );

  it.each(CRD_DEFINITIONS.map((d) => [d.kind, d] as const))("%s is structural", (_k, def) => {
    expect(structuralProblems(resourceSchema(def), "(root)")).toEqual([]);
  });

  it("agree with types.ts (checked by the compiler; see SCHEMAS_MATCH_TYPES)", () => {
    expect(Object.values(SCHEMAS_MATCH_TYPES).every((v) => v === true)).toBe(true);
  });
});

describe("CRD names and columns", () => {
  const crd = (kind: string) =>
    customResourceDefinition(CRD_DEFINITIONS.find((d) => d.kind === kind)!) as {
      metadata: { name: string };
      spec: {
        names: { shortNames?: string[]; categories: string[] };
        versions: {
          subresources: unknown;
          additionalPrinterColumns: { name: string; priority?: number }[];
        }[];
      };
    };

  it("are named <plural>.segwatch.io with the segwatch category and a status subresource", () => {
    for (const kind of ["Segment", "Subscription", "ProfileSchema"]) {
      const c = crd(kind);
      expect(c.metadata.name).toMatch(/^[a-z]+\.segwatch\.io$/);
      expect(c.spec.names.categories).toEqual([CRD_CATEGORY]);
      expect(c.spec.versions[0]!.subresources).toEqual({ status: {} });
    }
  });

  it("give Segment seg and Subscription segsub, never sub or subs", () => {
    expect(crd("Segment").spec.names.shortNames).toEqual(["seg"]);
    expect(crd("Subscription").spec.names.shortNames).toEqual(["segsub"]);
    const all = CRD_DEFINITIONS.flatMap((d) => d.shortNames);
    expect(all).not.toContain("sub");
    expect(all).not.toContain("subs");
  });

  it("print Ready, the message in wide output only, and Age", () => {
    for (const kind of ["Segment", "Subscription", "ProfileSchema"]) {
      const cols = crd(kind).spec.versions[0]!.additionalPrinterColumns;
      expect(cols[0]!.name).toBe("Ready");
      expect(cols.find((c) => c.name === "Message")?.priority).toBe(1);
      expect(cols.at(-1)!.name).toBe("Age");
    }
    const sub = crd("Subscription").spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
    expect(sub).toEqual(expect.arrayContaining(["Channel", "Segments", "Delivered"]));
    const seg = crd("Segment").spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
    expect(seg).toContain("Members");
  });
});
