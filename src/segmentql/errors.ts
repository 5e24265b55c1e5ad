// The errors SegmentQL reports. Every error carries the position it is about, so the controller can put
// "line:column" into a status condition and the CLI into its answer.

import type { Position } from "./ast.ts";

export type SegmentQLErrorCode =
  | "SYNTAX"
  | "UNKNOWN_FUNCTION"
  | "UNSUPPORTED_FUNCTION"
  | "FUNCTION_ARGUMENTS"
  | "UNKNOWN_INCLUDE"
  | "INCLUDE_CYCLE"
  | "UNSUPPORTED";

export class SegmentQLError extends Error {
  readonly code: SegmentQLErrorCode;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  /** The message without the position prefix. */
  readonly detail: string;

  constructor(code: SegmentQLErrorCode, detail: string, pos: Position, options?: ErrorOptions) {
    super(`${positionLabel(pos)}: ${detail}`, options);
    this.name = "SegmentQLError";
    this.code = code;
    this.detail = detail;
    this.line = pos.line;
    this.column = pos.column;
    this.offset = pos.offset;
  }
}

/** A statement that does not follow the grammar. */
export class SegmentQLSyntaxError extends SegmentQLError {
  /** What the parser expected at the position, e.g. `")"` or `a value`. */
  readonly expected: string | undefined;

  constructor(detail: string, pos: Position, expected?: string) {
    super("SYNTAX", detail, pos);
    this.name = "SegmentQLSyntaxError";
    this.expected = expected;
  }
}

export function positionLabel(pos: Position): string {
  return `${pos.line}:${pos.column}`;
}
