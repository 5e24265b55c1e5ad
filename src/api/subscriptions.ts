// The brief's subscription routes: POST /api/subscription upserts by name, GET lists (optionally
// those that listen to one segment) or fetches, DELETE removes. Subscription resources and their
// credentials Secret are read and written through the ResourceSource; the controller resolves the
// segments, registers the subscription and reports its status.

import type { FastifyPluginAsync } from "fastify";
import type { ResourceSource } from "../resources/source.ts";
import { API_VERSION, resourceId, type SecretData, type Subscription } from "../resources/types.ts";
import { KEY_QUERY_PROPERTY, REST_QUERY, SECURITY } from "./auth.ts";
import { ANNOTATION, credentialsSecretName } from "./defaults.ts";
import { ApiError, errorResponses, fieldErrors } from "./errors.ts";
import { type JsonParseError, parseJson } from "./json-location.ts";
import { envelope, idParams, subscriptionBodySchema, subscriptionRef } from "./schemas.ts";
import { SegmentDirectory } from "./segment-directory.ts";
import { ok, type ResourceRouteOptions } from "./segments.ts";
import {
  briefName,
  listensTo,
  type SubscriptionBody,
  subscriptionResourceName,
  subscriptionView,
  toSubscriptionSpec,
  usesCredentialsSecret,
} from "./subscription-mapping.ts";

const querystring = REST_QUERY;

/** A subscription of the namespace by id (with or without dashes) or name; 404 otherwise. */
export async function findSubscription(
  source: ResourceSource,
  namespace: string,
  ref: string,
): Promise<Subscription> {
  const subs = await source.list("Subscription", namespace);
  const id = ref.replaceAll("-", "").toLowerCase();
  const derived = subscriptionResourceName(ref);
  const sub =
    subs.find((s) => resourceId(s.metadata) === id) ??
    subs.find((s) => s.metadata.name === ref || briefName(s) === ref) ??
    subs.find((s) => s.metadata.name === derived);
  if (!sub) throw new ApiError("not_found", `no subscription "${ref}" (by id or name)`);
  return sub;
}

