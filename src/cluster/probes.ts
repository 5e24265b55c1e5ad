// Bounded readiness polling over HTTP(S), for etcd's /health and the API server's /readyz.

import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { CLUSTER_DEFAULTS } from "./defaults.ts";

export interface ProbeOptions {
  /** PEM of the CA to trust (https). */
  readonly ca?: string;
  /** Skip certificate checks: only for a loopback health endpoint whose certificate is not known. */
  readonly insecure?: boolean;
  readonly bearerToken?: string;
  readonly timeoutMs?: number;
}

export interface ProbeAnswer {
  readonly status: number;
  readonly body: string;
}

/** One GET; resolves with the answer, or with the error's message when there was none. */
export function probe(url: string, opts: ProbeOptions = {}): Promise<ProbeAnswer | string> {
  const u = new URL(url);
  const get = u.protocol === "https:" ? httpsGet : httpGet;
  return new Promise((resolve) => {
    const req = get(
      u,
      {
        // No keep-alive: a pooled socket to a server about to be stopped would only linger.
        agent: false,
        timeout: opts.timeoutMs ?? CLUSTER_DEFAULTS.probeTimeoutMs,
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        ...(opts.insecure ? { rejectUnauthorized: false } : {}),
        headers: opts.bearerToken ? { authorization: `Bearer ${opts.bearerToken}` } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) => resolve(err.message));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve(err.message));
  });
}

export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly last: string };

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Checked before each attempt: a reason to give up early (the process exited), or undefined. */
  readonly abortReason?: () => string | undefined;
}

export class WaitFailedError extends Error {
  /** The last check's complaint. */
  readonly last: string;
  constructor(message: string, last: string) {
    super(message);
    this.name = "WaitFailedError";
    this.last = last;
  }
}

/** Polls `check` until it is ok; throws WaitFailedError after the bound or on an abort reason. */
export async function waitFor(
  what: string,
  check: () => Promise<CheckResult>,
  opts: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "not checked yet";
  for (;;) {
    const abort = opts.abortReason?.();
    if (abort !== undefined) throw new WaitFailedError(`${abort} while waiting for ${what}`, last);
    const result = await check();
    if (result.ok) return;
    last = result.last;
    if (Date.now() >= deadline)
      throw new WaitFailedError(
        `${what} not reached after ${opts.timeoutMs} ms (last: ${last})`,
        last,
      );
    await sleep(opts.intervalMs ?? CLUSTER_DEFAULTS.pollIntervalMs);
  }
}

/** A check that passes when GET `url` answers 200. */
export function httpOk(url: string, opts: ProbeOptions = {}): () => Promise<CheckResult> {
  return async () => {
    const answer = await probe(url, opts);
    if (typeof answer === "string") return { ok: false, last: answer };
    if (answer.status === 200) return { ok: true };
    return { ok: false, last: `HTTP ${answer.status}: ${answer.body.slice(0, 500)}` };
  };
}
