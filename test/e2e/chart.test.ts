// The chart and the kustomize base against a real kube-apiserver: `kubectl apply --dry-run=server`
// accepts the default rendering, the every-option-on rendering and the kustomize base (the API server
// validates every object, the CRDs included); and the rendered RBAC, applied for real, grants the
// controller what it does and nothing more.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { dump, loadAll } from "js-yaml";
import { describe, expect } from "vitest";
import { ALL_ON_VALUES, type K8sObject, renderChart } from "../support/helm.ts";
import { createNamespace, kubectl, kubectlOk, REPO_ROOT, test } from "./support.ts";

const asYaml = (objects: readonly K8sObject[]) =>
  objects.map((o) => `---\n${dump(o, { lineWidth: -1 })}`).join("");

/**
 * kubectl's note that an object it applies was created by something other than `kubectl apply`
 * (the CRDs and namespaces the harness created): not a judgment of the manifest.
 */
const NOT_CREATED_BY_APPLY =
  /^Warning: resource \S+ is missing the kubectl\.kubernetes\.io\/last-applied-configuration annotation/;

/** Server-side dry run; returns kubectl's answer, failing with its stderr (warnings included). */
async function dryRunServer(objects: readonly K8sObject[]): Promise<string> {
  const r = await kubectl(["apply", "--dry-run=server", "-f", "-"], { input: asYaml(objects) });
  const complaints = r.stderr
    .split("\n")
    .filter((l) => l.trim() !== "" && !NOT_CREATED_BY_APPLY.test(l));
  expect(complaints, "the API server rejected or warned about the rendering").toEqual([]);
  expect(r.code).toBe(0);
  return r.stdout;
}

/** The Pod Security admission warns about every pod template that breaks the restricted level. */
const warnRestricted = (namespace: string) =>
  kubectlOk([
    "label",
    "namespace",
    namespace,
    "pod-security.kubernetes.io/warn=restricted",
    "pod-security.kubernetes.io/warn-version=latest",
  ]);

describe("helm template output on the API server", () => {
  test("the default rendering is accepted (dry-run=server)", async ({ namespace }) => {
    await warnRestricted(namespace);
    const { objects } = await renderChart("segwatch", namespace);
    const out = await dryRunServer(objects);
    expect(out).toContain("deployment.apps/segwatch-controller created (server dry run)");
    expect(out).toContain("statefulset.apps/segwatch-evaluator created (server dry run)");
    expect(out).toContain(
      "customresourcedefinition.apiextensions.k8s.io/subscriptions.segwatch.io",
    );
  });

  test("the every-option-on rendering is accepted (dry-run=server)", async ({ namespace }) => {
    const other = await createNamespace("chart-watched");
    try {
      await warnRestricted(namespace);
      const { objects } = await renderChart("segwatch", namespace, [
        "-f",
        ALL_ON_VALUES,
        "--set-json",
        `watchNamespaces=${JSON.stringify([namespace, other.name])}`,
      ]);
      // The Prometheus Operator's CRDs are not installed on the test control plane; the
      // ServiceMonitors' rendering is checked in test/integration/packaging/chart.test.ts.
      const served = objects.filter((o) => o.kind !== "ServiceMonitor");
      expect(served.length).toBeLessThan(objects.length);
      const out = await dryRunServer(served);
      expect(out).toContain("ingress.networking.k8s.io/segwatch-api created (server dry run)");
      expect(out).toContain(
        "networkpolicy.networking.k8s.io/segwatch-api created (server dry run)",
      );
      expect(out).toContain(`role.rbac.authorization.k8s.io/segwatch-controller created`);
    } finally {
      await other.remove();
    }
  });

  test("the API server reports a broken rendering (the dry run can fail)", async ({
    namespace,
  }) => {
    const { objects } = await renderChart("segwatch", namespace);
    const broken = objects.map((o) =>
      o.kind === "StatefulSet" ? { ...o, spec: { ...(o.spec as object), replicas: "two" } } : o,
    );
    const r = await kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: asYaml(broken),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/replicas/);
  });

  test("a pod template below the restricted level draws the Pod Security warning", async ({
    namespace,
  }) => {
    await warnRestricted(namespace);
    const { objects } = await renderChart("segwatch", namespace);
    const api = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "segwatch-api")!;
    const spec = api.spec as { template: { spec: { containers: { securityContext: object }[] } } };
    spec.template.spec.containers[0]!.securityContext = { allowPrivilegeEscalation: true };
    const r = await kubectl(["apply", "--dry-run=server", "-f", "-"], { input: asYaml([api]) });
    expect(r.stderr).toMatch(/would violate PodSecurity "restricted:latest"/);
  });
});

