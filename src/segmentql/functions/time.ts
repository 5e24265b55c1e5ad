// expr/builtins/time.go: now, yy, mm (monthofyear), yymm, dayofweek, hourofday, hourofweek,
// totimestamp, todate, todatein, seconds, unixtrunc, extract/strftime.
//
// Dates given as text go through dateparse.ParseAny and keep the zone it reads, because Go
// reads Year/Hour/Weekday in that zone. "now" is the evaluation's now (qlbridge's ctx.Ts(),
// and the wall clock where qlbridge reads time.Now()).

import type { Expr } from "../ast.ts";
import { evalDateMath, isDateMath } from "../datemath.ts";
import { parseDateZoned } from "../dateparse.ts";
import {
  civilFromDays,
  floorDiv,
  formatGoLayout,
  type GoTime,
  isTimeZone,
  parseGoLayoutTime,
  strftime,
  UTC_ZONE,
} from "../gotime.ts";
import {
  isNil,
  type Kind,
  type OkValue,
  parseGoFloat,
  parseGoInt,
  type Value,
  ZERO_TIME_MS,
} from "../values.ts";
import {
  dateFromGoTime,
  goString,
  goTimeOf,
  kindAt,
  timeValueInt,
  toTimeZoned,
  valueToString,
} from "./common.ts";
import type { FunctionContext, FunctionDef } from "./registry.ts";

function nowTime(ctx: FunctionContext): GoTime {
  return { ms: ctx.now, nanos: 0, zone: UTC_ZONE };
}

// ValueToString then dateparse.ParseAny. A time argument is used as it is, which is what
// parsing back its printed form gives.
function dateArg(v: OkValue, k: Kind): GoTime | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : goTimeOf(v);
  const s = valueToString(v, k);
  return s === undefined ? undefined : parseDateZoned(s);
}

interface WallFields {
  readonly year: number;
  readonly month: number;
  readonly hour: number;
  /** 0 = Sunday, as Go's Weekday. */
  readonly weekday: number;
}

function wallFields(t: GoTime): WallFields {
  const local = floorDiv(t.ms, 1000) + t.zone.offsetSeconds;
  const days = floorDiv(local, 86400);
  const [year, month] = civilFromDays(days);
  const secOfDay = local - days * 86400;
  return { year, month, hour: Math.floor(secOfDay / 3600), weekday: (((days + 4) % 7) + 7) % 7 };
}

// A builtin of an optional date: the context's now without an argument.
function dateField(name: string, returns: Kind, f: (t: GoTime) => Value): FunctionDef {
  return {
    name,
    minArgs: 0,
    maxArgs: 1,
    returns,
    usesNow: (n) => n === 0,
    eval(args, kinds, ctx) {
      if (args.length === 0) return f(nowTime(ctx));
      const t = dateArg(args[0]!, kindAt(args, kinds, 0));
      return t === undefined ? undefined : f(t);
    },
  };
}

const yy = (t: GoTime) => {
  const y = wallFields(t).year;
  return y >= 2000 ? y - 2000 : y >= 1900 ? y - 1900 : y;
};

// todatein(s, "Area/City"): the zone must be a literal Go can load, and a literal "now..." must
// be valid date math (datemath.Eval of the whole text), both at parse time.
function validateToDateIn(args: readonly Expr[]): string | undefined {
  const zone = args[1]!;
  if (zone.type !== "String")
    return 'the location must be a string literal like "America/Los_Angeles"';
  if (!isTimeZone(zone.value)) return `unknown time zone ${JSON.stringify(zone.value)}`;
  const date = args[0]!;
  if (
    date.type === "String" &&
    isDateMath(date.value) &&
    evalDateMath(date.value, 0) === undefined
  ) {
    return `${JSON.stringify(date.value)} is not valid date math`;
  }
  return undefined;
}

