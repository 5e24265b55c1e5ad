// The Helm chart without a cluster: lint, renderings with the default values and with every option
// on, the restricted pod security of every container, the CRDs equal to crds/, the values schema's
// messages, and the processes' flags the templates pass (each must exist in the CLI).

import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { loadAll } from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type ControllerCommandFlags,
  deliveryPodSettings,
} from "../../../src/cli/controller-command.ts";
import { renderDeliveryDeployment } from "../../../src/controller/delivery-deployments.ts";
import { partitionsOfReplica, replicaOrdinal } from "../../../src/evaluator/ownership.ts";
import {
  ALL_ON_VALUES,
  CHART,
  helm,
  helmOk,
  type K8sObject,
  REPO,
  renderChart,
} from "../../support/helm.ts";

const NS = "segwatch-system";
const run = promisify(execFile);

type Pod = {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  automountServiceAccountToken?: boolean;
  volumes?: { name: string }[];
};
type Container = {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
};

const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
const podOf = (o: K8sObject) => (o.spec as { template: { spec: Pod } }).template.spec;
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
/** The segwatch containers (not the bundled NATS). */
const segwatchContainers = (objects: K8sObject[]) =>
  workloads(objects)
    .filter((w) => !w.metadata.name.endsWith("-nats"))
    .flatMap((w) => podOf(w).containers.map((c) => ({ workload: w.metadata.name, c })));

/** The controller container's --delivery-* flags, as the CLI hands them to runControllerCommand. */
function deliveryFlags(args: readonly string[]): ControllerCommandFlags {
  const flags: Record<string, string> = {};
  for (const a of args) {
    const m = /^--(delivery-[a-z-]+)=(.*)$/.exec(a);
    if (m) flags[m[1]!.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase())] = m[2]!;
  }
  return { source: "kube", resources: "", leaderElect: true, healthAddr: ":8081", ...flags };
}

/**
 * The delivery Deployment the controller renders from the chart's controller container (its
 * --delivery-* flags and its NATS_URL / SEGWATCH_STREAM_REPLICAS), for one channel.
 */
function deliveryDeploymentOf(controller: Container) {
  const flags = deliveryFlags(controller.args ?? []);
  const env = envOf(controller);
  return renderDeliveryDeployment(
    {
      namespace: NS,
      image: flags.deliveryImage!,
      namePrefix: "segwatch-deliver-",
      replicas: 1,
      natsUrl: env.NATS_URL!,
      streamReplicas: Number(env.SEGWATCH_STREAM_REPLICAS),
      ...deliveryPodSettings(flags),
    },
    "kinesis",
    1,
  );
}

/**
 * What a pod needs to reach NATS: its NATS_* and SEGWATCH_STREAM_REPLICAS env (by name: the order
 * means nothing), the creds volume and its mount.
 */
function natsAccess(pod: Pod) {
  const c = pod.containers[0]!;
  return {
    env: (c.env ?? [])
      .filter((e) => e.name.startsWith("NATS_") || e.name === "SEGWATCH_STREAM_REPLICAS")
      .sort((a, b) => a.name.localeCompare(b.name)),
    volumes: (pod.volumes ?? []).filter((v) => v.name === "nats-creds"),
    volumeMounts: (c.volumeMounts ?? []).filter((m) => m.name === "nats-creds"),
  };
}

describe("Chart.yaml", () => {
  it("ships the image of this package version and needs Kubernetes 1.30 or later", () => {
    const chart = readFileSync(`${CHART}/Chart.yaml`, "utf8");
    const pkg = JSON.parse(readFileSync(`${REPO}package.json`, "utf8")) as { version: string };
    expect(chart).toContain(`appVersion: "${pkg.version}"`);
    expect(chart).toMatch(/^apiVersion: v2$/m);
    expect(chart).toMatch(/^kubeVersion: ">=1\.30\.0-0"$/m);
  });
});

describe("helm lint", () => {
  it("passes with the default values and with every option on", async () => {
    expect(await helmOk(["lint", CHART])).toContain("0 chart(s) failed");
    expect(await helmOk(["lint", CHART, "-f", ALL_ON_VALUES])).toContain("0 chart(s) failed");
  });
});

