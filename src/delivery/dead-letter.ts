// The message a dead letter becomes: the original body and headers (so it can be replayed as it was),
// plus the last error and the number of attempts. Pure.

import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { HEADER } from "../nats/names.ts";

/** Header values are one line; a whole HTML error page does not belong in one either. */
export const MAX_ERROR_HEADER_CHARS = 1_024;

export function headerSafe(text: string, max = MAX_ERROR_HEADER_CHARS): string {
  const line = text.replace(/[\r\n\t\0]+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A copy of `original` without the headers named in `skip`. */
export function copyHeaders(original: MsgHdrs | undefined, skip: ReadonlySet<string>): MsgHdrs {
  const h = natsHeaders();
  if (original) {
    for (const key of original.keys()) {
      if (skip.has(key)) continue;
      for (const value of original.values(key)) h.append(key, value);
    }
  }
  return h;
}

const DEAD_LETTER_OWN: ReadonlySet<string> = new Set([HEADER.error, HEADER.attempts]);

export function deadLetterHeaders(
  original: MsgHdrs | undefined,
  error: string,
  attempts: number,
): MsgHdrs {
  const h = copyHeaders(original, DEAD_LETTER_OWN);
  h.set(HEADER.error, headerSafe(error) || "unknown error");
  h.set(HEADER.attempts, String(attempts));
  return h;
}
