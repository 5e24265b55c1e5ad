// How a thrown value reads in a log line or a status message, for every area (NATS and client
// errors carry their code in `code`, not always in the message).

/** A short description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = typeof code === "string" && !err.message.includes(code) ? `${code}: ` : "";
    return `${prefix}${err.message || err.name}`;
  }
  return String(err);
}
