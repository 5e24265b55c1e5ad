// The user's view of the CRDs through a real kubectl and API server: the samples apply, `kubectl get
// segwatch` lists them with the printer columns, CEL rules and the structural schema reject bad
// manifests with their messages, and the API server judges the shared cases as validation.ts does.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiException } from "@kubernetes/client-node";
import { loadAll } from "js-yaml";
import { describe, expect } from "vitest";
import { CRD_CASES, type CrdCase, caseManifest } from "../support/crd-cases.ts";
import { customObjects, kubectl, kubectlOk, REPO_ROOT, test } from "./support.ts";

const SAMPLES_DIR = join(REPO_ROOT, "config/samples");
const PLURALS = {
  Segment: "segments",
  Subscription: "subscriptions",
  ProfileSchema: "profileschemas",
};

interface Doc {
  kind: string;
  metadata: { name: string };
}

function sampleDocs(): Doc[] {
  return readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .flatMap((f) => loadAll(readFileSync(join(SAMPLES_DIR, f), "utf8")) as Doc[])
    .filter((d) => d && typeof d === "object");
}

/** Secret name → keys, for every Secret reference in the samples that no sample itself defines. */
function secretsSamplesNeed(docs: Doc[]): Map<string, Set<string>> {
  const defined = new Set(docs.filter((d) => d.kind === "Secret").map((d) => d.metadata.name));
  const needed = new Map<string, Set<string>>();
  const visit = (v: unknown, key: string): void => {
    if (Array.isArray(v)) for (const x of v) visit(x, key);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (
        /(secretKeyRef|SecretRef)$/.test(key) &&
        typeof o.name === "string" &&
        !defined.has(o.name)
      ) {
        const keys = needed.get(o.name) ?? new Set<string>();
        if (typeof o.key === "string") keys.add(o.key);
        needed.set(o.name, keys);
      }
      for (const [k, x] of Object.entries(o)) visit(x, k);
    }
  };
  for (const d of docs) visit(d, "");
  return needed;
}

async function applySecrets(namespace: string, docs: Doc[]): Promise<void> {
  for (const [name, keys] of secretsSamplesNeed(docs)) {
    const stringData = Object.fromEntries(
      [...(keys.size ? keys : ["value"])].map((k) => [k, `e2e-${k}`]),
    );
    await kubectlOk(["apply", "-n", namespace, "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name }, stringData }),
    });
  }
}

/** kubectl apply of one manifest from stdin. */
const applyManifest = (namespace: string, manifest: unknown) =>
  kubectl(["apply", "-n", namespace, "-f", "-"], { input: JSON.stringify(manifest) });

/** The header and rows of `kubectl get` output, split on runs of two or more spaces. */
function table(out: string): string[][] {
  return out
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));
}

const condition = (status: string, message: string) => ({
  type: "Ready",
  status,
  reason: status === "True" ? "Ready" : "SegmentNotFound",
  message,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  observedGeneration: 1,
});

describe("the samples", () => {
  test("kubectl apply -f crds/ -f config/samples/ creates every sample", async ({ namespace }) => {
    const docs = sampleDocs();
    expect(docs.length).toBeGreaterThan(0);
    await applySecrets(namespace, docs);
    const out = await kubectlOk(["apply", "-n", namespace, "-f", "crds/", "-f", "config/samples/"]);
    for (const d of docs.filter((x) => x.kind in PLURALS)) {
      expect(out).toContain(`${d.kind.toLowerCase()}.segwatch.io/${d.metadata.name} created`);
    }
    expect(out).toMatch(
      /customresourcedefinition.apiextensions.k8s.io\/subscriptions.segwatch.io (configured|unchanged|created)/,
    );
  });

  test("kubectl get segwatch lists every kind of the category", async ({ namespace }) => {
    const docs = sampleDocs();
    await applySecrets(namespace, docs);
    await kubectlOk(["apply", "-n", namespace, "-f", "config/samples/"]);
    const out = await kubectlOk(["get", "segwatch", "-n", namespace]);
    for (const d of docs.filter((x) => x.kind in PLURALS)) {
      expect(out).toContain(`${d.kind.toLowerCase()}.segwatch.io/${d.metadata.name}`);
    }
    expect(out).toMatch(/NAME\s+READY\s+SLUG\s+MEMBERS\s+AGE/);
    expect(out).toMatch(/NAME\s+READY\s+CHANNEL\s+SEGMENTS\s+DELIVERED\s+AGE/);
    expect(out).toMatch(/NAME\s+READY\s+IDENTITY\s+AGE/);
  });
});

