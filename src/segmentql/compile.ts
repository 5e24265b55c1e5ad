// compileSegment: SegmentQL text (or a parsed statement) to a fast matcher plus the facts the
// evaluator schedules by — referenced fields, time dependence, next boundary.

import { analyzeTime, type FieldRefs, referencedFields } from "./analysis.ts";
import type { FilterStatement } from "./ast.ts";
import { type ClosureEnv, compileClosureMatcher } from "./closures.ts";
import { compileGenerated } from "./codegen.ts";
import { compileConditionList } from "./condition-list.ts";
import type { Profile } from "./fields.ts";
import {
  type IncludeResolver,
  type IncludeTable,
  linkIncludes,
  type MissingIncludePolicy,
} from "./link.ts";
import { parseStatement } from "./parser.ts";
import type { FieldTypes } from "./schema.ts";

export interface CompileOptions {
  /** Declared field types (a namespace's ProfileSchema). */
  readonly types?: FieldTypes;
  /** Resolves INCLUDE names to segments. */
  readonly includes?: IncludeResolver;
  /**
   * What an INCLUDE of an unknown segment does: "error" (the default) refuses to compile; "not-ok"
   * compiles it to qlbridge's runtime behaviour (the INCLUDE never matches, even under NOT).
   */
  readonly missingInclude?: MissingIncludePolicy;
  /** Reject unknown functions at compile time (default true); false evaluates them as not ok. */
  readonly strictFunctions?: boolean;
  /**
   * "generated" (the default) compiles to one JavaScript function; "closures" to a closure tree;
   * "conditions" evaluates field-versus-literal comparisons under AND, OR and NOT as a list with
   * one shared loop (condition-list.ts: for holders of many segments) and generates code for
   * anything else.
   */
  readonly backend?: Backend;
}

export type Backend = "generated" | "closures" | "conditions";

export interface CompiledSegment {
  readonly statement: FilterStatement;
  /** The statement's ALIAS (lower-cased), if any. */
  readonly alias: string | undefined;
  /** Profile keys the segment reads, INCLUDEs expanded. */
  readonly fields: FieldRefs;
  /** Lower-cased names of every segment included, directly or not. */
  readonly includes: readonly string[];
  /** True when the result can change with time alone (date math, now(), time functions). */
  readonly timeDependent: boolean;
  /** Whether the profile is a member at `now` (epoch ms, default the current time). */
  matches(profile: Profile, now?: number): boolean;
  /** The next instant after `now` at which the result can flip without a profile change, or null. */
  nextBoundary(profile: Profile, now?: number): number | null;
}

export function compileSegment(
  source: string | FilterStatement,
  options: CompileOptions = {},
): CompiledSegment {
  const statement =
    typeof source === "string"
      ? parseStatement(
          source,
          options.strictFunctions === undefined
            ? undefined
            : { strictFunctions: options.strictFunctions },
        )
      : source;
  const includes = linkIncludes(statement, {
    ...(options.includes ? { includes: options.includes } : {}),
    ...(options.missingInclude ? { missingInclude: options.missingInclude } : {}),
    ...(options.strictFunctions === undefined ? {} : { strictFunctions: options.strictFunctions }),
  });
  const env: ClosureEnv = { types: options.types, includes };
  const time = analyzeTime(statement.filter, env);
  const match = buildMatcher(statement, env, options.backend ?? "generated");
  return {
    statement,
    alias: statement.alias,
    fields: referencedFields(statement.filter, includes),
    includes: [...includes.keys()],
    timeDependent: time.timeDependent,
    matches: match,
    nextBoundary: (profile, now = Date.now()) => time.nextBoundary(profile, now),
  };
}

function buildMatcher(
  statement: FilterStatement,
  env: ClosureEnv,
  backend: Backend,
): (profile: Profile, now?: number) => boolean {
  if (backend === "closures") {
    const m = compileClosureMatcher(statement.filter, env);
    return (profile, now = Date.now()) => m({ profile, now });
  }
  if (backend === "conditions") {
    const m = compileConditionList(statement.filter, env);
    if (m) return m;
  }
  // The generated function is the matcher itself: no wrapper between the caller and the code.
  return compileGenerated(statement.filter, env).match;
}

export type { IncludeTable };
