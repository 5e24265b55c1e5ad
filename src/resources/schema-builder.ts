// A typed builder for the structural OpenAPI v3 schemas of the CRDs. Every node carries the
// TypeScript type of the values it admits (a phantom type), so that crd-schema.ts can ask the
// compiler whether a schema and the resource types of types.ts describe the same shape: a field added
// to one and not the other fails `npm run typecheck`. Every builder takes the field's description
// first, so no field can be left undocumented.

/** One x-kubernetes-validations entry: a CEL rule evaluated with `self` bound to the node. */
export interface ValidationRule {
  readonly rule: string;
  /** Shown to the user when the rule is false. */
  readonly message: string;
  /** The field the error is reported on, relative to the node (".webhook"). */
  readonly fieldPath?: string;
  /** The API status reason ("FieldValueInvalid", "FieldValueRequired", "FieldValueForbidden"). */
  readonly reason?: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden";
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps these CRDs use. */
export interface JSONSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "boolean";
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  enum?: string[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  default?: unknown;
  "x-kubernetes-validations"?: ValidationRule[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
}

declare const valueType: unique symbol;

/** A schema node admitting values of type T. */
export interface Schema<T> {
  readonly json: JSONSchemaProps;
  /** Never set: carries T for the compiler only. */
  readonly [valueType]?: T;
}

/** The TypeScript type a schema admits. */
export type TypeOf<S> = S extends Schema<infer T> ? T : never;

interface Common {
  rules?: readonly ValidationRule[];
}

function node<T>(description: string, json: JSONSchemaProps, common: Common = {}): Schema<T> {
  if (description.trim() === "") throw new Error("schema-builder: every field needs a description");
  const out: JSONSchemaProps = { description, ...json };
  if (common.rules && common.rules.length > 0) out["x-kubernetes-validations"] = [...common.rules];
  return { json: out };
}

export interface StringOptions extends Common {
  pattern?: string;
  minLength?: number;
  /** Also bounds the cost the API server estimates for CEL rules over the string. */
  maxLength?: number;
  format?: "date-time";
  default?: string;
}

export function string(description: string, opts: StringOptions = {}): Schema<string> {
  const { rules, ...rest } = opts;
  return node(description, { type: "string", ...rest }, { rules: rules ?? [] });
}

export function enumOf<const V extends readonly string[]>(
  description: string,
  values: V,
  opts: Common & { default?: V[number] } = {},
): Schema<V[number]> {
  const { rules, ...rest } = opts;
  return node(description, { type: "string", enum: [...values], ...rest }, { rules: rules ?? [] });
}

export interface IntegerOptions extends Common {
  minimum?: number;
  maximum?: number;
  format?: "int32" | "int64";
  default?: number;
}

export function integer(description: string, opts: IntegerOptions = {}): Schema<number> {
  const { rules, ...rest } = opts;
  return node(description, { type: "integer", ...rest }, { rules: rules ?? [] });
}

export function boolean(
  description: string,
  opts: Common & { default?: boolean } = {},
): Schema<boolean> {
  const { rules, ...rest } = opts;
  return node(description, { type: "boolean", ...rest }, { rules: rules ?? [] });
}

export interface ArrayOptions<T> extends Common {
  minItems?: number;
  maxItems?: number;
  listType?: "atomic" | "set" | "map";
  listMapKeys?: string[];
  default?: T[];
}

export function array<T>(
  description: string,
  items: Schema<T>,
  opts: ArrayOptions<T> = {},
): Schema<T[]> {
  const { rules, listType, listMapKeys, ...rest } = opts;
  const json: JSONSchemaProps = { type: "array", items: items.json, ...rest };
  if (listType) json["x-kubernetes-list-type"] = listType;
  if (listMapKeys) json["x-kubernetes-list-map-keys"] = listMapKeys;
  return node(description, json, { rules: rules ?? [] });
}

export interface MapOptions extends Common {
  maxProperties?: number;
}

/** An object with free keys and uniform values (a Go map[string]T). */
export function stringMap<T>(
  description: string,
  values: Schema<T>,
  opts: MapOptions = {},
): Schema<Record<string, T>> {
  const { rules, ...rest } = opts;
  return node(
    description,
    { type: "object", additionalProperties: values.json, ...rest },
    { rules: rules ?? [] },
  );
}

type Fields = Record<string, Schema<unknown>>;

/** The object type with `R` required and `O` optional. */
export type ObjectOf<R extends Fields, O extends Fields> = {
  [K in keyof R]: TypeOf<R[K]>;
} & { [K in keyof O]?: TypeOf<O[K]> };

export function object<R extends Fields = {}, O extends Fields = {}>(
  description: string,
  fields: { required?: R; optional?: O },
  opts: Common = {},
): Schema<ObjectOf<R, O>> {
  const required = fields.required ?? ({} as R);
  const optional = fields.optional ?? ({} as O);
  for (const name of Object.keys(required)) {
    if (name in optional)
      throw new Error(`schema-builder: field "${name}" is both required and optional`);
  }
  const properties: Record<string, JSONSchemaProps> = {};
  for (const [name, schema] of [...Object.entries(required), ...Object.entries(optional)]) {
    properties[name] = schema.json;
  }
  const json: JSONSchemaProps = { type: "object", properties };
  const requiredNames = Object.keys(required);
  if (requiredNames.length > 0) json.required = requiredNames;
  return node(description, json, opts);
}

/** Admits null as well (a field the controller clears by writing null). */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return { json: { ...schema.json, nullable: true } };
}

/** Adds validation rules to an existing node. */
export function withRules<T>(schema: Schema<T>, rules: readonly ValidationRule[]): Schema<T> {
  const existing = schema.json["x-kubernetes-validations"] ?? [];
  return { json: { ...schema.json, "x-kubernetes-validations": [...existing, ...rules] } };
}

// ---- type equality, for the compile-time checks in crd-schema.ts ----------------------------------

/** Flattens intersections and nested objects so that equal shapes compare equal. */
export type Normalize<T> = T extends readonly (infer E)[]
  ? Normalize<E>[]
  : T extends object
    ? { [K in keyof T]: Normalize<T[K]> }
    : T;

/** true when A and B are the same type after normalizing (optionality and readonly included). */
export type SameShape<A, B> =
  (<X>() => X extends Normalize<A> ? 1 : 2) extends <X>() => X extends Normalize<B> ? 1 : 2
    ? true
    : false;
