// The processes under the chart's RBAC and nothing else: the chart's ServiceAccounts, Roles and
// RoleBindings applied, a token for a process's ServiceAccount from the TokenRequest API, and the
// real `segwatch controller` / `segwatch api --source kube` process on it. They must do their work
// without one "forbidden" from the API server: the least-privilege rules are enough for what the
// processes really do (and a missing rule makes these tests fail).

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { afterEach, describe, expect } from "vitest";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import { renderChart } from "../support/helm.ts";
import { kubeconfigPath, kubectl, kubectlOk, REPO_ROOT, test } from "./support.ts";

const WAIT_MS = 60_000;
const POLL_MS = 500;

/** Polls kubectl until the jsonpath is non-empty (bounded). */
async function waitFor(args: string[], what: string): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const r = await kubectl(args);
    if (r.code === 0 && r.stdout.trim() !== "") return r.stdout.trim();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

/** The admin kubeconfig with the user swapped for a bearer token. */
function kubeconfigWithToken(token: string): string {
  const admin = load(readFileSync(kubeconfigPath(), "utf8")) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
  };
  const cluster = admin.clusters[0]!;
  return dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [cluster],
    users: [{ name: "controller", user: { token } }],
    contexts: [{ name: "controller", context: { cluster: cluster.name, user: "controller" } }],
    "current-context": "controller",
  });
}

/** Applies the chart's ServiceAccounts and Roles for `namespace`; a kubeconfig for one of them. */
async function chartIdentity(namespace: string, serviceAccount: string, dir: string) {
  // watchNamespaces: Roles only, nothing cluster-wide left behind by the test.
  const { objects } = await renderChart("segwatch", namespace, [
    "--set-json",
    `watchNamespaces=${JSON.stringify([namespace])}`,
  ]);
  const rbac = objects.filter((o) => ["ServiceAccount", "Role", "RoleBinding"].includes(o.kind));
  expect(rbac.filter((o) => o.kind === "Role").length).toBeGreaterThanOrEqual(3);
  await kubectlOk(["apply", "-f", "-"], {
    input: rbac.map((o) => `---\n${dump(o)}`).join(""),
  });
  const token = (
    await kubectlOk(["create", "token", serviceAccount, "-n", namespace, "--duration=1h"])
  ).trim();
  const kubeconfig = join(dir, `${serviceAccount}.kubeconfig`);
  await writeFile(kubeconfig, kubeconfigWithToken(token));
  return kubeconfig;
}

type DeliveryPod = {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: { name: string }[];
  volumes?: unknown[];
  containers: {
    imagePullPolicy?: string;
    env: { name: string; value?: string; valueFrom?: unknown }[];
    volumeMounts?: unknown[];
  }[];
};

/**
 * The controller's --delivery-* flags as the chart renders them for an external NATS with a
 * credentials Secret, a private registry and pull policy Always.
 */
async function chartDeliveryArgs(namespace: string): Promise<string[]> {
  const { objects } = await renderChart("segwatch", namespace, [
    "--set-json",
    `watchNamespaces=${JSON.stringify([namespace])}`,
    "--set",
    "image.repository=segwatch,image.tag=e2e,image.pullPolicy=Always",
    "--set",
    "imagePullSecrets[0].name=registry-credentials",
    "--set",
    "nats.bundled.enabled=false,nats.external.url=nats://nats.messaging.svc:4222",
    "--set",
    "nats.external.auth.secretName=segwatch-nats,nats.external.auth.credsKey=nats.creds",
    "--set",
    "nats.external.auth.userKey=user,nats.external.auth.passwordKey=password",
  ]);
  const controller = objects.find(
    (o) => o.kind === "Deployment" && o.metadata.name === "segwatch-controller",
  ) as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
  const args = controller.spec.template.spec.containers[0]!.args.filter((a) =>
    a.startsWith("--delivery-"),
  );
  expect(args).toContain("--delivery-nats-secret=segwatch-nats");
  return args;
}

