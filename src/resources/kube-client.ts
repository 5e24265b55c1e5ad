// Small helpers around @kubernetes/client-node shared by the Kubernetes source, leader election and
// the delivery Deployments: loading a kubeconfig, telling API errors apart, the merge-patch content
// type the generated client does not default to, and the apiserver's MicroTime format.

import {
  type ConfigurationOptions,
  KubeConfig,
  type ObservableMiddleware,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";

/**
 * A kubeconfig from a file, or the default chain ($KUBECONFIG, ~/.kube/config, in-cluster service
 * account) when no file is given.
 */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error(
      file ? `kubeconfig ${file} has no current cluster` : "no kubeconfig found (set KUBECONFIG)",
    );
  return kc;
}

/** The HTTP status of an API error (ApiException's code, a watch error's statusCode). */
export function statusCodeOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === "number") return e.code;
  if (typeof e?.statusCode === "number") return e.statusCode;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;

/**
 * Worth trying again: 429 (throttled, or storage still initialising after a CRD appears), 5xx, or no
 * answer at all (connection refused or reset).
 */
export function isRetryable(err: unknown): boolean {
  const code = statusCodeOf(err);
  return code === undefined || code === 429 || code >= 500;
}

/** The apiserver's message from an ApiException's body (a metav1.Status), else the error's. */
export function apiErrorMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === "string") {
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === "string") return status.message;
    } catch {
      // not JSON: fall through
    }
  } else if (body && typeof (body as { message?: unknown }).message === "string") {
    return (body as { message: string }).message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Request options that send a body as a JSON merge patch (RFC 7386). */
export function mergePatch(): ConfigurationOptions<ObservableMiddleware> {
  return setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
}

/** metav1.MicroTime's format: RFC 3339 with exactly six fractional digits. */
export function microTime(at: Date): string {
  return `${at.toISOString().slice(0, -1)}000Z`;
}
