// `segwatch status`: Segments and Subscriptions with their Ready condition and counters, in the
// columns `kubectl get` would print (-o wide adds the message). Formatting is pure; runStatus reads
// the resources through the source.

import type { ResourceSource } from "../resources/source.ts";
import type { Condition, Segment, Subscription } from "../resources/types.ts";
import { findCondition } from "./conditions.ts";
import { ConditionType } from "./reasons.ts";

export interface StatusReportOptions {
  /** One namespace, or all when undefined (a NAMESPACE column is added, as kubectl -A does). */
  readonly namespace?: string;
  /** Adds the Ready condition's message. */
  readonly wide?: boolean;
  /** For AGE (epoch ms). */
  readonly now: number;
}

interface ReadyColumns {
  readonly ready: string;
  readonly reason: string;
  readonly message: string;
}

/** The Ready condition as printed; Unknown while the controller has not seen the current spec. */
export function readyColumns(
  conditions: readonly Condition[] | undefined,
  observedGeneration: number | undefined,
  generation: number | undefined,
): ReadyColumns {
  const ready = findCondition(conditions, ConditionType.Ready);
  if (!ready) return { ready: "Unknown", reason: "Pending", message: "not reconciled yet" };
  if (
    observedGeneration !== undefined &&
    generation !== undefined &&
    observedGeneration < generation
  ) {
    return {
      ready: "Unknown",
      reason: "Reconciling",
      message: `generation ${generation} not reconciled yet (status is of ${observedGeneration})`,
    };
  }
  return { ready: ready.status, reason: ready.reason, message: ready.message };
}

export function segmentTable(segments: readonly Segment[], opts: StatusReportOptions): string[] {
  const header = ["NAME", "SLUG", "READY", "REASON", "MEMBERS", "AGE"];
  const rows = segments.map((s) => {
    const r = readyColumns(
      s.status?.conditions,
      s.status?.observedGeneration,
      s.metadata.generation,
    );
    return {
      namespace: s.metadata.namespace,
      cells: [
        s.metadata.name,
        s.status?.slug ?? "",
        r.ready,
        r.reason,
        s.status?.members === undefined ? "" : String(s.status.members),
        age(s.metadata.creationTimestamp, opts.now),
      ],
      message: r.message,
    };
  });
  return table(header, rows, opts);
}

export function subscriptionTable(
  subscriptions: readonly Subscription[],
  opts: StatusReportOptions,
): string[] {
  const header = [
    "NAME",
    "CHANNEL",
    "SEGMENTS",
    "READY",
    "REASON",
    "DELIVERED",
    "FAILED",
    "DEAD-LETTERED",
    "BACKFILL",
    "AGE",
  ];
  const rows = subscriptions.map((s) => {
    const st = s.status;
    const r = readyColumns(st?.conditions, st?.observedGeneration, s.metadata.generation);
    const segments = s.spec.segments?.length
      ? s.spec.segments.join(",")
      : s.spec.segmentql
        ? "(inline)"
        : "";
    return {
      namespace: s.metadata.namespace,
      cells: [
        s.metadata.name,
        s.spec.channel ?? "",
        segments,
        r.ready,
        r.reason,
        String(st?.delivered ?? 0),
        String(st?.failed ?? 0),
        String(st?.deadLettered ?? 0),
        st?.backfill?.state ?? (s.spec.withBackfill ? "Pending" : "NotRequested"),
        age(s.metadata.creationTimestamp, opts.now),
      ],
      message: r.message,
    };
  });
  return table(header, rows, opts);
}

/** The whole report: one titled table per kind, by their fully qualified names. */
export function renderStatus(
  segments: readonly Segment[],
  subscriptions: readonly Subscription[],
  opts: StatusReportOptions,
): string[] {
  const where = opts.namespace === undefined ? "any namespace" : `namespace ${opts.namespace}`;
  const section = (title: string, kind: string, lines: string[], count: number) =>
    count === 0 ? [`${title}: no ${kind} in ${where}.`] : [`${title}:`, ...lines];
  return [
    ...section("segments.segwatch.io", "segments", segmentTable(segments, opts), segments.length),
    "",
    ...section(
      "subscriptions.segwatch.io",
      "subscriptions",
      subscriptionTable(subscriptions, opts),
      subscriptions.length,
    ),
  ];
}

export interface RunStatusOptions {
  readonly source: ResourceSource;
  readonly namespace?: string;
  readonly wide?: boolean;
  readonly out: (line: string) => void;
  readonly now?: number;
}

/** Prints the report; returns the exit code (0: reading worked, whatever the resources' state). */
export async function runStatus(opts: RunStatusOptions): Promise<number> {
  const [segments, subscriptions] = await Promise.all([
    opts.source.list("Segment", opts.namespace),
    opts.source.list("Subscription", opts.namespace),
  ]);
  const lines = renderStatus(segments, subscriptions, {
    ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
    ...(opts.wide ? { wide: true } : {}),
    now: opts.now ?? Date.now(),
  });
  for (const line of lines) opts.out(line);
  return 0;
}

function table(
  header: readonly string[],
  rows: readonly { namespace: string; cells: readonly string[]; message: string }[],
  opts: StatusReportOptions,
): string[] {
  const all = opts.namespace === undefined;
  const head = [...(all ? ["NAMESPACE"] : []), ...header, ...(opts.wide ? ["MESSAGE"] : [])];
  const body = rows.map((r) => [
    ...(all ? [r.namespace] : []),
    ...r.cells,
    ...(opts.wide ? [r.message] : []),
  ]);
  return formatColumns([head, ...body]);
}

/** Left-aligned columns separated by three spaces, as kubectl prints them; no trailing blanks. */
export function formatColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd(),
  );
}

function age(created: string | undefined, now: number): string {
  const t = created ? Date.parse(created) : Number.NaN;
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now - t);
}

/** kubectl's HumanDuration: "45s", "3m20s", "17m", "5h3m", "2d4h", "40d", "2y30d". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}
