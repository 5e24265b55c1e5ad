// Every manifest in config/samples/ (what `segwatch dev` loads) becomes Ready under the controller.
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionStats } from "../../src/controller/records.ts";
import { runStatus } from "../../src/controller/status-report.ts";
import { statusKey } from "../../src/nats/names.ts";
import { RESOURCE_KINDS, type Resource } from "../../src/resources/types.ts";
import { type Env, registryKey, startEnv, until } from "./controller-helpers.ts";

const SAMPLES = fileURLToPath(new URL("../../config/samples/", import.meta.url));

describe("controller: config/samples", () => {
  let env: Env;

  beforeAll(async () => {
    env = await startEnv();
  });

  afterAll(async () => {
    await env?.close();
  });

  it("reconciles every sample to Ready", async () => {
    const files = readdirSync(SAMPLES).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) copyFileSync(join(SAMPLES, f), join(env.dir, f));

    const all = await until("the samples are loaded", async () => {
      const out: Resource[] = [];
      for (const kind of RESOURCE_KINDS) out.push(...(await env.source.list(kind)));
      return out.length > 0 ? out : undefined;
    });
    // No evaluator runs here: report a finished backfill for samples that ask for one.
    for (const r of all) {
      if (r.kind !== "Subscription" || !r.spec.withBackfill) continue;
      const stats: SubscriptionStats = {
        delivered: 0,
        failed: 0,
        deadLettered: 0,
        lastDeliveryTime: null,
        lastError: null,
        backfill: { state: "Complete", members: 0, at: new Date().toISOString() },
      };
      const id = r.metadata.uid!.replaceAll("-", "");
      await env.buckets.status.put(
        statusKey.subscription(r.metadata.namespace, id),
        JSON.stringify(stats),
      );
    }
    for (const r of all) {
      const done = await env.ready(r.kind, r.metadata.name, "True", r.metadata.namespace);
      const id = done.metadata.uid!.replaceAll("-", "");
      if (r.kind === "Segment")
        expect(await env.registry(registryKey.segment(r.metadata.namespace, id))).toBeDefined();
      if (r.kind === "Subscription")
        expect(
          await env.registry(registryKey.subscription(r.metadata.namespace, id)),
        ).toBeDefined();
    }
    const lines: string[] = [];
    await runStatus({ source: env.source, out: (l) => lines.push(l) });
    const rows = lines.filter((l) => /^\w+\s{3}/.test(l) && !l.startsWith("NAMESPACE"));
    expect(rows.length).toBe(all.filter((r) => r.kind !== "ProfileSchema").length);
    for (const row of rows) expect(row.split(/\s{3,}/)).toContain("True");
    expect(env.errors).toEqual([]);
  });
});
