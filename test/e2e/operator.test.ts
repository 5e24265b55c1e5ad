// The operator on a real kube-apiserver, driven with kubectl as a user would: the samples become
// Ready, an invalid SegmentQL reports its position (and a Warning event), a subscription waiting for
// a missing segment becomes Ready once it exists, deleting a subscription removes its consumers and
// registry record before its finalizer goes, and the per-channel delivery Deployment follows the
// channel's subscriptions. One namespace per test; one controller (scoped to them) for the file.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLEANUP_FINALIZER, DELIVERY_DEPLOYMENT_DEFAULTS } from "../../src/controller/defaults.ts";
import { KubernetesDeliveryDeployments } from "../../src/controller/kube-workloads.ts";
import { registryKey } from "../../src/nats/names.ts";
import {
  createNamespace,
  deleteNamespace,
  kubeConfig,
  kubectl,
  readyCondition,
  type Stack,
  startStack,
  until,
} from "./operator-support.ts";

const SAMPLES = join(import.meta.dirname, "..", "..", "config", "samples");

const ns = { samples: "", invalid: "", missing: "", deletion: "" };
let stack: Stack;

beforeAll(async () => {
  ns.samples = await createNamespace("e2e-samples");
  ns.invalid = await createNamespace("e2e-invalid");
  ns.missing = await createNamespace("e2e-missing");
  ns.deletion = await createNamespace("e2e-delete");
  stack = await startStack(Object.values(ns));
  await stack.startController({
    workloads: new KubernetesDeliveryDeployments(kubeConfig(), {
      namespace: ns.samples,
      image: "segwatch:e2e",
      namePrefix: DELIVERY_DEPLOYMENT_DEFAULTS.namePrefix,
      replicas: 1,
      natsUrl: stack.server.url,
    }),
  });
});

afterAll(async () => {
  await stack?.close();
  for (const n of Object.values(ns)) if (n) await deleteNamespace(n);
});

const segment = (name: string, segmentql: string) => `apiVersion: segwatch.io/v1alpha1
kind: Segment
metadata: {name: ${name}}
spec:
  segmentql: ${JSON.stringify(segmentql)}
`;

const subscription = (name: string, segments: string[]) => `apiVersion: segwatch.io/v1alpha1
kind: Subscription
metadata: {name: ${name}}
spec:
  channel: webhook
  segments: ${JSON.stringify(segments)}
  webhook: {url: "https://example.com/hook"}
`;

