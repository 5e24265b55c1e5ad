// The controller against a real nats-server and a folder of manifests: segments and profile schemas.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SchemaRecord, SegmentRecord, SegmentStats } from "../../src/controller/records.ts";
import { statusKey } from "../../src/nats/names.ts";
import { ResourceNotFoundError } from "../../src/resources/source.ts";
import {
  type Env,
  registryKey,
  schemaYaml,
  segmentYaml,
  startEnv,
  until,
} from "./controller-helpers.ts";

describe("controller: segments and profile schemas", () => {
  let env: Env;

  beforeAll(async () => {
    env = await startEnv();
  });

  afterAll(async () => {
    await env?.close();
  });

  it("registers applied manifests and reports Ready with the compiled facts", async () => {
    env.write("schema.yaml", schemaYaml({ last_visit: "time", score_momentum: "int" }));
    env.write(
      "demo.yaml",
      segmentYaml(
        "demo-segment",
        '-- Paying Users\nFILTER AND ( paying_user = "t" ) FROM user ALIAS demo_segment',
      ),
    );
    const seg = await env.ready("Segment", "demo-segment");
    const id = seg.metadata.uid!.replaceAll("-", "");
    expect(seg.status).toMatchObject({
      observedGeneration: 1,
      id,
      slug: "demo_segment",
      fields: ["paying_user"],
      timeDependent: false,
      members: 0,
    });
    expect(seg.status?.conditions?.[0]).toMatchObject({
      type: "Ready",
      status: "True",
      reason: "Compiled",
      observedGeneration: 1,
    });
    expect(await env.registry<SegmentRecord>(registryKey.segment("acme", id))).toEqual({
      id,
      namespace: "acme",
      name: "demo-segment",
      slug: "demo_segment",
      segmentql: seg.spec.segmentql,
      generation: 1,
    });
    await env.ready("ProfileSchema", "default");
    expect(await env.registry<SchemaRecord>(registryKey.schema("acme"))).toEqual({
      namespace: "acme",
      identityFields: ["user_id", "email"],
      fields: { last_visit: "time", score_momentum: "int" },
    });
  });

  it("reports invalid SegmentQL with its position and unregisters the segment", async () => {
    env.write("flaky.yaml", segmentYaml("flaky", 'FILTER paying_user = "t" ALIAS flaky'));
    const ok = await env.ready("Segment", "flaky");
    const key = registryKey.segment("acme", ok.status!.id!);
    expect(await env.registry(key)).toBeDefined();

    env.write("flaky.yaml", segmentYaml("flaky", "FILTER AND (\n  paying_user = \n) ALIAS flaky"));
    const bad = await env.ready("Segment", "flaky", "False");
    const ready = bad.status!.conditions!.find((c) => c.type === "Ready")!;
    expect(ready.reason).toBe("InvalidSegmentQL");
    expect(ready.message).toMatch(/^\d+:\d+: /);
    expect(ready.observedGeneration).toBe(2);
    expect(bad.status?.fields).toBeUndefined();
    await until("the record is removed", async () => (await env.registry(key)) === undefined);

    env.write("flaky.yaml", segmentYaml("flaky", 'FILTER paying_user = "f" ALIAS flaky'));
    const fixed = await env.ready("Segment", "flaky");
    expect(fixed.metadata.generation).toBe(3);
    expect(await env.registry<SegmentRecord>(key)).toMatchObject({ generation: 3 });
  });

  it("re-reconciles a segment when the segment it INCLUDEs appears and changes", async () => {
    env.write(
      "includer.yaml",
      segmentYaml("includer", 'FILTER AND (INCLUDE big_spenders, country = "NZ")'),
    );
    const waiting = await env.ready("Segment", "includer", "False");
    const ready = waiting.status!.conditions!.find((c) => c.type === "Ready")!;
    expect(ready.reason).toBe("IncludeNotFound");
    expect(ready.message).toMatch(/^1:\d+: unknown segment "big_spenders"/);

    env.write("big.yaml", segmentYaml("big-spenders", "FILTER spend > 100 ALIAS big_spenders"));
    const included = await env.ready("Segment", "includer");
    expect(included.status?.fields).toEqual(["country", "spend"]);

    env.write(
      "big.yaml",
      segmentYaml("big-spenders", "FILTER lifetime_value > 100 ALIAS big_spenders"),
    );
    await until("the includer's fields follow the included segment", async () => {
      const s = await env.get("Segment", "includer");
      return s?.status?.fields?.includes("lifetime_value") ? s : undefined;
    });

    env.write(
      "cycle.yaml",
      segmentYaml("big-spenders", "FILTER INCLUDE includer ALIAS big_spenders"),
    );
    env.remove("big.yaml");
    const cyc = await env.ready("Segment", "includer", "False");
    expect(cyc.status!.conditions![0]!.reason).toBe("IncludeCycle");
    env.remove("cycle.yaml");
    await until("includer reports the segment missing again", async () => {
      const s = await env.get("Segment", "includer");
      return s?.status?.conditions?.[0]?.reason === "IncludeNotFound" ? s : undefined;
    });
  });

  it("makes the later of two segments with one slug DuplicateSlug until the first goes", async () => {
    env.write("dup1.yaml", segmentYaml("dup-first", "FILTER a = 1", "  slug: shared\n"));
    await env.ready("Segment", "dup-first");
    env.write("dup2.yaml", segmentYaml("dup-second", "FILTER b = 1 ALIAS shared"));
    const second = await env.ready("Segment", "dup-second", "False");
    expect(second.status!.conditions![0]).toMatchObject({ reason: "DuplicateSlug" });
    expect(second.status!.conditions![0]!.message).toContain("dup-first");

    env.remove("dup1.yaml");
    const now = await env.ready("Segment", "dup-second");
    expect(now.status?.slug).toBe("shared");
  });

  it("recompiles the namespace's segments when the schema changes", async () => {
    env.write("other-ns.yaml", segmentYaml("recent", 'FILTER seen > "now-7d"', "", "beta"));
    const before = await env.ready("Segment", "recent", "True", "beta");
    expect(before.status?.timeDependent).toBe(false);

    env.write("beta-schema.yaml", schemaYaml({ seen: "time" }, "beta"));
    await until("the segment is time-dependent once seen is a time", async () => {
      const s = await env.get("Segment", "recent", "beta");
      return s?.status?.timeDependent === true ? s : undefined;
    });
    expect(await env.registry<SchemaRecord>(registryKey.schema("beta"))).toMatchObject({
      fields: { seen: "time" },
    });

    env.remove("beta-schema.yaml");
    await until("the schema is unregistered", async () =>
      (await env.registry(registryKey.schema("beta"))) === undefined ? true : undefined,
    );
    await until("the segment is recompiled without types", async () => {
      const s = await env.get("Segment", "recent", "beta");
      return s?.status?.timeDependent === false ? s : undefined;
    });
  });

  it("reports an invalid or extra ProfileSchema as not Ready", async () => {
    env.write(
      "gamma.yaml",
      `apiVersion: segwatch.io/v1alpha1
kind: ProfileSchema
metadata: {name: default, namespace: gamma}
spec: {fields: {x: nonsense}}
---
apiVersion: segwatch.io/v1alpha1
kind: ProfileSchema
metadata: {name: second, namespace: gamma}
spec: {}
`,
    );
    const bad = await env.ready("ProfileSchema", "default", "False", "gamma");
    expect(bad.status!.conditions![0]).toMatchObject({ reason: "InvalidSpec" });
    expect(bad.status!.conditions![0]!.message).toContain("spec.fields.x");
    const extra = await env.ready("ProfileSchema", "second", "False", "gamma");
    expect(extra.status!.conditions![0]!.message).toContain("metadata.name");
    expect(await env.registry(registryKey.schema("gamma"))).toBeUndefined();
  });

  it("shows members counted by the evaluators", async () => {
    const seg = await env.ready("Segment", "demo-segment");
    const stats: SegmentStats = { members: 1234, updatedAt: new Date().toISOString() };
    await env.buckets.status.put(statusKey.segment("acme", seg.status!.id!), JSON.stringify(stats));
    await until("members reach status", async () => {
      const s = await env.get("Segment", "demo-segment");
      return s?.status?.members === 1234 ? s : undefined;
    });
  });

  it("unregisters a deleted segment, also one deleted while the controller was down", async () => {
    env.write("gone.yaml", segmentYaml("gone", "FILTER a = 1"));
    env.write("gone-later.yaml", segmentYaml("gone-later", "FILTER a = 2"));
    const gone = await env.ready("Segment", "gone");
    const later = await env.ready("Segment", "gone-later");
    env.remove("gone.yaml");
    await until("the record of a deleted segment goes", async () =>
      (await env.registry(registryKey.segment("acme", gone.status!.id!))) === undefined
        ? true
        : undefined,
    );

    await env.stopController();
    env.remove("gone-later.yaml");
    expect(await env.registry(registryKey.segment("acme", later.status!.id!))).toBeDefined();
    await env.startController();
    await until("garbage collection removes it after the restart", async () =>
      (await env.registry(registryKey.segment("acme", later.status!.id!))) === undefined
        ? true
        : undefined,
    );
    expect(env.errors).toEqual([]);
  });

  it("takes a resource deleted mid-reconcile for what it is, not for a failure", async () => {
    // The race: a reconcile read the segment, then it was deleted before its status was written.
    const { source } = env;
    const original = source.updateStatus.bind(source);
    let raced = 0;
    source.updateStatus = (async (kind, namespace, name, status) => {
      if (kind === "Segment" && name === "raced" && raced++ === 0)
        throw new ResourceNotFoundError({ kind, namespace, name });
      return original(kind, namespace, name, status);
    }) as typeof source.updateStatus;
    try {
      env.write("raced.yaml", segmentYaml("raced", "FILTER visits > 3"));
      await env.ready("Segment", "raced");
      expect(raced).toBeGreaterThan(1);
      expect(env.errors.filter((e) => e.includes("Segment/acme/raced"))).toEqual([]);
    } finally {
      source.updateStatus = original;
    }
  });

  it("reports a resource its source keeps calling gone as a failure after a few quiet retries", async () => {
    const quick = await startEnv({ retryBaseMs: 5, notFoundRetries: 2 });
    try {
      const { source } = quick;
      const original = source.updateStatus.bind(source);
      source.updateStatus = (async (kind, namespace, name, status) => {
        if (kind === "Segment" && name === "contradicted")
          throw new ResourceNotFoundError({ kind, namespace, name });
        return original(kind, namespace, name, status);
      }) as typeof source.updateStatus;
      quick.write("contradicted.yaml", segmentYaml("contradicted", "FILTER visits > 3"));
      await until("the failure is reported", async () =>
        quick.errors.some((e) => e.includes("Segment/acme/contradicted")) ? true : undefined,
      );
    } finally {
      await quick.close();
    }
  });
});