describe("the processes with the chart's RBAC", () => {
  let nats: NatsServer | undefined;
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((res) => child!.once("exit", res));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((res) => setTimeout(res, 15_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    await nats?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("the controller reconciles the samples, leads and creates a delivery Deployment", {
    timeout: 180_000,
  }, async ({ namespace }) => {
    dir = await mkdtemp(join(tmpdir(), "segwatch-rbac-"));
    const kubeconfig = await chartIdentity(namespace, "segwatch-controller", dir);
    const deliveryArgs = await chartDeliveryArgs(namespace);

    nats = await startNatsServer();
    let output = "";
    child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, "src/cli/main.ts"),
        "controller",
        "--source=kube",
        `--kubeconfig=${kubeconfig}`,
        `--namespaces=${namespace}`,
        `--nats=${nats.url}`,
        "--health-addr=127.0.0.1:0",
        ...deliveryArgs,
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          POD_NAMESPACE: namespace,
          // What the chart sets from nats.streamReplicas; a single server accepts 1 only.
          SEGWATCH_STREAM_REPLICAS: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.on("data", (d) => {
      output += String(d);
    });
    child.stderr!.on("data", (d) => {
      output += String(d);
    });

    await kubectlOk([
      "apply",
      "-n",
      namespace,
      "-f",
      "config/samples/segment-paying-users.yaml",
      "-f",
      "config/samples/subscription-webhook.yaml",
    ]);
    const ready = await waitFor(
      [
        "get",
        "segments.segwatch.io",
        "demo-segment",
        "-n",
        namespace,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ],
      "Segment demo-segment's Ready condition",
    );
    expect(ready).toBe("True");
    const resolved = await waitFor(
      [
        "get",
        "subscriptions.segwatch.io",
        "webhooktest1",
        "-n",
        namespace,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="SegmentsResolved")].status}',
      ],
      "Subscription webhooktest1's SegmentsResolved condition",
    );
    expect(resolved).toBe("True");
    const holder = await waitFor(
      [
        "get",
        "leases.coordination.k8s.io",
        "segwatch-controller",
        "-n",
        namespace,
        "-o",
        "jsonpath={.spec.holderIdentity}",
      ],
      "the controller's Lease",
    );
    expect(holder).not.toBe("");
    const image = await waitFor(
      [
        "get",
        "deployments.apps",
        "segwatch-deliver-webhook",
        "-n",
        namespace,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
      ],
      "the webhook delivery Deployment",
    );
    expect(image).toBe("segwatch:e2e");
    // The API server accepted the pod settings the chart passed: credentials Secret, identity, pulling.
    const deployment = JSON.parse(
      await kubectlOk([
        "get",
        "deployments.apps",
        "segwatch-deliver-webhook",
        "-n",
        namespace,
        "-o",
        "json",
      ]),
    ) as { spec: { template: { spec: DeliveryPod } } };
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe("segwatch-deliver");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
    const worker = pod.containers[0]!;
    expect(worker.imagePullPolicy).toBe("Always");
    const env = Object.fromEntries(worker.env.map((e) => [e.name, e]));
    expect(env.NATS_URL?.value).toBe(nats.url);
    expect(env.SEGWATCH_STREAM_REPLICAS?.value).toBe("1");
    expect(env.NATS_CREDS?.value).toBe("/etc/segwatch/nats/nats.creds");
    expect(env.NATS_USER?.valueFrom).toEqual({
      secretKeyRef: { name: "segwatch-nats", key: "user" },
    });
    expect(env.NATS_PASSWORD?.valueFrom).toEqual({
      secretKeyRef: { name: "segwatch-nats", key: "password" },
    });
    expect(pod.volumes).toContainEqual({
      name: "nats-creds",
      secret: {
        secretName: "segwatch-nats",
        items: [{ key: "nats.creds", path: "nats.creds" }],
        defaultMode: 420,
      },
    });
    expect(worker.volumeMounts).toContainEqual({
      name: "nats-creds",
      mountPath: "/etc/segwatch/nats",
      readOnly: true,
    });
    // The finalizer went on through the chart's rules, too.
    const finalizers = await kubectlOk([
      "get",
      "subscriptions.segwatch.io",
      "webhooktest1",
      "-n",
      namespace,
      "-o",
      "jsonpath={.metadata.finalizers}",
    ]);
    expect(finalizers).toContain("segwatch.io");
    expect(output).not.toMatch(/forbidden/i);
  });
  test("the api writes Segments, Subscriptions and their credentials Secret", {
    timeout: 180_000,
  }, async ({ namespace }) => {
    dir = await mkdtemp(join(tmpdir(), "segwatch-rbac-"));
    const kubeconfig = await chartIdentity(namespace, "segwatch-api", dir);
    nats = await startNatsServer();
    let output = "";
    const token = `e2e-${namespace}`;
    child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, "src/cli/main.ts"),
        "api",
        "--source=kube",
        `--kubeconfig=${kubeconfig}`,
        `--namespaces=${namespace}`,
        `--nats=${nats.url}`,
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          SEGWATCH_API_TOKENS: `${token}=${namespace}`,
          SEGWATCH_API_HOST: "127.0.0.1",
          SEGWATCH_API_PORT: "0",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the api did not start:\n${output}`)),
        WAIT_MS,
      );
      const onData = (d: Buffer) => {
        output += String(d);
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child!.stdout!.on("data", onData);
      child!.stderr!.on("data", onData);
      child!.once("exit", (code) => reject(new Error(`the api exited ${code}:\n${output}`)));
    });
    const auth = { authorization: token };
    const seg = await fetch(`${url}/api/segment`, {
      method: "POST",
      headers: { ...auth, "content-type": "text/plain" },
      body: 'FILTER AND ( plan = "pro" ) FROM user ALIAS pro_users',
    });
    expect(seg.status, await seg.clone().text()).toBe(200);
    const segId = ((await seg.json()) as { data: { id: string } }).data.id;
    const sub = await fetch(`${url}/api/subscription`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        channel: "webhook",
        name: "rest-hook",
        segment_ids: [segId],
        webhook_url: "https://example.com/hook",
        headers: { Authorization: "Bearer s3cret" },
      }),
    });
    expect(sub.status, await sub.clone().text()).toBe(200);
    const list = await fetch(`${url}/api/subscription`, { headers: auth });
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("rest-hook");
    expect(await kubectlOk(["get", "secrets", "-n", namespace, "-o", "name"])).toContain(
      "secret/rest-hook-credentials",
    );
    expect(output).not.toMatch(/forbidden/i);
  });
});