describe("the chart's RBAC", () => {
  test("lets the controller do what it does, and no more", async ({ namespace }) => {
    // Cluster-scoped names carry the release name: a release of its own per run.
    const release = `rbac-${namespace.slice(-6)}`;
    const { objects } = await renderChart(release, namespace);
    const rbac = objects.filter((o) =>
      ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(
        o.kind,
      ),
    );
    await kubectlOk(["apply", "-f", "-"], { input: asYaml(rbac) });
    try {
      const sa = `system:serviceaccount:${namespace}:${release}-segwatch-controller`;
      const can = async (verb: string, resource: string, ns = "default") => {
        const r = await kubectl(["auth", "can-i", verb, resource, "-n", ns, "--as", sa]);
        return r.stdout.trim() === "yes";
      };
      expect(await can("watch", "subscriptions.segwatch.io")).toBe(true);
      expect(await can("patch", "subscriptions.segwatch.io/status")).toBe(true);
      expect(await can("update", "segments.segwatch.io/finalizers")).toBe(true);
      expect(await can("create", "secrets")).toBe(true);
      expect(await can("create", "events.events.k8s.io")).toBe(true);
      expect(await can("create", "leases.coordination.k8s.io", namespace)).toBe(true);
      expect(await can("create", "deployments.apps", namespace)).toBe(true);
      // Not: listing Secrets, deleting them, Deployments elsewhere, other Leases, anything else.
      expect(await can("list", "secrets")).toBe(false);
      expect(await can("delete", "secrets")).toBe(false);
      expect(await can("create", "deployments.apps")).toBe(false);
      expect(await can("update", "leases.coordination.k8s.io/kube-scheduler", namespace)).toBe(
        false,
      );
      expect(await can("create", "pods", namespace)).toBe(false);
      expect(await can("create", "clusterroles.rbac.authorization.k8s.io")).toBe(false);
    } finally {
      const clusterScoped = rbac.filter((o) => o.kind.startsWith("Cluster"));
      await kubectl(["delete", "--ignore-not-found", "-f", "-"], {
        input: asYaml(clusterScoped),
      });
    }
  });
});

describe("config/samples/kinesis and config/samples/backfill", () => {
  test("the Kinesis Subscription, its credentials Secret and the backfill Subscription are accepted", async ({
    namespace,
  }) => {
    const out = await kubectlOk([
      "apply",
      "-n",
      namespace,
      "-f",
      "config/samples/kinesis/",
      "-f",
      "config/samples/backfill/",
    ]);
    expect(out).toContain("secret/kinesis-credentials created");
    expect(out).toContain("subscription.segwatch.io/kinesis-paying-users created");
    expect(out).toContain("subscription.segwatch.io/engaged-backfill created");
    const spec = JSON.parse(
      await kubectlOk([
        "get",
        "subscriptions.segwatch.io",
        "kinesis-paying-users",
        "-n",
        namespace,
        "-o",
        "jsonpath={.spec.kinesis}",
      ]),
    );
    expect(spec).toMatchObject({
      region: "us-east-1",
      credentialsSecretRef: { name: "kinesis-credentials" },
    });
    expect(
      await kubectlOk([
        "get",
        "subscriptions.segwatch.io",
        "engaged-backfill",
        "-n",
        namespace,
        "-o",
        "jsonpath={.spec.withBackfill}",
      ]),
    ).toBe("true");
  });
});

describe("the kustomize base on the API server", () => {
  test("kubectl kustomize config/default renders and is accepted (dry-run=server)", async ({
    namespace,
  }) => {
    // An overlay moves the base into the test's namespace (kustomize renames the base's Namespace
    // to it too). kustomize takes only relative paths to other kustomizations.
    const dir = await mkdtemp(join(tmpdir(), "segwatch-kustomize-"));
    try {
      await writeFile(
        join(dir, "kustomization.yaml"),
        dump({
          apiVersion: "kustomize.config.k8s.io/v1beta1",
          kind: "Kustomization",
          namespace,
          resources: [relative(dir, join(REPO_ROOT, "config/default"))],
        }),
      );
      const rendered = await kubectlOk(["kustomize", dir]);
      const objects = (loadAll(rendered) as K8sObject[]).filter((o) => o && o.kind !== "Namespace");
      expect(objects.some((o) => o.kind === "CustomResourceDefinition")).toBe(true);
      const out = await dryRunServer(objects);
      expect(out).toContain("deployment.apps/segwatch-api created (server dry run)");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
