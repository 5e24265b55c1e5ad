// ProfileSchema reconcile: only the one named "default" counts for a namespace. A valid one is
// registered for the evaluators; when what is registered changes, the namespace's segments are
// reconciled again (declared types change what compiles and what is time-dependent).

import { registryKey } from "../nats/names.ts";
import {
  PROFILE_SCHEMA_NAME,
  type ProfileSchemaStatus,
  type ResourceKey,
} from "../resources/types.ts";
import { validateProfileSchema } from "../resources/validation.ts";
import { type ConditionInput, falseCondition, setConditions, trueCondition } from "./conditions.ts";
import type { ReconcileContext, ReconcileResult } from "./context.ts";
import { ConditionType, Reason } from "./reasons.ts";
import { buildSchemaRecord } from "./record-builders.ts";
import { describeFieldErrors } from "./segment-compile.ts";
import { writeStatusIfChanged } from "./status-write.ts";

export async function reconcileProfileSchema(
  ctx: ReconcileContext,
  key: ResourceKey,
): Promise<ReconcileResult> {
  const { namespace, name } = key;
  const counts = name === PROFILE_SCHEMA_NAME;
  const schema = await ctx.source.get("ProfileSchema", namespace, name);
  if (!schema) {
    if (counts && (await ctx.registry.delete(registryKey.schema(namespace))))
      await wakeSegments(ctx, namespace);
    return {};
  }

  const errors = validateProfileSchema(name, schema.spec);
  let ready: ConditionInput;
  if (errors.length > 0) {
    ready = falseCondition(ConditionType.Ready, Reason.InvalidSpec, describeFieldErrors(errors));
  } else {
    const record = buildSchemaRecord(namespace, schema.spec);
    ready = trueCondition(
      ConditionType.Ready,
      Reason.Valid,
      `identity fields ${record.identityFields.join(", ")}; ${Object.keys(record.fields).length} declared field type(s)`,
    );
  }
  if (counts) {
    const changed =
      errors.length > 0
        ? await ctx.registry.delete(registryKey.schema(namespace))
        : await ctx.registry.put(
            registryKey.schema(namespace),
            buildSchemaRecord(namespace, schema.spec),
          );
    if (changed) await wakeSegments(ctx, namespace);
  }

  const generation = schema.metadata.generation ?? 1;
  const status: ProfileSchemaStatus = {
    observedGeneration: generation,
    conditions: setConditions(schema.status?.conditions, [ready], generation, ctx.now()),
  };
  await writeStatusIfChanged(ctx.source, "ProfileSchema", namespace, name, schema.status, status);
  return {};
}

async function wakeSegments(ctx: ReconcileContext, namespace: string): Promise<void> {
  for (const s of await ctx.source.list("Segment", namespace)) {
    ctx.enqueue({ kind: "Segment", namespace, name: s.metadata.name });
  }
}