// seconds()'s fallbacks for text dateparse rejects: [M]mm:ss, or a plain number of seconds.
function secondsOf(text: string): number | undefined {
  const ts = text.startsWith("M") ? text.slice(1) : text;
  if (ts.includes(":")) {
    const parts = ts.split(":");
    if (parts.length !== 2) return undefined;
    const num = (p: string) => parseGoInt(p) ?? parseGoFloat(p) ?? 0;
    const min = num(parts[0]!);
    const sec = num(parts[1]!);
    return min > 0 || sec > 0 ? 60 * min + sec : undefined;
  }
  return parseGoInt(ts) ?? parseGoFloat(ts);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function unixTrunc(
  args: readonly OkValue[],
  kinds: readonly (Kind | undefined)[],
  ctx: FunctionContext,
): Value {
  const v = args[0]!;
  if (args.length === 1) {
    if (v instanceof Date) return String(floorDiv(goTimeOf(v).ms, 1000));
    const t = parseDateZoned(goString(v, kindAt(args, kinds, 0)));
    return t === undefined ? undefined : String(floorDiv(t.ms, 1000));
  }
  let milli: number;
  let micro: number;
  if (v instanceof Date) {
    const t = goTimeOf(v);
    micro = t.ms * 1000 + Math.floor(t.nanos / 1000);
    milli = timeValueInt(v);
  } else {
    // value.ValueToTime anchors date math at time.Now(); the evaluation's now stands in for it.
    const d = toTimeZoned(v, ctx.now);
    if (d === undefined || isNil(d)) return undefined;
    const t = goTimeOf(d);
    micro = t.ms * 1000 + Math.floor(t.nanos / 1000);
    milli = t.ms;
  }
  const precision = valueToString(args[1], kindAt(args, kinds, 1));
  if (precision === undefined) return undefined;
  switch (precision.toLowerCase()) {
    case "s":
    case "seconds":
      return `${Math.trunc(milli / 1000)}.${pad(Math.abs(milli % 1000), 3)}`;
    case "ms":
    case "milliseconds":
      return String(milli);
    case "sm":
    case "secondsmicro":
      return `${Math.trunc(micro / 1e6)}.${pad(Math.abs(micro % 1e6), 6)}`;
    default:
      return undefined;
  }
}

const strFromTime: Omit<FunctionDef, "name"> = {
  minArgs: 2,
  maxArgs: 2,
  returns: "string",
  eval(args, kinds) {
    const t = dateArg(args[0]!, kindAt(args, kinds, 0));
    const format = valueToString(args[1], kindAt(args, kinds, 1));
    if (t === undefined || format === undefined) return undefined;
    return strftime(t, format);
  },
};

const month = dateField("mm", "int", (t) => wallFields(t).month);

export const TIME_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "now",
    minArgs: 0,
    maxArgs: 0,
    returns: "time",
    usesNow: () => true,
    eval(_args, _kinds, ctx) {
      return new Date(ctx.now);
    },
  },
  dateField("yy", "int", yy),
  month,
  { ...month, name: "monthofyear" },
  dateField("yymm", "string", (t) => formatGoLayout(t, "0601")),
  dateField("dayofweek", "int", (t) => wallFields(t).weekday),
  dateField("hourofday", "int", (t) => wallFields(t).hour),
  dateField("hourofweek", "int", (t) => {
    // Go's zero time counts as a failed parse here.
    if (t.ms === ZERO_TIME_MS && t.nanos === 0) return undefined;
    const f = wallFields(t);
    return f.weekday * 24 + f.hour;
  }),
  {
    name: "totimestamp",
    minArgs: 1,
    maxArgs: 1,
    returns: "int",
    eval(args, kinds) {
      const t = dateArg(args[0]!, kindAt(args, kinds, 0));
      return t === undefined ? undefined : floorDiv(t.ms, 1000);
    },
  },
  {
    name: "todate",
    minArgs: 1,
    maxArgs: 2,
    returns: "time",
    eval(args, kinds, ctx) {
      if (args.length === 2) {
        const layout = valueToString(args[0], kindAt(args, kinds, 0));
        const text = valueToString(args[1], kindAt(args, kinds, 1));
        if (layout === undefined || text === undefined) return undefined;
        const t = parseGoLayoutTime(layout, text);
        return t === undefined ? undefined : dateFromGoTime(t);
      }
      const s = valueToString(args[0], kindAt(args, kinds, 0));
      if (s === undefined) return undefined;
      if (isDateMath(s)) {
        // datemath.Eval(s[3:]): any case of "now", and no fallback to dateparse when it fails.
        const ms = evalDateMath(s.slice(3), ctx.now);
        return ms === undefined ? undefined : new Date(ms);
      }
      const t = parseDateZoned(s);
      return t === undefined ? undefined : dateFromGoTime(t);
    },
  },
  {
    name: "todatein",
    minArgs: 2,
    maxArgs: 2,
    returns: "time",
    validate: validateToDateIn,
    eval(args, kinds, ctx) {
      const s = valueToString(args[0], kindAt(args, kinds, 0));
      if (s === undefined) return undefined;
      // qlbridge decides "date math or date" from the literal at parse time; a field holding
      // "now-3d" would be parsed as a date there (and fail), here it is date math.
      if (isDateMath(s)) {
        const ms = evalDateMath(s, ctx.now);
        if (ms !== undefined) return new Date(ms);
      }
      const zone = goString(args[1], kindAt(args, kinds, 1));
      const t = parseDateZoned(s, zone);
      // Corrected back to UTC.
      return t === undefined ? undefined : dateFromGoTime({ ...t, zone: UTC_ZONE });
    },
  },
  {
    name: "seconds",
    minArgs: 1,
    maxArgs: 1,
    returns: "number",
    eval(args, kinds) {
      const v = args[0]!;
      switch (kindAt(args, kinds, 0)) {
        case "string": {
          const t = parseDateZoned(v as string);
          if (t !== undefined) return floorDiv(t.ms, 1000);
          return secondsOf(v as string);
        }
        case "number":
        case "int":
          return v;
        default:
          return undefined;
      }
    },
  },
  {
    name: "unixtrunc",
    minArgs: 1,
    maxArgs: 2,
    returns: "string",
    eval: unixTrunc,
  },
  { name: "extract", ...strFromTime },
  { name: "strftime", ...strFromTime },
];
