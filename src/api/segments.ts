// The brief's segment routes: POST /api/segment upserts a SegmentQL statement (text/plain) by its
// ALIAS, GET lists or fetches (by id, slug or name), DELETE removes. They read and write Segment
// resources through the ResourceSource — the controller compiles them and reports status.

import type { FastifyPluginAsync } from "fastify";
import type { ResourceSource } from "../resources/source.ts";
import { API_VERSION, resourceId, type Segment } from "../resources/types.ts";
import { validateName, validateSegmentSpec } from "../resources/validation.ts";
import { parseStatement } from "../segmentql/index.ts";
import { REST_QUERY, SECURITY } from "./auth.ts";
import { ANNOTATION } from "./defaults.ts";
import { ApiError, errorResponses, fieldErrors, type ProblemDetail } from "./errors.ts";
import { envelope, idParams, segmentRef } from "./schemas.ts";
import { owningSubscription, SegmentDirectory, slugOf } from "./segment-directory.ts";
import { readinessView } from "./status-view.ts";

export interface ResourceRouteOptions {
  readonly source: ResourceSource;
  readonly clock: () => Date;
}

export interface SegmentView {
  id: string;
  name: string;
  slug: string;
  segmentql: string;
  description: string;
  resource_name: string;
  account_id: string;
  created: string;
  updated: string;
  status: ReturnType<typeof readinessView> & {
    members: number;
    fields: string[];
    time_dependent: boolean;
  };
}

export function segmentView(s: Segment): SegmentView {
  const created = s.metadata.creationTimestamp ?? "";
  return {
    id: resourceId(s.metadata),
    name: slugOf(s),
    slug: slugOf(s),
    segmentql: s.spec?.segmentql ?? "",
    description: s.spec?.description ?? "",
    resource_name: s.metadata.name,
    account_id: s.metadata.namespace,
    created,
    updated: s.metadata.annotations?.[ANNOTATION.updatedAt] ?? created,
    status: {
      ...readinessView(s.metadata, s.status),
      members: s.status?.members ?? 0,
      fields: s.status?.fields ?? [],
      time_dependent: s.status?.timeDependent ?? false,
    },
  };
}

/** "1:15: expected …" → line 1, column 15. */
export function segmentqlProblem(field: string, reason: string): ProblemDetail {
  const m = /^(\d+):(\d+): (.*)$/s.exec(reason);
  return m
    ? { field, line: Number(m[1]), column: Number(m[2]), kind: "InvalidSegmentQL", reason }
    : { field, kind: "InvalidSegmentQL", reason };
}

const querystring = REST_QUERY;

