// Installs the segwatch.io CRDs into a cluster and waits until the API server serves them. Uses the
// CRD objects crds/*.yaml are generated from (src/resources/crd-schema.ts), so an installed binary
// needs no YAML files beside it; crd-files.test.ts keeps the two identical.

import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { CRD_DEFINITIONS, customResourceDefinition } from "../resources/crd-schema.ts";
import { CLUSTER_DEFAULTS, FIELD_MANAGER } from "./defaults.ts";
import { CrdNotEstablishedError } from "./errors.ts";
import { type CheckResult, WaitFailedError, waitFor } from "./probes.ts";

/** The names (plural.group) of the CRDs segwatch installs. */
export function crdNames(): string[] {
  return CRD_DEFINITIONS.map((d) => `${d.plural}.segwatch.io`);
}

export function kubeConfigFrom(kubeconfigYaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml);
  return kc;
}

/** Server-side applies every CRD (creating or updating it), then waits until each is Established. */
export async function installCrds(
  kc: KubeConfig,
  timeoutMs: number = CLUSTER_DEFAULTS.startTimeoutMs,
): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const def of CRD_DEFINITIONS) {
    const body = customResourceDefinition(def);
    const name = (body.metadata as { name: string }).name;
    try {
      await api.patchCustomResourceDefinition(
        { name, body, fieldManager: FIELD_MANAGER, force: true, fieldValidation: "Strict" },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      throw new CrdNotEstablishedError(`applying CRD ${name} failed: ${describeApiError(err)}`, {
        cause: err,
      });
    }
  }
  for (const name of crdNames()) {
    try {
      await waitFor(`CRD ${name} Established`, () => established(api, name), { timeoutMs });
    } catch (err) {
      if (err instanceof WaitFailedError)
        throw new CrdNotEstablishedError(err.message, { cause: err });
      throw err;
    }
  }
}

async function established(api: ApiextensionsV1Api, name: string): Promise<CheckResult> {
  let crd: V1CustomResourceDefinition;
  try {
    crd = await api.readCustomResourceDefinition({ name });
  } catch (err) {
    return { ok: false, last: describeApiError(err) };
  }
  const conditions = crd.status?.conditions ?? [];
  const names = conditions.find((c) => c.type === "NamesAccepted");
  if (names?.status === "False") {
    // Terminal: another CRD holds a name or short name; waiting would not help.
    throw new CrdNotEstablishedError(`CRD ${name}: names not accepted: ${names.message}`);
  }
  const est = conditions.find((c) => c.type === "Established");
  if (est?.status === "True") return { ok: true };
  return { ok: false, last: `Established=${est?.status ?? "absent"} ${est?.message ?? ""}`.trim() };
}

/** Polls until namespace `name` exists (the API server creates default and kube-system itself). */
export async function waitForNamespace(
  kc: KubeConfig,
  name: string,
  timeoutMs: number = CLUSTER_DEFAULTS.startTimeoutMs,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(
    `namespace ${name}`,
    async () => {
      try {
        await core.readNamespace({ name });
        return { ok: true };
      } catch (err) {
        return { ok: false, last: describeApiError(err) };
      }
    },
    { timeoutMs },
  );
}

/** An API error's status and the server's message, or any other error's message. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    let message = typeof body === "string" ? body : JSON.stringify(body);
    try {
      const parsed = typeof body === "string" ? JSON.parse(body) : body;
      if (parsed && typeof parsed.message === "string") message = parsed.message;
    } catch {
      // Not JSON: keep the raw body.
    }
    return `HTTP ${err.code}: ${message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
