// Readiness, one way for every process: the API's /readyz, the health port of the controller and the
// evaluator. A check names what it looks at and says what is wrong, or nothing; the process is ready
// when every check is fine.

import type { NatsConnection } from "@nats-io/transport-node";

export interface ReadinessCheck {
  readonly name: string;
  /** undefined when fine; otherwise what is wrong. */
  readonly problem: () => string | undefined;
}

/** What /readyz answers: every check's verdict ("ok" or what is wrong), ready when all are ok. */
export interface Readiness {
  readonly ready: boolean;
  readonly body: { readonly status: "ok" | "unavailable"; readonly checks: Record<string, string> };
}

/** Runs the checks (pure but for what they read): one answer for every process's /readyz. */
export function readiness(checks: readonly ReadinessCheck[]): Readiness {
  const results: Record<string, string> = {};
  let ready = true;
  for (const c of checks) {
    const problem = c.problem();
    results[c.name] = problem ?? "ok";
    if (problem) ready = false;
  }
  return { ready, body: { status: ready ? "ok" : "unavailable", checks: results } };
}

/** A check that fails once `stopping()` says the process is shutting down. */
export function shutdownCheck(stopping: () => boolean, name = "shutdown"): ReadinessCheck {
  return { name, problem: () => (stopping() ? "shutting down" : undefined) };
}

/** Follows a NATS connection's status events: ready only while connected. */
export function natsConnectivity(nc: NatsConnection): ReadinessCheck & { stop(): void } {
  let connected = !nc.isClosed();
  const events = nc.status();
  void (async () => {
    try {
      for await (const s of events) {
        if (s.type === "disconnect" || s.type === "close") connected = false;
        else if (s.type === "reconnect") connected = true;
      }
    } catch {
      connected = false;
    }
  })();
  return {
    name: "nats",
    problem: () => {
      if (nc.isClosed()) return "the NATS connection is closed";
      if (!connected) return "NATS is disconnected (reconnecting)";
      return undefined;
    },
    stop: () => (events as { stop?: () => void }).stop?.(),
  };
}
