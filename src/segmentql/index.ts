// The public surface of the SegmentQL engine.

export type { FieldRefs } from "./analysis.ts";
export type { Expr, FilterStatement, Position } from "./ast.ts";
export {
  type Backend,
  type CompiledSegment,
  type CompileOptions,
  compileSegment,
} from "./compile.ts";
export { SegmentQLError, type SegmentQLErrorCode, SegmentQLSyntaxError } from "./errors.ts";
export { type Profile, propertyKey } from "./fields.ts";
export type { IncludeResolver, MissingIncludePolicy } from "./link.ts";
export { type ParseOptions, parseExpression, parseStatement, parseStatements } from "./parser.ts";
export { printExpr, printStatement } from "./printer.ts";
export { type Coercion, coerceToType, type FieldTypes } from "./schema.ts";
export { FIELD_TYPES, type FieldType, parseFieldType } from "./values.ts";