describe("on a real kube-apiserver", () => {
  it("makes every sample Ready (kubectl apply + kubectl wait) and keeps a delivery Deployment for its channel", async () => {
    await kubectl(["apply", "-n", ns.samples, "-f", SAMPLES]);
    await kubectl([
      "wait",
      "-n",
      ns.samples,
      "--for=condition=Ready",
      "--timeout=60s",
      "segments.segwatch.io,subscriptions.segwatch.io",
      "--all",
    ]);
    const listed = await kubectl(["get", "segwatch", "-n", ns.samples]);
    expect(listed).toMatch(/demo-segment/);
    expect(listed).toMatch(/webhooktest1/);
    expect(listed).toMatch(/READY/);

    // The webhook channel now has a subscription: its delivery Deployment runs one replica.
    const deployment = `deployment/${DELIVERY_DEPLOYMENT_DEFAULTS.namePrefix}webhook`;
    const replicas = () =>
      kubectl(["get", deployment, "-n", ns.samples, "-o", "jsonpath={.spec.replicas}"]);
    await until(
      "the webhook delivery Deployment with 1 replica",
      async () => (await replicas()) === "1",
    );
    const args = await kubectl([
      "get",
      deployment,
      "-n",
      ns.samples,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].args}",
    ]);
    expect(JSON.parse(args)).toEqual(["deliver", "--channel", "webhook"]);

    // Its last subscription gone, the channel's Deployment scales to zero.
    await kubectl(["delete", "-n", ns.samples, "subscriptions.segwatch.io", "webhooktest1"]);
    await until(
      "the webhook delivery Deployment scaled to 0",
      async () => (await replicas()) === "0",
    );
  });

  it("reports an invalid SegmentQL as Ready=False with its line:column, and a Warning event", async () => {
    await kubectl(
      ["apply", "-n", ns.invalid, "-f", "-"],
      segment("broken", 'FILTER AND (paying_user = "t"\n  AND ) ALIAS broken'),
    );
    const ready = await until("Ready=False on segment broken", async () => {
      const c = await readyCondition(ns.invalid, "segments.segwatch.io/broken");
      return c?.status === "False" ? c : undefined;
    });
    expect(ready.reason).toBe("InvalidSegmentQL");
    expect(ready.message).toMatch(/^2:3: /);
    const events = await until("a Warning event for segment broken", async () => {
      const out = await kubectl(["get", "events.events.k8s.io", "-n", ns.invalid, "-o", "json"]);
      const items = (
        JSON.parse(out) as {
          items: { type: string; reason: string; note?: string; regarding?: { name?: string } }[];
        }
      ).items.filter((e) => e.regarding?.name === "broken");
      return items.length > 0 ? items : undefined;
    });
    expect(events[0]).toMatchObject({ type: "Warning", reason: "InvalidSegmentQL" });
    expect(events[0]!.note).toMatch(/2:3/);
  });

  it("makes a subscription that waits for a missing segment Ready once the segment exists", async () => {
    await kubectl(["apply", "-n", ns.missing, "-f", "-"], subscription("waiting", ["later"]));
    const waiting = await until("SegmentNotFound on subscription waiting", async () => {
      const c = await readyCondition(ns.missing, "subscriptions.segwatch.io/waiting");
      return c?.status === "False" ? c : undefined;
    });
    expect(waiting.reason).toBe("SegmentNotFound");
    await kubectl(["apply", "-n", ns.missing, "-f", "-"], segment("later", 'FILTER plan = "pro"'));
    await kubectl([
      "wait",
      "-n",
      ns.missing,
      "--for=condition=Ready",
      "--timeout=60s",
      "subscriptions.segwatch.io/waiting",
    ]);
  });

  it("on deleting a subscription removes its consumers and registry record, then its finalizer", async () => {
    await kubectl(
      ["apply", "-n", ns.deletion, "-f", "-"],
      `${segment("members", 'FILTER plan = "pro"')}---\n${subscription("doomed", ["members"])}`,
    );
    await kubectl([
      "wait",
      "-n",
      ns.deletion,
      "--for=condition=Ready",
      "--timeout=60s",
      "subscriptions.segwatch.io/doomed",
    ]);
    const obj = JSON.parse(
      await kubectl(["get", "subscriptions.segwatch.io/doomed", "-n", ns.deletion, "-o", "json"]),
    ) as { metadata: { uid: string; finalizers?: string[] } };
    expect(obj.metadata.finalizers).toContain(CLEANUP_FINALIZER);
    const id = obj.metadata.uid.replaceAll("-", "");
    const key = registryKey.subscription(ns.deletion, id);
    expect(await stack.registry(key)).toBeDefined();
    expect(await stack.consumerExists(id, "live")).toBe(true);

    // kubectl waits for the deletion to complete: the finalizer must be removed by the controller.
    await kubectl([
      "delete",
      "-n",
      ns.deletion,
      "subscriptions.segwatch.io/doomed",
      "--timeout=60s",
    ]);
    expect(await stack.registry(key)).toBeUndefined();
    expect(await stack.consumerExists(id, "live")).toBe(false);
    expect(await stack.consumerExists(id, "backfill")).toBe(false);
    const left = await kubectl([
      "get",
      "subscriptions.segwatch.io",
      "-n",
      ns.deletion,
      "--ignore-not-found",
      "-o",
      "name",
    ]);
    expect(left.trim()).toBe("");
  });
});
