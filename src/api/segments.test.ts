import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_VERSION } from "../resources/types.ts";
import { ANNOTATION } from "./defaults.ts";
import { auth, NOW, OTHER_TOKEN, type TestApi, TOKEN, testApi } from "./test-support.ts";

let t: TestApi;
beforeEach(async () => {
  t = await testApi();
});
afterEach(async () => {
  await t.close();
});

const BRIEF_QL = `
-- Paying Users Segment
FILTER AND (
paying_user = "t"
)
FROM user
ALIAS demo_segment
`;

const postQl = (ql: string, token = TOKEN, type = "text/plain") =>
  t.app.inject({
    method: "POST",
    url: "/api/segment",
    headers: { authorization: token, "content-type": type },
    payload: ql,
  });

describe("POST /api/segment", () => {
  it("creates a Segment named after the ALIAS, through the resource source", async () => {
    const res = await postQl(BRIEF_QL);
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({
      name: "demo_segment",
      slug: "demo_segment",
      resource_name: "demo-segment",
      account_id: "acme",
      segmentql: BRIEF_QL.trim(),
      updated: NOW.toISOString(),
      status: { ready: false, state: "Pending" },
    });
    expect(data.id).toMatch(/^[0-9a-f]{32}$/);
    const stored = await t.source.get("Segment", "acme", "demo-segment");
    expect(stored).toMatchObject({
      apiVersion: API_VERSION,
      spec: { segmentql: BRIEF_QL.trim() },
      metadata: { annotations: { [ANNOTATION.updatedAt]: NOW.toISOString() } },
    });
    expect(stored!.metadata.annotations![ANNOTATION.createdBy]).toMatch(/^[0-9a-f]{32}$/);
    // One manifest file per resource, in the namespace's folder.
    expect(readdirSync(join(t.dir, "acme"))).toEqual(["segment-demo-segment.yaml"]);
    expect(readFileSync(join(t.dir, "acme", "segment-demo-segment.yaml"), "utf8")).toMatch(
      /kind: Segment/,
    );
  });

  it("upserts by ALIAS: the same alias updates the same segment, keeping its id", async () => {
    const first = (await postQl(BRIEF_QL)).json().data;
    const again = (await postQl(BRIEF_QL)).json().data;
    expect(again.id).toBe(first.id);
    const changed = (await postQl('FILTER paying_user = "y" ALIAS demo_segment')).json().data;
    expect(changed.id).toBe(first.id);
    expect(changed.segmentql).toBe('FILTER paying_user = "y" ALIAS demo_segment');
    expect(changed.status.generation).toBe(2);
    expect(await t.source.list("Segment", "acme")).toHaveLength(1);
  });

  it("updates a segment whose slug is the alias, whatever its resource name", async () => {
    await t.source.apply({
      apiVersion: API_VERSION,
      kind: "Segment",
      metadata: { name: "paying", namespace: "acme" },
      spec: { segmentql: 'FILTER paying_user = "t" ALIAS demo_segment', description: "kept" },
    });
    const res = await postQl('FILTER paying_user = "yes" ALIAS demo_segment');
    expect(res.json().data).toMatchObject({ resource_name: "paying", description: "kept" });
    expect(await t.source.list("Segment", "acme")).toHaveLength(1);
  });

  it("accepts curl's default form content type", async () => {
    expect((await postQl(BRIEF_QL, TOKEN, "application/x-www-form-urlencoded")).statusCode).toBe(
      200,
    );
  });

  it("needs an ALIAS", async () => {
    const res = await postQl('FILTER paying_user = "t"');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: "missing_alias",
      errors: [{ field: "ALIAS", kind: "Required" }],
    });
  });

  it("reports invalid SegmentQL with its line and column (as sent)", async () => {
    const res = await postQl("\nFILTER AND (\n  paying_user = \n)\nALIAS x");
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe("invalid_segmentql");
    expect(body.errors[0]).toMatchObject({ field: "segmentql", line: 4, kind: "InvalidSegmentQL" });
    expect(body.message).toMatch(/^segmentql: 4:\d+: /);
  });

  it("refuses an empty body", async () => {
    const res = await postQl("");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errors: [{ field: "segmentql", kind: "Required" }] });
  });

  it("refuses an alias that cannot become a resource name", async () => {
    const res = await postQl(`FILTER a = 1 ALIAS ${"x".repeat(70)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "validation_failed", errors: [{ field: "ALIAS" }] });
  });

  it("refuses an alias whose resource name another segment holds", async () => {
    await t.source.apply({
      apiVersion: API_VERSION,
      kind: "Segment",
      metadata: { name: "demo-segment", namespace: "acme" },
      spec: { segmentql: "FILTER a = 1", slug: "other" },
    });
    const res = await postQl(BRIEF_QL);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: "conflict",
      message: expect.stringMatching(/ALIAS other/),
    });
  });

  it("refuses to change a subscription's inline segment", async () => {
    await t.source.apply({
      apiVersion: API_VERSION,
      kind: "Segment",
      metadata: {
        name: "test1-inline",
        namespace: "acme",
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: "Subscription",
            name: "test1",
            uid: "u",
            controller: true,
          },
        ],
      },
      spec: { segmentql: "FILTER a > 1 ALIAS seg_webhook1" },
    });
    const res = await postQl("FILTER a > 2 ALIAS seg_webhook1");
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/inline segment of subscription test1/);
  });

  it("needs a token", async () => {
    const res = await t.app.inject({ method: "POST", url: "/api/segment", payload: BRIEF_QL });
    expect(res.statusCode).toBe(401);
  });
});

describe("GET and DELETE /api/segment", () => {
  it("lists the namespace's segments with id, name = alias, QL and status", async () => {
    await postQl(BRIEF_QL);
    await postQl("FILTER score > 10 ALIAS another_segment");
    await postQl("FILTER x = 1 ALIAS beta_only", OTHER_TOKEN);
    const res = await t.app.inject({ method: "GET", url: `/api/segment?key=${TOKEN}` });
    expect(res.statusCode).toBe(200);
    const data = res.json().data as { id: string; name: string; segmentql: string }[];
    expect(data.map((d) => d.name)).toEqual(["another_segment", "demo_segment"]);
    // The brief's lookup: jq '.data[] | select(.name == "demo_segment") | .id'
    const segId = data.find((d) => d.name === "demo_segment")!.id;
    expect(segId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("shows the controller's verdict once it processed the generation", async () => {
    await postQl(BRIEF_QL);
    await t.source.updateStatus("Segment", "acme", "demo-segment", {
      observedGeneration: 1,
      members: 12,
      fields: ["paying_user"],
      timeDependent: false,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Compiled",
          message: "compiled",
          lastTransitionTime: NOW.toISOString(),
          observedGeneration: 1,
        },
      ],
    });
    const data = (
      await t.app.inject({ method: "GET", url: "/api/segment/demo_segment", headers: auth })
    ).json().data;
    expect(data.status).toMatchObject({
      ready: true,
      state: "Ready",
      reason: "Compiled",
      members: 12,
      fields: ["paying_user"],
      conditions: [{ type: "Ready", status: "True", last_transition_time: NOW.toISOString() }],
    });
  });

  it("fetches by id, slug or resource name, and 404s otherwise", async () => {
    const { id } = (await postQl(BRIEF_QL)).json().data;
    for (const ref of [id, "demo_segment", "demo-segment"]) {
      const res = await t.app.inject({ method: "GET", url: `/api/segment/${ref}`, headers: auth });
      expect(res.json().data.id).toBe(id);
    }
    const missing = await t.app.inject({ method: "GET", url: "/api/segment/nope", headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "not_found" });
    const otherNs = await t.app.inject({
      method: "GET",
      url: `/api/segment/${id}`,
      headers: { authorization: OTHER_TOKEN },
    });
    expect(otherNs.statusCode).toBe(404);
  });

  it("deletes", async () => {
    const { id } = (await postQl(BRIEF_QL)).json().data;
    const res = await t.app.inject({ method: "DELETE", url: `/api/segment/${id}`, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: "deleted", data: { id } });
    expect(await t.source.list("Segment", "acme")).toEqual([]);
    const again = await t.app.inject({
      method: "DELETE",
      url: `/api/segment/${id}`,
      headers: auth,
    });
    expect(again.statusCode).toBe(404);
  });
});