export const subscriptionRoutes: FastifyPluginAsync<ResourceRouteOptions> = async (app, opts) => {
  const { source, clock } = opts;

  // Fastify's own JSON parser says only "invalid JSON"; this one says where.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === "") {
      done(new ApiError("empty_body", "the body is empty; send the subscription as a JSON object"));
      return;
    }
    try {
      done(null, parseJson(text));
    } catch (err) {
      const e = err as JsonParseError;
      done(
        new ApiError("invalid_json", e.message, [
          { line: e.line, column: e.column, kind: "InvalidJSON", reason: e.reason },
        ]),
      );
    }
  });

  const secretOf = async (sub: Subscription): Promise<SecretData | undefined> =>
    usesCredentialsSecret(sub)
      ? source.readSecret(sub.metadata.namespace, credentialsSecretName(sub.metadata.name))
      : undefined;

  const segments = async (namespace: string) =>
    new SegmentDirectory(await source.list("Segment", namespace));

  const find = (namespace: string, ref: string) => findSubscription(source, namespace, ref);

  app.post(
    "/api/subscription",
    {
      schema: {
        summary: "Create or update a subscription (upsert by name)",
        description:
          "The brief's subscription JSON. `segment_ids` takes ids, slugs or names; `segmentql` makes an inline segment instead. A reference that does not resolve yet is accepted and reported in `status` (SegmentsResolved).",
        tags: ["subscriptions"],
        security: SECURITY,
        consumes: ["application/json"],
        querystring,
        body: subscriptionBodySchema,
        response: {
          200: envelope(
            subscriptionRef,
            "The subscription as stored (status follows once the controller processed it).",
          ),
          ...errorResponses(400, 401, 409, 413, 415),
        },
      },
    },
    async (request) => {
      const ns = request.namespace;
      const body = request.body as SubscriptionBody;
      const name = subscriptionResourceName(body.name);
      const mapped = toSubscriptionSpec(body, name);
      if (mapped.problems.length > 0) {
        const onlyQl = mapped.problems.every((p) => p.kind === "InvalidSegmentQL");
        throw fieldErrors(onlyQl ? "invalid_segmentql" : "validation_failed", mapped.problems);
      }
      const existing = await source.get("Subscription", ns, name);
      const previousName = existing?.metadata.annotations?.[ANNOTATION.restName];
      if (previousName !== undefined && previousName.toLowerCase() !== body.name.toLowerCase())
        throw new ApiError(
          "conflict",
          `name "${body.name}" is stored as ${name}, which subscription "${previousName}" already uses; choose another name`,
          [{ field: "name", kind: "Conflict", reason: `resource name ${name} is taken` }],
        );

      const secretName = credentialsSecretName(name);
      const hasSecret = Object.keys(mapped.secret).length > 0;
      // Values go in before the resource that references them, and out after it stopped doing so,
      // so the controller never resolves a reference to a missing value.
      if (hasSecret) {
        const current = await source.readSecret(ns, secretName);
        if (!sameJson(current ?? {}, mapped.secret))
          await source.writeSecret(ns, secretName, mapped.secret);
      }
      let stored: Subscription;
      if (existing && sameJson(existing.spec, mapped.spec) && previousName === body.name) {
        stored = existing;
      } else {
        const annotations: Record<string, string> = {
          ...(existing?.metadata.annotations ?? {}),
          [ANNOTATION.restName]: body.name,
          [ANNOTATION.updatedAt]: clock().toISOString(),
        };
        if (!existing) annotations[ANNOTATION.createdBy] = request.principal;
        stored = await source.apply({
          apiVersion: API_VERSION,
          kind: "Subscription",
          metadata: {
            name,
            namespace: ns,
            annotations,
            ...(existing?.metadata.labels ? { labels: existing.metadata.labels } : {}),
          },
          spec: mapped.spec,
        });
      }
      if (!hasSecret && existing && usesCredentialsSecret(existing))
        await source.writeSecret(ns, secretName, {});
      return ok(
        subscriptionView(stored, await segments(ns), hasSecret ? mapped.secret : undefined),
      );
    },
  );

  app.get(
    "/api/subscription",
    {
      schema: {
        summary: "List the subscriptions",
        tags: ["subscriptions"],
        security: SECURITY,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...KEY_QUERY_PROPERTY,
            segment_id: {
              type: "string",
              description: "Only subscriptions that listen to this segment (id or slug).",
            },
          },
        },
        response: {
          200: envelope({ type: "array", items: subscriptionRef }, "The subscriptions."),
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const ns = request.namespace;
      const { segment_id: segmentId } = request.query as { segment_id?: string };
      const [subs, directory] = await Promise.all([source.list("Subscription", ns), segments(ns)]);
      const selected =
        segmentId === undefined || segmentId === ""
          ? subs
          : subs.filter((s) => listensTo(s, directory, segmentId));
      const views = await Promise.all(
        selected.map(async (s) => subscriptionView(s, directory, await secretOf(s))),
      );
      return ok(views.sort((a, b) => a.name.localeCompare(b.name)));
    },
  );

  app.get(
    "/api/subscription/:id",
    {
      schema: {
        summary: "Get a subscription",
        tags: ["subscriptions"],
        security: SECURITY,
        params: idParams,
        querystring,
        response: {
          200: envelope(subscriptionRef, "The subscription."),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const sub = await find(request.namespace, id);
      return ok(subscriptionView(sub, await segments(request.namespace), await secretOf(sub)));
    },
  );

  app.delete(
    "/api/subscription/:id",
    {
      schema: {
        summary: "Delete a subscription",
        description: "Its inline segment and delivery consumers go with it.",
        tags: ["subscriptions"],
        security: SECURITY,
        params: idParams,
        querystring,
        response: {
          200: envelope(subscriptionRef, "The subscription as it was."),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const ns = request.namespace;
      const sub = await find(ns, id);
      const view = subscriptionView(sub, await segments(ns), await secretOf(sub));
      if (!(await source.delete("Subscription", ns, sub.metadata.name)))
        throw new ApiError("not_found", `no subscription "${id}" (by id or name)`);
      // The source has no Secret deletion; emptying it leaves no credential behind.
      if (usesCredentialsSecret(sub))
        await source.writeSecret(ns, credentialsSecretName(sub.metadata.name), {});
      return ok(view, "deleted");
    },
  );
};

/** Structural equality of JSON values, key order aside. */
export function sameJson(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b);
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
