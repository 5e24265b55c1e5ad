// `segwatch segment test <segment.yaml | segment.sql> --profiles <users.jsonl>`: evaluates a segment
// against sample profiles offline, prints each result and a summary, and fails when a profile that
// carries "expect" disagrees — a unit test for a segment definition.

import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { loadAll } from "js-yaml";
import { compileSegment, type FieldTypes, SegmentQLError } from "../segmentql/index.ts";
import { type FieldType, parseFieldType } from "../segmentql/values.ts";

export interface SegmentTestOptions {
  readonly segmentFile: string;
  readonly profilesFile: string;
  /** The instant for date math (default: now). */
  readonly now?: number;
  /** Which Segment of a multi-document YAML file to test (metadata.name or ALIAS); default the first. */
  readonly segment?: string;
  readonly out: (line: string) => void;
}

export interface SegmentTestResult {
  readonly total: number;
  readonly matched: number;
  readonly failedExpectations: number;
  readonly errors: number;
}

/** Thrown for input the command cannot use at all (exit status 2). */
export class UsageError extends Error {}

interface SegmentDoc {
  readonly name: string;
  readonly ql: string;
}

interface LoadedDefinition {
  readonly segments: SegmentDoc[];
  readonly types: FieldTypes;
  readonly identityFields: readonly string[];
}

const DEFAULT_IDENTITY_FIELDS = ["user_id"];

export async function runSegmentTest(opts: SegmentTestOptions): Promise<SegmentTestResult> {
  const def = await loadDefinition(opts.segmentFile);
  const target = pickSegment(def.segments, opts.segment);
  const library = new Map(def.segments.map((s) => [s.name.toLowerCase(), s.ql]));
  for (const s of def.segments) {
    const alias = /\bALIAS\s+[`']?([\w.-]+)/i.exec(s.ql)?.[1];
    if (alias) library.set(alias.toLowerCase(), s.ql);
  }
  let segment: ReturnType<typeof compileSegment>;
  try {
    segment = compileSegment(target.ql, {
      types: def.types,
      includes: (n) => library.get(n.toLowerCase()),
    });
  } catch (err) {
    if (err instanceof SegmentQLError)
      throw new UsageError(`${opts.segmentFile}: segment ${target.name}: ${err.message}`);
    throw err;
  }
  const now = opts.now ?? Date.now();
  const text = await readText(opts.profilesFile);
  let total = 0;
  let matched = 0;
  let failedExpectations = 0;
  let errors = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("//")) continue;
    let profile: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not a JSON object");
      profile = parsed as Record<string, unknown>;
    } catch (err) {
      errors++;
      opts.out(`! line ${i + 1}: ${(err as Error).message}`);
      continue;
    }
    total++;
    const { expect, ...fields } = profile;
    const result = segment.matches(fields, now);
    if (result) matched++;
    const who = identify(fields, def.identityFields) ?? `line ${i + 1}`;
    if (expect !== undefined && typeof expect !== "boolean") {
      errors++;
      opts.out(`! ${who}: "expect" must be true or false`);
      continue;
    }
    const verdict = result ? "match" : "no match";
    if (expect === undefined) {
      opts.out(`  ${who}: ${verdict}`);
    } else if (expect === result) {
      opts.out(`✓ ${who}: ${verdict}`);
    } else {
      failedExpectations++;
      opts.out(`✗ ${who}: ${verdict}, expected ${expect ? "match" : "no match"}`);
    }
  }
  const summary = [
    `${total} profile${total === 1 ? "" : "s"}: ${matched} match, ${total - matched} no match`,
  ];
  if (failedExpectations > 0)
    summary.push(`${failedExpectations} expectation${failedExpectations === 1 ? "" : "s"} failed`);
  if (errors > 0) summary.push(`${errors} bad line${errors === 1 ? "" : "s"}`);
  opts.out(`segment ${target.name}: ${summary.join("; ")}`);
  return { total, matched, failedExpectations, errors };
}

function identify(
  profile: Record<string, unknown>,
  identityFields: readonly string[],
): string | undefined {
  for (const f of identityFields) {
    const v = profile[f];
    if (typeof v === "string" || typeof v === "number") return String(v);
  }
  return undefined;
}

function pickSegment(segments: SegmentDoc[], wanted: string | undefined): SegmentDoc {
  if (segments.length === 0) throw new UsageError("no Segment found in the segment file");
  if (wanted === undefined) return segments[0]!;
  const found = segments.find((s) => s.name === wanted);
  if (!found)
    throw new UsageError(
      `no Segment named ${JSON.stringify(wanted)}; have ${segments.map((s) => s.name).join(", ")}`,
    );
  return found;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** A .sql/.ql file is one statement; a YAML file holds Segment (and optionally ProfileSchema) manifests. */
async function loadDefinition(file: string): Promise<LoadedDefinition> {
  const text = await readText(file);
  const ext = extname(file).toLowerCase();
  if (ext !== ".yaml" && ext !== ".yml") {
    return {
      segments: [{ name: file, ql: text }],
      types: {},
      identityFields: DEFAULT_IDENTITY_FIELDS,
    };
  }
  let docs: unknown[];
  try {
    docs = loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    throw new UsageError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  const segments: SegmentDoc[] = [];
  let types: Record<string, FieldType> = {};
  let identityFields: readonly string[] = DEFAULT_IDENTITY_FIELDS;
  for (const [i, doc] of docs.entries()) {
    const d = doc as {
      kind?: unknown;
      metadata?: { name?: unknown };
      spec?: Record<string, unknown>;
    };
    const where = `${file}: document ${i + 1}`;
    if (d.kind === "Segment") {
      const ql = d.spec?.segmentql;
      if (typeof ql !== "string") throw new UsageError(`${where}: spec.segmentql must be a string`);
      segments.push({
        name: typeof d.metadata?.name === "string" ? d.metadata.name : `segment-${i + 1}`,
        ql,
      });
    } else if (d.kind === "ProfileSchema") {
      const fields = d.spec?.fields ?? {};
      if (typeof fields !== "object" || fields === null)
        throw new UsageError(`${where}: spec.fields must be a map`);
      types = {};
      for (const [field, t] of Object.entries(fields)) {
        const ft = typeof t === "string" ? parseFieldType(t) : undefined;
        if (!ft)
          throw new UsageError(`${where}: spec.fields.${field}: unknown type ${JSON.stringify(t)}`);
        types[field] = ft;
      }
      const ids = d.spec?.identityFields;
      if (ids !== undefined) {
        if (!Array.isArray(ids) || !ids.every((x) => typeof x === "string")) {
          throw new UsageError(`${where}: spec.identityFields must be a list of field names`);
        }
        identityFields = ids;
      }
    }
  }
  return { segments, types, identityFields };
}
