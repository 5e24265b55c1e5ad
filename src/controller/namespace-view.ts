// What a namespace's segments compile against: the other segments (INCLUDE targets, slugs) and the
// declared field types of its ProfileSchema "default" (only a valid one counts).

import type { ResourceSource } from "../resources/source.ts";
import { PROFILE_SCHEMA_NAME, type ProfileSchema } from "../resources/types.ts";
import { validateProfileSchema } from "../resources/validation.ts";
import type { FieldTypes } from "../segmentql/index.ts";
import { schemaFieldTypes } from "./record-builders.ts";
import { indexSegments, type SegmentIndex } from "./segment-index.ts";

export interface NamespaceView {
  readonly index: SegmentIndex;
  readonly types: FieldTypes;
}

export async function loadNamespace(
  source: ResourceSource,
  namespace: string,
): Promise<NamespaceView> {
  const [segments, schema] = await Promise.all([
    source.list("Segment", namespace),
    source.get("ProfileSchema", namespace, PROFILE_SCHEMA_NAME),
  ]);
  return { index: indexSegments(segments), types: namespaceTypes(schema) };
}

export function namespaceTypes(schema: ProfileSchema | undefined): FieldTypes {
  if (!schema || validateProfileSchema(schema.metadata.name, schema.spec).length > 0) return {};
  return schemaFieldTypes(schema.spec);
}