export const segmentRoutes: FastifyPluginAsync<ResourceRouteOptions> = async (app, opts) => {
  const { source, clock } = opts;

  // curl -d without a Content-Type sends form encoding; the body is still the statement.
  app.addContentTypeParser(
    ["application/sql", "application/x-www-form-urlencoded"],
    { parseAs: "string" },
    (_request, body, done) => done(null, body),
  );

  const load = async (namespace: string) =>
    new SegmentDirectory(await source.list("Segment", namespace));

  const find = async (namespace: string, ref: string): Promise<Segment> => {
    const segment = (await load(namespace)).find(ref);
    if (!segment) throw new ApiError("not_found", `no segment "${ref}" (by id, slug or name)`);
    return segment;
  };

  app.post(
    "/api/segment",
    {
      schema: {
        summary: "Create or update a segment (upsert by ALIAS)",
        description:
          "The body is one SegmentQL statement. Its ALIAS is the segment's slug (its `name` in responses) and, with `_` turned into `-`, the Segment resource's name; posting a statement with the same ALIAS again updates that segment.",
        tags: ["segments"],
        security: SECURITY,
        consumes: ["text/plain"],
        querystring,
        body: { type: "string", description: "A SegmentQL statement with an ALIAS." },
        response: {
          200: envelope(
            segmentRef,
            "The segment as stored (status follows once the controller compiled it).",
          ),
          ...errorResponses(400, 401, 409, 413, 415),
        },
      },
    },
    async (request) => {
      const ns = request.namespace;
      const text = typeof request.body === "string" ? request.body : "";
      const specErrors = validateSegmentSpec({ segmentql: text });
      if (specErrors.length > 0) {
        const invalidQl = specErrors.some((e) => e.code === "InvalidSegmentQL");
        throw fieldErrors(
          invalidQl ? "invalid_segmentql" : "validation_failed",
          specErrors.map((e) =>
            e.code === "InvalidSegmentQL"
              ? segmentqlProblem("segmentql", e.reason)
              : { field: "segmentql", kind: e.code, reason: e.reason },
          ),
        );
      }
      const alias = parseStatement(text).alias;
      if (!alias)
        throw new ApiError(
          "missing_alias",
          "the statement has no ALIAS: end it with ALIAS <slug> (the upsert key, e.g. ALIAS demo_segment)",
          [{ field: "ALIAS", kind: "Required", reason: "the upsert key of a segment" }],
        );
      const slug = alias.toLowerCase();
      const segmentql = text.trim();
      const directory = await load(ns);
      const existing = directory.bySlugOnly(slug);
      let name: string;
      if (existing) {
        const owner = owningSubscription(existing);
        if (owner)
          throw new ApiError(
            "conflict",
            `segment ${slug} is the inline segment of subscription ${owner}; change the subscription's segmentql instead`,
            [{ field: "ALIAS", kind: "Conflict", reason: `owned by subscription ${owner}` }],
          );
        if (existing.spec?.segmentql === segmentql) return ok(segmentView(existing));
        name = existing.metadata.name;
      } else {
        name = slug.replaceAll("_", "-");
        const nameErrors = validateName(name);
        if (nameErrors.length > 0)
          throw fieldErrors("validation_failed", [
            {
              field: "ALIAS",
              kind: "Invalid",
              reason: `ALIAS ${alias} cannot name a segment: as a resource name ${nameErrors[0]!.reason}`,
            },
          ]);
        const taken = directory.byResourceName(name);
        if (taken)
          throw new ApiError(
            "conflict",
            `a segment named ${name} already exists with the slug ${slugOf(taken)}; use ALIAS ${slugOf(taken)} to update it`,
            [{ field: "ALIAS", kind: "Conflict", reason: `resource name ${name} is taken` }],
          );
      }
      const annotations: Record<string, string> = {
        ...(existing?.metadata.annotations ?? {}),
        [ANNOTATION.updatedAt]: clock().toISOString(),
      };
      if (!existing) annotations[ANNOTATION.createdBy] = request.principal;
      const resource: Segment = {
        apiVersion: API_VERSION,
        kind: "Segment",
        metadata: {
          name,
          namespace: ns,
          annotations,
          ...(existing?.metadata.labels ? { labels: existing.metadata.labels } : {}),
        },
        spec: { ...(existing?.spec ?? {}), segmentql },
      };
      return ok(segmentView(await source.apply(resource)));
    },
  );

  app.get(
    "/api/segment",
    {
      schema: {
        summary: "List the segments",
        tags: ["segments"],
        security: SECURITY,
        querystring,
        response: {
          200: envelope({ type: "array", items: segmentRef }, "Every segment of the namespace."),
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const directory = await load(request.namespace);
      return ok(
        directory.segments
          .map(segmentView)
          .sort(
            (a, b) =>
              a.name.localeCompare(b.name) || a.resource_name.localeCompare(b.resource_name),
          ),
      );
    },
  );

  app.get(
    "/api/segment/:id",
    {
      schema: {
        summary: "Get a segment",
        tags: ["segments"],
        security: SECURITY,
        params: idParams,
        querystring,
        response: { 200: envelope(segmentRef, "The segment."), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return ok(segmentView(await find(request.namespace, id)));
    },
  );

  app.delete(
    "/api/segment/:id",
    {
      schema: {
        summary: "Delete a segment",
        description:
          "Subscriptions that name it stop resolving (their status says so). An inline segment goes with its subscription instead.",
        tags: ["segments"],
        security: SECURITY,
        params: idParams,
        querystring,
        response: {
          200: envelope(segmentRef, "The segment as it was."),
          ...errorResponses(401, 404, 409),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const segment = await find(request.namespace, id);
      const owner = owningSubscription(segment);
      if (owner)
        throw new ApiError(
          "conflict",
          `segment ${slugOf(segment)} is the inline segment of subscription ${owner}; delete or change the subscription instead`,
        );
      if (!(await source.delete("Segment", segment.metadata.namespace, segment.metadata.name)))
        throw new ApiError("not_found", `no segment "${id}" (by id, slug or name)`);
      return ok(segmentView(segment), "deleted");
    },
  );
};

export function ok<T>(data: T, message = "success"): { status: 200; message: string; data: T } {
  return { status: 200, message, data };
}
