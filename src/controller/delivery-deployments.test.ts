import { describe, expect, it } from "vitest";
import {
  CHANNEL_LABEL,
  deploymentChange,
  desiredReplicas,
  renderDeliveryDeployment,
  subscriptionsPerChannel,
  TEMPLATE_HASH_ANNOTATION,
} from "./delivery-deployments.ts";

const settings = {
  namespace: "segwatch-system",
  image: "ghcr.io/example/segwatch:1.2.3",
  namePrefix: "segwatch-deliver-",
  replicas: 2,
  natsUrl: "nats://nats:4222",
  streamReplicas: 1,
};

describe("renderDeliveryDeployment", () => {
  it("runs `segwatch deliver --channel <c>` with the NATS URL, restricted", () => {
    const d = renderDeliveryDeployment(settings, "webhook", 2);
    expect(d.metadata?.name).toBe("segwatch-deliver-webhook");
    expect(d.metadata?.namespace).toBe("segwatch-system");
    expect(d.metadata?.labels?.[CHANNEL_LABEL]).toBe("webhook");
    expect(d.metadata?.ownerReferences).toBeUndefined();
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.selector.matchLabels).toEqual(
      expect.objectContaining({ "app.kubernetes.io/component": "deliver-webhook" }),
    );
    const pod = d.spec?.template.spec;
    const c = pod?.containers[0];
    expect(c?.image).toBe(settings.image);
    expect(c?.args).toEqual(["deliver", "--channel", "webhook"]);
    expect(c?.env).toEqual([
      { name: "NATS_URL", value: "nats://nats:4222" },
      { name: "SEGWATCH_STREAM_REPLICAS", value: "1" },
    ]);
    // No credentials, identity or pull settings unless given; /tmp writable.
    expect(pod?.serviceAccountName).toBeUndefined();
    expect(pod?.imagePullSecrets).toBeUndefined();
    expect(c?.imagePullPolicy).toBeUndefined();
    expect(pod?.volumes).toEqual([{ name: "tmp", emptyDir: {} }]);
    expect(c?.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(c?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true });
    // The template's labels satisfy the selector.
    expect(d.spec?.template.metadata?.labels).toEqual(
      expect.objectContaining(d.spec?.selector.matchLabels),
    );
  });

  it("gives the workers the NATS credentials, replicas, identity and pull settings of the install", () => {
    const d = renderDeliveryDeployment(
      {
        ...settings,
        streamReplicas: 3,
        natsAuth: {
          secretName: "segwatch-nats",
          credsKey: "nats.creds",
          tokenKey: "token",
          userKey: "user",
          passwordKey: "password",
        },
        serviceAccountName: "segwatch-deliver",
        imagePullPolicy: "Always",
        imagePullSecrets: ["registry-a", "registry-b"],
      },
      "kinesis",
      1,
    );
    const pod = d.spec?.template.spec;
    const c = pod?.containers[0];
    const secretRef = (key: string) => ({
      valueFrom: { secretKeyRef: { name: "segwatch-nats", key } },
    });
    expect(c?.env).toEqual([
      { name: "NATS_URL", value: "nats://nats:4222" },
      { name: "SEGWATCH_STREAM_REPLICAS", value: "3" },
      // The chart's layout: the .creds file at the same path in every segwatch pod.
      { name: "NATS_CREDS", value: "/etc/segwatch/nats/nats.creds" },
      { name: "NATS_TOKEN", ...secretRef("token") },
      { name: "NATS_USER", ...secretRef("user") },
      { name: "NATS_PASSWORD", ...secretRef("password") },
    ]);
    expect(pod?.volumes).toEqual([
      { name: "tmp", emptyDir: {} },
      {
        name: "nats-creds",
        secret: {
          secretName: "segwatch-nats",
          items: [{ key: "nats.creds", path: "nats.creds" }],
        },
      },
    ]);
    expect(c?.volumeMounts).toEqual([
      { name: "tmp", mountPath: "/tmp" },
      { name: "nats-creds", mountPath: "/etc/segwatch/nats", readOnly: true },
    ]);
    expect(pod?.serviceAccountName).toBe("segwatch-deliver");
    // A ServiceAccount for a cloud identity, never a Kubernetes API token.
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.imagePullSecrets).toEqual([{ name: "registry-a" }, { name: "registry-b" }]);
    expect(c?.imagePullPolicy).toBe("Always");
  });

  it("mounts nothing for a token or user/password without a .creds file", () => {
    const d = renderDeliveryDeployment(
      { ...settings, natsAuth: { secretName: "s", tokenKey: "t" } },
      "webhook",
      1,
    );
    const c = d.spec?.template.spec?.containers[0];
    expect(c?.env?.map((e) => e.name)).toEqual([
      "NATS_URL",
      "SEGWATCH_STREAM_REPLICAS",
      "NATS_TOKEN",
    ]);
    expect(d.spec?.template.spec?.volumes?.map((v) => v.name)).toEqual(["tmp"]);
    expect(c?.volumeMounts?.map((m) => m.name)).toEqual(["tmp"]);
  });

  it("is owned by the controller's Deployment when there is one", () => {
    const d = renderDeliveryDeployment(settings, "kinesis", 1, { name: "segwatch", uid: "u-1" });
    expect(d.metadata?.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "segwatch",
        uid: "u-1",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it("hashes the template: a changed image changes the hash, replicas do not", () => {
    const h = (d: ReturnType<typeof renderDeliveryDeployment>) =>
      d.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION];
    const a = renderDeliveryDeployment(settings, "webhook", 1);
    expect(h(renderDeliveryDeployment(settings, "webhook", 0))).toBe(h(a));
    expect(h(renderDeliveryDeployment({ ...settings, image: "other:2" }, "webhook", 1))).not.toBe(
      h(a),
    );
    // Changed credentials or replicas roll the workers too.
    expect(h(renderDeliveryDeployment({ ...settings, streamReplicas: 3 }, "webhook", 1))).not.toBe(
      h(a),
    );
    expect(
      h(
        renderDeliveryDeployment(
          { ...settings, natsAuth: { secretName: "s", tokenKey: "t" } },
          "webhook",
          1,
        ),
      ),
    ).not.toBe(h(a));
  });
});

describe("desiredReplicas", () => {
  it("is the setting while the channel has subscriptions, else zero", () => {
    expect(desiredReplicas(3, settings)).toBe(2);
    expect(desiredReplicas(0, settings)).toBe(0);
  });
});

describe("deploymentChange", () => {
  const up = renderDeliveryDeployment(settings, "webhook", 2);
  const down = renderDeliveryDeployment(settings, "webhook", 0);
  it("creates only for a channel with subscriptions", () => {
    expect(deploymentChange(undefined, up)).toBe("create");
    expect(deploymentChange(undefined, down)).toBe("none");
  });
  it("scales an existing one, and leaves one that matches", () => {
    expect(deploymentChange(up, down)).toBe("update");
    expect(deploymentChange(down, up)).toBe("update");
    expect(deploymentChange(up, up)).toBe("none");
  });
  it("updates one rendered from other settings", () => {
    const other = renderDeliveryDeployment({ ...settings, image: "x:1" }, "webhook", 2);
    expect(deploymentChange(other, up)).toBe("update");
  });
});

describe("subscriptionsPerChannel", () => {
  it("counts live subscriptions per channel", () => {
    const s = (channel: "webhook" | "pubsub", deleting = false) => ({
      spec: { channel },
      metadata: deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {},
    });
    expect([...subscriptionsPerChannel([s("webhook"), s("webhook"), s("pubsub", true)])]).toEqual([
      ["webhook", 2],
    ]);
  });
});