describe("printer columns", () => {
  test("a subscription shows Ready, channel, segments and delivered; the message with -o wide", async ({
    namespace,
  }) => {
    await kubectlOk(["apply", "-n", namespace, "-f", "config/samples/subscription-webhook.yaml"]);
    const status = {
      status: {
        delivered: 3,
        deadLettered: 1,
        conditions: [condition("False", "segment demo-segment not found")],
      },
    };
    await kubectlOk([
      "patch",
      "subscriptions.segwatch.io",
      "webhooktest1",
      "-n",
      namespace,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify(status),
    ]);

    const [header, row] = table(
      await kubectlOk(["get", "segsub", "webhooktest1", "-n", namespace]),
    );
    expect(header).toEqual(["NAME", "READY", "CHANNEL", "SEGMENTS", "DELIVERED", "AGE"]);
    expect(row!.slice(0, 5)).toEqual(["webhooktest1", "False", "webhook", '["demo-segment"]', "3"]);

    const [wideHeader, wideRow] = table(
      await kubectlOk(["get", "segsub", "webhooktest1", "-n", namespace, "-o", "wide"]),
    );
    expect(wideHeader).toEqual([
      "NAME",
      "READY",
      "CHANNEL",
      "SEGMENTS",
      "DELIVERED",
      "DEAD-LETTERED",
      "MESSAGE",
      "AGE",
    ]);
    expect(wideRow!.slice(5, 7)).toEqual(["1", "segment demo-segment not found"]);
  });

  test("a segment shows Ready, slug and members", async ({ namespace }) => {
    await kubectlOk(["apply", "-n", namespace, "-f", "config/samples/segment-paying-users.yaml"]);
    const status = {
      status: { slug: "demo_segment", members: 42, conditions: [condition("True", "compiled")] },
    };
    await kubectlOk([
      "patch",
      "seg",
      "demo-segment",
      "-n",
      namespace,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify(status),
    ]);
    const [header, row] = table(await kubectlOk(["get", "seg", "-n", namespace]));
    expect(header).toEqual(["NAME", "READY", "SLUG", "MEMBERS", "AGE"]);
    expect(row!.slice(0, 4)).toEqual(["demo-segment", "True", "demo_segment", "42"]);
  });

  test("kubectl explain shows the field documentation", async () => {
    const out = await kubectlOk(["explain", "segsub.spec.webhook.url"]);
    expect(out).toContain("The http(s) URL the payload is POSTed to.");
  });
});

describe("kubectl apply rejects bad manifests", () => {
  const celCases = CRD_CASES.filter((c) => c.rejectedBy === "cel");
  test.for(
    [
      "the webhook channel without its settings",
      "another channel's settings",
      "both segments and segmentql",
      "backfill of two segments",
      "an ftp webhook URL",
      "a header name with a space",
      "a max backoff below the initial one",
      "a profile schema not named default",
      "an unknown field type",
    ].map((name) => [name, celCases.find((c) => c.name === name)!] as const),
  )("CEL: %s", async ([, c], { namespace }) => {
    expect(c).toBeDefined();
    const r = await applyManifest(namespace, caseManifest(c, namespace));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(c.message);
    expect(r.stderr).toContain("is invalid");
  });

  test("structural schema: a field of the wrong type", async ({ namespace }) => {
    const c = CRD_CASES.find((x) => x.name === "backfill as a string")!;
    const r = await applyManifest(namespace, caseManifest(c, namespace));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.withBackfill");
    expect(r.stderr).toContain("must be of type boolean");
  });

  test("credentials cannot be given inline: there is no field for them", async ({ namespace }) => {
    const manifest = caseManifest(
      {
        name: "inline connection string",
        kind: "Subscription",
        valid: false,
        spec: {
          channel: "eventhub",
          segments: ["a"],
          eventHub: {
            eventHubName: "h",
            connectionString: "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=secret",
            connectionStringSecretRef: { name: "hub", key: "cs" },
          },
        },
      },
      namespace,
    );
    const r = await applyManifest(namespace, manifest);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "spec.eventHub.connectionString"');
  });
});

describe("the API server judges the shared cases as validation.ts does", () => {
  const dryRunCreate = async (c: CrdCase, namespace: string): Promise<string | undefined> => {
    try {
      await customObjects().createNamespacedCustomObject({
        group: "segwatch.io",
        version: "v1alpha1",
        namespace,
        plural: PLURALS[c.kind],
        body: caseManifest(c, namespace),
        dryRun: "All",
        fieldValidation: "Strict",
      });
      return undefined;
    } catch (err) {
      if (err instanceof ApiException && err.code === 422) {
        const body = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
        return String(body.message);
      }
      throw err;
    }
  };

  test("every case", async ({ namespace }) => {
    const mismatches: string[] = [];
    for (const c of CRD_CASES) {
      const rejection = await dryRunCreate(c, namespace);
      if (c.valid && rejection !== undefined) mismatches.push(`${c.name}: rejected: ${rejection}`);
      if (!c.valid && rejection === undefined) mismatches.push(`${c.name}: accepted`);
      if (!c.valid && rejection !== undefined && !rejection.includes(c.message!))
        mismatches.push(
          `${c.name}: message ${JSON.stringify(rejection)} lacks ${JSON.stringify(c.message)}`,
        );
    }
    expect(mismatches).toEqual([]);
  });
});