describe("helm template with the default values", () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    ({ objects } = await renderChart("segwatch", NS));
  });

  it("renders the processes, RBAC, bundled NATS and the CRDs", () => {
    const names = (kind: string) =>
      byKind(objects, kind)
        .map((o) => o.metadata.name)
        .sort();
    expect(names("Deployment")).toEqual(["segwatch-api", "segwatch-controller"]);
    expect(names("StatefulSet")).toEqual(["segwatch-evaluator", "segwatch-nats"]);
    expect(names("PodDisruptionBudget")).toEqual([
      "segwatch-api",
      "segwatch-controller",
      "segwatch-evaluator",
    ]);
    expect(names("CustomResourceDefinition")).toEqual([
      "profileschemas.segwatch.io",
      "segments.segwatch.io",
      "subscriptions.segwatch.io",
    ]);
    expect(names("ClusterRole")).toEqual(["segwatch-api", "segwatch-controller"]);
    expect(byKind(objects, "Ingress")).toHaveLength(0);
    expect(byKind(objects, "NetworkPolicy")).toHaveLength(0);
  });

  it("runs 2 leader-elected controllers behind a PodDisruptionBudget", () => {
    const controller = named(objects, "Deployment", "segwatch-controller")!;
    expect((controller.spec as { replicas: number }).replicas).toBe(2);
    expect(podOf(controller).containers[0]!.args).not.toContain("--no-leader-elect");
    const pdb = named(objects, "PodDisruptionBudget", "segwatch-controller")!;
    expect(pdb.spec).toMatchObject({ minAvailable: 1 });
  });

  it("gives every pod the restricted security context, resources and probes", () => {
    for (const w of workloads(objects)) {
      const pod = podOf(w);
      expect(pod.securityContext, w.metadata.name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const c of pod.containers) {
        expect(c.securityContext, `${w.metadata.name}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(c.resources?.requests, `${w.metadata.name}/${c.name}`).toBeDefined();
        expect(c.livenessProbe, `${w.metadata.name}/${c.name}`).toBeDefined();
        expect(c.readinessProbe, `${w.metadata.name}/${c.name}`).toBeDefined();
      }
    }
    // Only the api and the controller talk to the Kubernetes API.
    expect(
      podOf(named(objects, "StatefulSet", "segwatch-evaluator")!).automountServiceAccountToken,
    ).toBe(false);
  });

  it("renders the CRDs of crds/ unchanged but for labels and the keep policy", () => {
    const canonical = readdirSync(`${REPO}crds`)
      .filter((f) => f.endsWith(".yaml"))
      .flatMap((f) => loadAll(readFileSync(`${REPO}crds/${f}`, "utf8")) as K8sObject[])
      .filter(Boolean);
    expect(canonical.length).toBeGreaterThan(0);
    for (const crd of canonical) {
      const rendered = named(objects, "CustomResourceDefinition", crd.metadata.name)!;
      expect(rendered.spec).toEqual(crd.spec);
      expect(rendered.metadata.annotations).toMatchObject({ "helm.sh/resource-policy": "keep" });
      expect(rendered.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "Helm" });
    }
  });

  it("gives each evaluator replica a share of the partitions by its ordinal, together all", () => {
    const sts = named(objects, "StatefulSet", "segwatch-evaluator")!;
    const replicas = (sts.spec as { replicas: number }).replicas;
    const env = Object.fromEntries(
      (podOf(sts).containers[0]!.env ?? []).map((e) => [e.name, e.value]),
    );
    expect(Number(env.SEGWATCH_REPLICAS)).toBe(replicas);
    const partitions = Number(env.SEGWATCH_PARTITIONS);
    const owned = Array.from({ length: replicas }, (_, i) =>
      partitionsOfReplica(replicaOrdinal(`segwatch-evaluator-${i}`), replicas, partitions),
    ).flat();
    expect(owned).toEqual(Array.from({ length: partitions }, (_, p) => p));
    // Partition leases: a crashed replica's share is taken over after the chart's TTL.
    expect(podOf(sts).containers[0]!.args).toContain("--lease-ttl=15");
  });

  it("sets SEGWATCH_STREAM_REPLICAS=1 in every process and passes the delivery pods' settings", () => {
    for (const { workload, c } of segwatchContainers(objects))
      expect(envOf(c).SEGWATCH_STREAM_REPLICAS, `${workload}/${c.name}`).toBe("1");
    const controller = podOf(named(objects, "Deployment", "segwatch-controller")!).containers[0]!;
    const delivery = (controller.args ?? []).filter((a) => a.startsWith("--delivery-"));
    expect(delivery).toEqual([
      "--delivery-image=ghcr.io/segwatch/segwatch:0.1.0",
      "--delivery-image-pull-policy=IfNotPresent",
      "--delivery-service-account=segwatch-deliver",
    ]);
    const sa = named(objects, "ServiceAccount", "segwatch-deliver")!;
    expect(
      (sa as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken,
    ).toBe(false);
    // The bundled NATS has no authentication: the workers get the URL and the replicas.
    const pod = deliveryDeploymentOf(controller).spec!.template.spec!;
    expect(natsAccess(pod as Pod)).toEqual(
      natsAccess(podOf(named(objects, "Deployment", "segwatch-api")!)),
    );
  });

  it("leaves the CRDs out with crds.enabled=false, and unprotected with crds.keep=false", async () => {
    const off = await renderChart("segwatch", NS, ["--set", "crds.enabled=false"]);
    expect(byKind(off.objects, "CustomResourceDefinition")).toHaveLength(0);
    const unkept = await renderChart("segwatch", NS, ["--set", "crds.keep=false"]);
    for (const crd of byKind(unkept.objects, "CustomResourceDefinition"))
      expect(crd.metadata.annotations ?? {}).not.toHaveProperty("helm.sh/resource-policy");
  });
});

describe("helm template with every option on", () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    ({ objects } = await renderChart("segwatch", NS, ["-f", ALL_ON_VALUES]));
  });

  it("renders the Ingress, NetworkPolicies, ServiceMonitors and per-namespace Roles", () => {
    expect(byKind(objects, "Ingress")).toHaveLength(1);
    expect(byKind(objects, "NetworkPolicy")).toHaveLength(4);
    expect(byKind(objects, "ServiceMonitor")).toHaveLength(2);
    expect(byKind(objects, "ClusterRole")).toHaveLength(0);
    const roleNamespaces = byKind(objects, "Role")
      .filter((r) => r.metadata.name === "segwatch-controller")
      .map((r) => r.metadata.namespace)
      .sort();
    expect(roleNamespaces).toEqual(["acme", "beta"]);
  });

  it("connects to the external NATS with the credentials Secret instead of bundling one", () => {
    expect(named(objects, "StatefulSet", "segwatch-nats")).toBeUndefined();
    const api = podOf(named(objects, "Deployment", "segwatch-api")!).containers[0]!;
    const envNames = (api.env ?? []).map((e) => e.name);
    expect(envNames).toEqual(
      expect.arrayContaining([
        "NATS_URL",
        "NATS_CREDS",
        "NATS_TOKEN",
        "NATS_USER",
        "NATS_PASSWORD",
      ]),
    );
  });

  it("gives the delivery workers the NATS access, replicas, identity and pulling of the other pods", () => {
    for (const { workload, c } of segwatchContainers(objects))
      expect(envOf(c).SEGWATCH_STREAM_REPLICAS, `${workload}/${c.name}`).toBe("3");
    const controller = podOf(named(objects, "Deployment", "segwatch-controller")!).containers[0]!;
    expect((controller.args ?? []).filter((a) => a.startsWith("--delivery-"))).toEqual([
      "--delivery-image=registry.example.com/segwatch/segwatch:0.1.0-test",
      "--delivery-image-pull-policy=Always",
      "--delivery-image-pull-secrets=registry-credentials",
      "--delivery-service-account=segwatch-deliver-sa",
      "--delivery-nats-secret=segwatch-nats",
      "--delivery-nats-creds-key=nats.creds",
      "--delivery-nats-token-key=token",
      "--delivery-nats-user-key=user",
      "--delivery-nats-password-key=password",
    ]);
    const delivery = deliveryDeploymentOf(controller);
    const pod = delivery.spec!.template.spec!;
    // The same env and creds volume as the chart's own pods, so the workers reach the same NATS.
    const api = podOf(named(objects, "Deployment", "segwatch-api")!);
    expect(natsAccess(pod as Pod)).toEqual(natsAccess(api));
    expect(natsAccess(api).env.map((e) => e.name)).toEqual([
      "NATS_CREDS",
      "NATS_PASSWORD",
      "NATS_TOKEN",
      "NATS_URL",
      "NATS_USER",
      "SEGWATCH_STREAM_REPLICAS",
    ]);
    expect(natsAccess(api).volumes).toHaveLength(1);
    expect(pod.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
    expect(pod.containers[0]!.imagePullPolicy).toBe("Always");
    expect(pod.serviceAccountName).toBe("segwatch-deliver-sa");
    const sa = named(objects, "ServiceAccount", "segwatch-deliver-sa")!;
    expect(sa.metadata).toMatchObject({
      annotations: {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/segwatch-deliver",
      },
    });
  });
});

describe("NOTES.txt", () => {
  it("shows the first curl with the generated token and names the kinds fully", async () => {
    const out = await helmOk(["install", "segwatch", CHART, "--namespace", NS, "--dry-run=client"]);
    const notes = out.slice(out.indexOf("NOTES:"));
    expect(notes).toContain(
      "kubectl -n segwatch-system get secret segwatch-api-tokens -o jsonpath='{.data.token}'",
    );
    expect(notes).toContain("http://127.0.0.1:8080/collect/json/demo");
    expect(notes).toContain("get segments.segwatch.io,subscriptions.segwatch.io");
    expect(notes).not.toMatch(/get (sub|subs|subscriptions)\b(?!\.segwatch\.io)/);
  });
});

describe("values.schema.json", () => {
  const rejects = async (args: string[]) => {
    const r = await helm(["template", "segwatch", CHART, ...args]);
    expect(r.code).not.toBe(0);
    return r.stderr;
  };

  it("rejects a value of the wrong type, naming the field", async () => {
    expect(await rejects(["--set", "controller.replicas=two"])).toContain(
      "at '/controller/replicas': got string, want integer",
    );
  });

  it("rejects a misspelt key (additionalProperties: false)", async () => {
    expect(await rejects(["--set", "controler.replicas=2"])).toContain(
      "additional properties 'controler' not allowed",
    );
    expect(await rejects(["--set", "api.ingress.hostname=x"])).toContain(
      "additional properties 'hostname' not allowed",
    );
  });

  it("rejects out-of-range and malformed values", async () => {
    expect(await rejects(["--set", "api.port=0"])).toContain(
      "at '/api/port': minimum: got 0, want 1",
    );
    expect(await rejects(["--set", "nats.external.url=localhost:4222"])).toContain(
      "at '/nats/external/url'",
    );
    expect(await rejects(["--set", "nats.streamReplicas=6"])).toContain(
      "at '/nats/streamReplicas': maximum: got 6, want 5",
    );
    expect(await rejects(["--set", "nats.streamReplicas=0"])).toContain(
      "at '/nats/streamReplicas': minimum: got 0, want 1",
    );
    expect(await rejects(["--set", "evaluator.leaseTtlSeconds=1"])).toContain(
      "at '/evaluator/leaseTtlSeconds': minimum: got 1, want 2",
    );
  });

  it("rejects more evaluators than partitions, and several controllers without leader election", async () => {
    expect(await rejects(["--set", "evaluator.replicas=20"])).toContain(
      "evaluator.replicas: 20 replicas for 16 partitions would leave some evaluators idle",
    );
    expect(await rejects(["--set", "controller.leaderElection.enabled=false"])).toContain(
      "controller.replicas: more than one controller replica needs controller.leaderElection.enabled",
    );
    expect(
      await rejects(["--set", "nats.bundled.enabled=false"]),
      "an external NATS needs its URL",
    ).toContain("nats.external.url is required");
    expect(
      await rejects(["--set", "nats.streamReplicas=3"]),
      "the bundled single server cannot hold R3",
    ).toContain("nats.streamReplicas: the bundled NATS is a single server and holds 1 replica");
  });
});

describe("the processes' flags", () => {
  it("exist in the segwatch CLI for every container the chart runs", async () => {
    const { objects } = await renderChart("segwatch", NS, ["-f", ALL_ON_VALUES]);
    const flagsBySubcommand = new Map<string, Set<string>>();
    for (const w of workloads(objects)) {
      for (const c of podOf(w).containers) {
        if (c.name === "nats") continue;
        const [sub, ...args] = c.args ?? [];
        const flags = flagsBySubcommand.get(sub!) ?? new Set<string>();
        for (const a of args) if (a.startsWith("--")) flags.add(a.split("=")[0]!);
        flagsBySubcommand.set(sub!, flags);
      }
    }
    expect([...flagsBySubcommand.keys()].sort()).toEqual(["api", "controller", "evaluator"]);
    for (const [sub, flags] of flagsBySubcommand) {
      const { stdout } = await run(process.execPath, [`${REPO}src/cli/main.ts`, sub, "--help"]);
      for (const flag of flags) expect(stdout, `segwatch ${sub} ${flag}`).toContain(flag);
    }
  }, 60_000);
});

describe("the kustomize base", () => {
  it("config/manager/segwatch.yaml is the chart's current rendering (scripts/render-kustomize-base.sh)", async () => {
    const committed = readFileSync(`${REPO}config/manager/segwatch.yaml`, "utf8");
    const rendered = await helmOk([
      "template",
      "segwatch",
      CHART,
      "--namespace",
      NS,
      "-f",
      `${REPO}config/manager/helm-values.yaml`,
    ]);
    // The file carries a two-line header; the rest is helm's output as is.
    expect(
      committed.split("\n").slice(2).join("\n"),
      "config/manager/segwatch.yaml is out of date: run scripts/render-kustomize-base.sh",
    ).toBe(rendered);
  });

  it("renders with kubectl kustomize into the namespace, with the CRDs", async () => {
    const { stdout } = await run("kubectl", ["kustomize", `${REPO}config/default`], {
      maxBuffer: 32 * 1024 * 1024,
    });
    const docs = (loadAll(stdout) as K8sObject[]).filter(Boolean);
    expect(byKind(docs, "CustomResourceDefinition")).toHaveLength(3);
    expect(byKind(docs, "Namespace").map((n) => n.metadata.name)).toEqual([NS]);
    for (const d of docs) {
      if (
        d.kind === "Namespace" ||
        d.kind.startsWith("Cluster") ||
        d.kind === "CustomResourceDefinition"
      )
        continue;
      expect(d.metadata.namespace, `${d.kind}/${d.metadata.name}`).toBe(NS);
    }
  });
});
