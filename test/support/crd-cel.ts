// Evaluates the x-kubernetes-validations rules of a CRD schema offline with @marcbachmann/cel-js, the
// way the API server applies them: each rule with `self` bound to the value at its node, for every
// element of lists and every value of maps; nodes whose value is absent are skipped.

import { evaluate } from "@marcbachmann/cel-js";
import type { JSONSchemaProps } from "../../src/resources/schema-builder.ts";

export interface RuleFailure {
  /** Where the rule sits ("spec.webhook.url"). */
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

export function celFailures(schema: JSONSchemaProps, value: unknown, path = ""): RuleFailure[] {
  if (value === undefined || value === null) return [];
  const failures: RuleFailure[] = [];
  for (const r of schema["x-kubernetes-validations"] ?? []) {
    let ok: unknown;
    try {
      ok = evaluate(r.rule, { self: value });
    } catch (err) {
      throw new Error(
        `CEL rule at ${path || "(root)"} failed to evaluate: ${r.rule}: ${(err as Error).message}`,
      );
    }
    if (ok !== true) failures.push({ path, rule: r.rule, message: r.message });
  }
  const join = (key: string) => (path ? `${path}.${key}` : key);
  if (Array.isArray(value) && schema.items) {
    for (const [i, v] of value.entries())
      failures.push(...celFailures(schema.items, v, `${path}[${i}]`));
  } else if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      failures.push(...celFailures(sub, obj[key], join(key)));
    }
    if (schema.additionalProperties) {
      for (const [key, v] of Object.entries(obj)) {
        failures.push(...celFailures(schema.additionalProperties, v, join(key)));
      }
    }
  }
  return failures;
}

/** Every rule string of a schema, with where it sits. */
export function allRules(schema: JSONSchemaProps, path = ""): { path: string; rule: string }[] {
  const out = (schema["x-kubernetes-validations"] ?? []).map((r) => ({ path, rule: r.rule }));
  const join = (key: string) => (path ? `${path}.${key}` : key);
  for (const [key, sub] of Object.entries(schema.properties ?? {}))
    out.push(...allRules(sub, join(key)));
  if (schema.items) out.push(...allRules(schema.items, `${path}[]`));
  if (schema.additionalProperties) out.push(...allRules(schema.additionalProperties, join("*")));
  return out;
}
