import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DirectorySource } from "./directory-source.ts";
import type { ResourceKey, Segment } from "./types.ts";

const sources: DirectorySource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
});

function setup(files: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), "segwatch-dir-"));
  const dir = join(root, "manifests");
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const errors: Error[] = [];
  const source = new DirectorySource({
    dir,
    stateDir: join(root, "state"),
    onError: (e) => errors.push(e),
    rescanMs: 50,
  });
  sources.push(source);
  return { dir, source, errors };
}

const SEGMENT = `apiVersion: segwatch.io/v1alpha1
kind: Segment
metadata: {name: demo-segment, namespace: acme}
spec:
  segmentql: FILTER paying_user = "t" ALIAS demo_segment
`;

const segment = (name: string, ql: string, namespace = "acme"): Segment => ({
  apiVersion: "segwatch.io/v1alpha1",
  kind: "Segment",
  metadata: { name, namespace },
  spec: { segmentql: ql },
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("timed out");
}

describe("DirectorySource", () => {
  it("reads manifests with uid, generation and creation time, across multi-document files", async () => {
    const { source, errors } = setup({
      "a.yaml": `${SEGMENT}---\napiVersion: segwatch.io/v1alpha1\nkind: ProfileSchema\nmetadata: {name: default}\nspec: {identityFields: [email]}\n`,
      "ignored.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    });
    const [seg] = await source.list("Segment");
    expect(seg!.metadata).toMatchObject({ name: "demo-segment", namespace: "acme", generation: 1 });
    expect(seg!.metadata.uid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const schema = await source.get("ProfileSchema", "default", "default");
    expect(schema?.spec.identityFields).toEqual(["email"]);
    expect(errors).toEqual([]);
  });

  it("writes new resources to their own file and bumps generation only when the spec changes", async () => {
    const { dir, source } = setup();
    const created = await source.apply(segment("paying", "FILTER a == 1"));
    expect(created.metadata.generation).toBe(1);
    expect(readdirSync(join(dir, "acme"))).toEqual(["segment-paying.yaml"]);
    const same = await source.apply(segment("paying", "FILTER a == 1"));
    expect(same.metadata.generation).toBe(1);
    const changed = await source.apply(segment("paying", "FILTER a == 2"));
    expect(changed.metadata.generation).toBe(2);
    expect(changed.metadata.uid).toBe(created.metadata.uid);
    expect(await source.delete("Segment", "acme", "paying")).toBe(true);
    expect(await source.delete("Segment", "acme", "paying")).toBe(false);
    expect(readdirSync(join(dir, "acme"))).toEqual([]);
  });

  it("keeps status beside the manifests, not in them", async () => {
    const { dir, source } = setup({ "a.yaml": SEGMENT });
    await source.updateStatus("Segment", "acme", "demo-segment", {
      observedGeneration: 1,
      members: 3,
    });
    expect((await source.get("Segment", "acme", "demo-segment"))?.status).toEqual({
      observedGeneration: 1,
      members: 3,
    });
    expect(readFileSync(join(dir, "a.yaml"), "utf8")).not.toContain("members");
    await expect(source.updateStatus("Segment", "acme", "nope", {})).rejects.toThrow(
      /does not exist/,
    );
  });

  it("sees status another process writes once it rescans, and edits to a file it parsed before", async () => {
    const { dir, source } = setup({ "a.yaml": SEGMENT });
    const other = new DirectorySource({ dir, stateDir: join(dir, "..", "state"), rescanMs: 50 });
    sources.push(other);
    expect((await source.get("Segment", "acme", "demo-segment"))?.status).toBeUndefined();
    await other.updateStatus("Segment", "acme", "demo-segment", { members: 7 });
    const stop = source.watch(() => {});
    try {
      await until(
        async () => (await source.get("Segment", "acme", "demo-segment"))?.status?.members === 7,
      );
      writeFileSync(join(dir, "a.yaml"), SEGMENT.replace('"t"', '"f"'));
      await until(async () =>
        ((await source.get("Segment", "acme", "demo-segment"))?.spec.segmentql ?? "").includes(
          '"f"',
        ),
      );
    } finally {
      stop();
    }
  });

  it("updates one document of a multi-document file in place", async () => {
    const other = SEGMENT.replace("demo-segment", "other");
    const { dir, source } = setup({ "both.yaml": `${SEGMENT}---\n${other}` });
    await source.apply(segment("other", "FILTER b == 2"));
    const text = readFileSync(join(dir, "both.yaml"), "utf8");
    expect(text).toContain("demo-segment");
    expect(text).toContain("FILTER b == 2");
    expect((await source.list("Segment", "acme")).map((s) => s.metadata.name)).toEqual([
      "demo-segment",
      "other",
    ]);
  });

  it("reads and writes Secrets", async () => {
    const { source } = setup({
      "s.yaml":
        "apiVersion: v1\nkind: Secret\nmetadata: {name: hook, namespace: acme}\ndata: {token: c2VjcmV0}\nstringData: {plain: x}\n",
    });
    expect(await source.readSecret("acme", "hook")).toEqual({ token: "secret", plain: "x" });
    await source.writeSecret("acme", "new", { key: "value" });
    expect(await source.readSecret("acme", "new")).toEqual({ key: "value" });
  });

  it("skips unreadable documents with an error and keeps the rest", async () => {
    const { source, errors } = setup({
      "bad.yaml": "kind: [unclosed",
      "noname.yaml":
        "apiVersion: segwatch.io/v1alpha1\nkind: Segment\nmetadata: {}\nspec: {segmentql: x}\n",
      "good.yaml": SEGMENT,
    });
    expect((await source.list("Segment")).map((s) => s.metadata.name)).toEqual(["demo-segment"]);
    expect(errors.map((e) => e.message).join("\n")).toMatch(
      /bad.yaml[\s\S]*noname.yaml: document 1: Segment needs metadata.name/,
    );
  });

  it("tells watchers about every resource, then about edits made to the files", async () => {
    const { dir, source } = setup({ "a.yaml": SEGMENT });
    const seen: ResourceKey[] = [];
    const stop = source.watch((k) => seen.push(k));
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(check()).toBe(true);
    };
    await until(() => seen.length === 1);
    writeFileSync(join(dir, "b.yaml"), SEGMENT.replace("demo-segment", "second"));
    await until(() => seen.some((k) => k.name === "second"));
    stop();
  });
});
