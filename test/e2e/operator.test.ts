// The operator on a real kube-apiserver, driven with kubectl as a user would: the samples become
// Ready, an invalid SegmentQL reports its position (and a Warning event), a subscription waiting for
// a missing segment becomes Ready once it exists, deleting a subscription removes its consumers and
// registry record before its finalizer goes, and the per-channel delivery Deployment follows the
// channel's subscriptions. One namespace per test; one controller (scoped to them) for the file.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLEANUP_FINALIZER, DELIVERY_DEPLOYMENT_DEFAULTS } from "../../src/controller/defaults.ts";
import {
  findOwnerDeployment,
  KubernetesDeliveryDeployments,
} from "../../src/controller/kube-workloads.ts";
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

const ns = { samples: "", invalid: "", missing: "", deletion: "", owner: "", inline: "" };
let stack: Stack;

beforeAll(async () => {
  ns.samples = await createNamespace("e2e-samples");
  ns.invalid = await createNamespace("e2e-invalid");
  ns.missing = await createNamespace("e2e-missing");
  ns.deletion = await createNamespace("e2e-delete");
  ns.owner = await createNamespace("e2e-owner");
  ns.inline = await createNamespace("e2e-inline");
  stack = await startStack(Object.values(ns));
  await stack.startController({
    workloads: new KubernetesDeliveryDeployments(kubeConfig(), {
      namespace: ns.samples,
      image: "segwatch:e2e",
      namePrefix: DELIVERY_DEPLOYMENT_DEFAULTS.namePrefix,
      replicas: 1,
      natsUrl: stack.server.url,
      streamReplicas: 1,
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

  it("makes the controller's own Deployment the owner of the delivery Deployments, so they go with it", async () => {
    // What a Deployment controller and a kubelet would have made for the controller's pod (neither
    // runs here): Deployment → ReplicaSet → Pod, linked by controller ownerReferences.
    const apply = (yaml: string) => kubectl(["apply", "-n", ns.owner, "-f", "-"], yaml);
    const uidOf = async (what: string) =>
      kubectl(["get", what, "-n", ns.owner, "-o", "jsonpath={.metadata.uid}"]);
    const labels = "{app.kubernetes.io/name: segwatch-controller}";
    const podSpec = "{containers: [{name: controller, image: segwatch:e2e}]}";
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: segwatch}
spec:
  replicas: 1
  selector: {matchLabels: ${labels}}
  template: {metadata: {labels: ${labels}}, spec: ${podSpec}}
`);
    const deploymentUid = await uidOf("deployment/segwatch");
    await apply(`apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: segwatch-5d8f7
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: segwatch, uid: ${deploymentUid}, controller: true}]
spec:
  replicas: 1
  selector: {matchLabels: ${labels}}
  template: {metadata: {labels: ${labels}}, spec: ${podSpec}}
`);
    const rsUid = await uidOf("replicaset/segwatch-5d8f7");
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: segwatch-5d8f7-x2k9q
  labels: ${labels}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: segwatch-5d8f7, uid: ${rsUid}, controller: true}]
spec: ${podSpec}
`);

    const owner = await findOwnerDeployment(kubeConfig(), ns.owner, "segwatch-5d8f7-x2k9q");
    expect(owner).toEqual({ name: "segwatch", uid: deploymentUid });
    const workloads = new KubernetesDeliveryDeployments(
      kubeConfig(),
      {
        namespace: ns.owner,
        image: "segwatch:e2e",
        namePrefix: DELIVERY_DEPLOYMENT_DEFAULTS.namePrefix,
        replicas: 1,
        natsUrl: stack.server.url,
        streamReplicas: 1,
      },
      owner,
    );
    await workloads.sync(new Map([["webhook", 2]]));
    const delivery = `deployment/${DELIVERY_DEPLOYMENT_DEFAULTS.namePrefix}webhook`;
    const refs = JSON.parse(
      await kubectl([
        "get",
        delivery,
        "-n",
        ns.owner,
        "-o",
        "jsonpath={.metadata.ownerReferences}",
      ]),
    ) as { kind: string; name: string; uid: string; controller: boolean }[];
    expect(refs).toEqual([
      expect.objectContaining({
        kind: "Deployment",
        name: "segwatch",
        uid: deploymentUid,
        controller: true,
      }),
    ]);
    // No Deployment for a channel without subscriptions.
    const names = await kubectl(["get", "deployments", "-n", ns.owner, "-o", "name"]);
    expect(names).not.toMatch(/deliver-kinesis/);

    // The garbage collector (kube-controller-manager) removes it with its owner.
    await kubectl(["delete", "deployment/segwatch", "-n", ns.owner, "--cascade=background"]);
    await until("the delivery Deployment collected with its owner", async () => {
      const left = await kubectl([
        "get",
        delivery,
        "-n",
        ns.owner,
        "--ignore-not-found",
        "-o",
        "name",
      ]);
      return left.trim() === "";
    });
  });

  it("gives an inline segment an ownerReference to its subscription and removes it with it", async () => {
    await kubectl(
      ["apply", "-n", ns.inline, "-f", "-"],
      `apiVersion: segwatch.io/v1alpha1
kind: Subscription
metadata: {name: inline-sub}
spec:
  channel: webhook
  segmentql: FILTER plan = "pro"
  webhook: {url: "https://example.com/hook"}
`,
    );
    await kubectl([
      "wait",
      "-n",
      ns.inline,
      "--for=condition=Ready",
      "--timeout=60s",
      "subscriptions.segwatch.io/inline-sub",
    ]);
    const subUid = await kubectl([
      "get",
      "subscriptions.segwatch.io/inline-sub",
      "-n",
      ns.inline,
      "-o",
      "jsonpath={.metadata.uid}",
    ]);
    const refs = JSON.parse(
      await kubectl([
        "get",
        "segments.segwatch.io/inline-sub-inline",
        "-n",
        ns.inline,
        "-o",
        "jsonpath={.metadata.ownerReferences}",
      ]),
    ) as unknown[];
    expect(refs).toEqual([
      expect.objectContaining({
        apiVersion: "segwatch.io/v1alpha1",
        kind: "Subscription",
        name: "inline-sub",
        uid: subUid,
        controller: true,
      }),
    ]);
    await kubectl([
      "delete",
      "-n",
      ns.inline,
      "subscriptions.segwatch.io/inline-sub",
      "--timeout=60s",
    ]);
    await until("the inline segment removed with its subscription", async () => {
      const left = await kubectl([
        "get",
        "segments.segwatch.io",
        "-n",
        ns.inline,
        "--ignore-not-found",
        "-o",
        "name",
      ]);
      return left.trim() === "";
    });
  });
});
