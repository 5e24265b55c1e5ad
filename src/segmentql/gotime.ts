// Go's time package as qlbridge's time builtins see it: time.Parse / ParseInLocation,
// Time.Format, Time.String, and the strftime of github.com/leekchan/timeutil that
// strftime()/extract() call. Times carry the zone Go would attach to them, because Go
// reads wall-clock fields (Year, Hour, Weekday, "%d") in that zone, not in UTC.
//
// Assumption shared with dateparse.ts: Go's time.Local is UTC (TZ unset on the servers).

/** A zone as Go attaches it to a Time: its abbreviation and its offset east of UTC. */
export interface GoZone {
  readonly name: string;
  readonly offsetSeconds: number;
}

/** An instant with Go's nanosecond precision and the zone Go would read its fields in. */
export interface GoTime {
  /** Epoch milliseconds, floored (Go's UnixMilli). */
  readonly ms: number;
  /** Nanoseconds past `ms`, 0..999999 (what a millisecond loses of Go's precision). */
  readonly nanos: number;
  readonly zone: GoZone;
}

export const UTC_ZONE: GoZone = { name: "UTC", offsetSeconds: 0 };

/** A time zone database entry, reduced to what time.Parse and time.Date ask of it. */
export interface GoLocation {
  /** The zone in effect at a Unix second (Go's Location.lookup). */
  lookup(unixSec: number): GoZone;
  /** The offset of a zone abbreviation near a Unix second (Go's Location.lookupName). */
  lookupName(name: string, unixSec: number): number | undefined;
}

export const UTC_LOCATION: GoLocation = {
  lookup: () => UTC_ZONE,
  lookupName: (name) => (name === "UTC" ? 0 : undefined),
};

// ------------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, any year), shared with datemath.ts.

const SECONDS_PER_DAY = 86400;

export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function mod(a: number, b: number): number {
  return a - Math.floor(a / b) * b;
}

/** Days since 1970-01-01 of a civil date; month 1..12, day may overflow (it just adds). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5);
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468 + (day - 1);
}

export function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Go's time.Date wall clock, normalised, as seconds since the epoch read as UTC. */
export function wallSeconds(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
): number {
  const m0 = month - 1;
  const y = year + floorDiv(m0, 12);
  const days = daysFromCivil(y, mod(m0, 12) + 1, 1) + (day - 1);
  return days * SECONDS_PER_DAY + hour * 3600 + min * 60 + sec;
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return DAYS_BEFORE[month]! - DAYS_BEFORE[month - 1]!;
}

// ------------------------------------------------------------------------------------------
// Instants: Unix seconds plus nanoseconds, the way Go keeps them.

interface Instant {
  sec: number;
  nsec: number;
}

function toGoTime(sec: number, nsec: number, zone: GoZone): GoTime {
  const extraMs = Math.floor(nsec / 1e6);
  return { ms: sec * 1000 + extraMs, nanos: nsec - extraMs * 1e6, zone };
}

function fromGoTime(t: number | GoTime): Instant & { zone: GoZone } {
  const ms = typeof t === "number" ? t : t.ms;
  const sec = floorDiv(ms, 1000);
  const nanos = typeof t === "number" ? 0 : t.nanos;
  return {
    sec,
    nsec: (ms - sec * 1000) * 1e6 + nanos,
    zone: typeof t === "number" ? UTC_ZONE : t.zone,
  };
}

/** Go's time.Date(...).In(loc): a wall clock in a location, resolved the way Go resolves gaps. */
function dateIn(wallSec: number, nsec: number, loc: GoLocation): GoTime {
  let unix = wallSec + floorDiv(nsec, 1e9);
  const ns = mod(nsec, 1e9);
  const first = loc.lookup(unix).offsetSeconds;
  if (first !== 0) {
    // Go re-reads the offset at the candidate instant when it fell outside the first zone
    // period, which for every outcome equals reading it there unconditionally.
    unix -= loc.lookup(unix - first).offsetSeconds;
  }
  return toGoTime(unix, ns, loc.lookup(unix));
}

/** time.Unix(sec, nsec).In(loc). */
export function unixIn(sec: number, nsec: number, loc: GoLocation): GoTime {
  const s = sec + floorDiv(nsec, 1e9);
  return toGoTime(s, mod(nsec, 1e9), loc.lookup(s));
}

// ------------------------------------------------------------------------------------------
// IANA locations through Intl (Node has no tzdata API of its own).

const locationCache = new Map<string, GoLocation | null>();

/**
 * Go's time.LoadLocation: "" and "UTC" are UTC, "Local" is UTC here, anything else must be
 * a zone Intl knows. Unknown names give undefined (LoadLocation's error).
 */
export function loadLocation(name: string): GoLocation | undefined {
  if (name === "" || name === "UTC" || name === "Local") return UTC_LOCATION;
  const cached = locationCache.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let loc: GoLocation | null = null;
  try {
    loc = new IntlLocation(name);
  } catch {
    loc = null;
  }
  locationCache.set(name, loc);
  return loc ?? undefined;
}

/** Whether todatein()'s location argument names a zone (time.LoadLocation succeeds). */
export function isTimeZone(name: string): boolean {
  return loadLocation(name) !== undefined;
}

// Intl formats instants only within ±8.64e15 ms; zones are fixed (LMT) far outside anyway.
const INTL_LIMIT_SEC = 8.64e12 - SECONDS_PER_DAY;

class IntlLocation implements GoLocation {
  readonly #wall: Intl.DateTimeFormat;
  readonly #nameUS: Intl.DateTimeFormat;
  readonly #nameGB: Intl.DateTimeFormat;
  readonly #zoneCache = new Map<number, GoZone>();
  readonly #namesByYear = new Map<number, GoZone[]>();

  constructor(timeZone: string) {
    this.#wall = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    this.#nameUS = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" });
    this.#nameGB = new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "short" });
  }

  lookup(unixSec: number): GoZone {
    const sec = Math.max(-INTL_LIMIT_SEC, Math.min(INTL_LIMIT_SEC, unixSec));
    const cached = this.#zoneCache.get(sec);
    if (cached) return cached;
    const date = new Date(sec * 1000);
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.#wall.formatToParts(date)) {
      const v = Number(part.value);
      switch (part.type) {
        case "year":
          year = v;
          break;
        case "month":
          month = v;
          break;
        case "day":
          day = v;
          break;
        case "hour":
          hour = v;
          break;
        case "minute":
          minute = v;
          break;
        case "second":
          second = v;
          break;
        case "era":
          bc = part.value.startsWith("B");
          break;
      }
    }
    if (bc) year = 1 - year;
    const wall = wallSeconds(year, month, day, hour, minute, second);
    const zone: GoZone = { name: this.#abbreviation(date), offsetSeconds: wall - sec };
    if (this.#zoneCache.size > 4096) this.#zoneCache.clear();
    this.#zoneCache.set(sec, zone);
    return zone;
  }

  lookupName(name: string, unixSec: number): number | undefined {
    // Like Go: prefer a zone of that name that is actually in effect at the time (only a
    // zone used near the time can be), else the first zone of that name in the history.
    for (const zone of this.#namesNear(unixSec)) {
      if (zone.name !== name) continue;
      const actual = this.lookup(unixSec - zone.offsetSeconds);
      if (actual.name === name) return actual.offsetSeconds;
    }
    for (const zone of this.#history()) {
      if (zone.name === name) return zone.offsetSeconds;
    }
    return undefined;
  }

  #historyZones: GoZone[] | undefined;

  /** Every zone the location has used, oldest first (Go's Location.zone, approximately). */
  #history(): GoZone[] {
    if (this.#historyZones) return this.#historyZones;
    const zones: GoZone[] = [];
    const seen = new Set<string>();
    const add = (zone: GoZone) => {
      const key = `${zone.name}/${zone.offsetSeconds}`;
      if (!seen.has(key)) {
        seen.add(key);
        zones.push(zone);
      }
    };
    add(this.lookup(-INTL_LIMIT_SEC));
    // Twice a month catches even short-lived zones such as 1945's Pacific Peace Time.
    for (let y = 1800; y <= 2100; y++) {
      for (let m = 1; m <= 12; m++) {
        add(this.lookup(wallSeconds(y, m, 1, 12, 0, 0)));
        add(this.lookup(wallSeconds(y, m, 16, 12, 0, 0)));
      }
    }
    this.#historyZones = zones;
    return zones;
  }

  /** tzdata abbreviations are not exposed; en-US and en-GB short names come closest. */
  #abbreviation(date: Date): string {
    const us = shortName(this.#nameUS, date);
    if (!us.startsWith("GMT") || us === "GMT") return us;
    const gb = shortName(this.#nameGB, date);
    if (/^[A-Z]{3,5}$/.test(gb) && gb !== "GMT") return gb;
    // Offsets with seconds are local mean time, which tzdata calls LMT.
    if (/^GMT[+-]\d{1,2}:\d{2}:\d{2}$/.test(us)) return "LMT";
    // tzdata names zones without a customary abbreviation by their offset: "+03", "+0530".
    const m = /^GMT([+-])(\d{1,2})(?::(\d{2}))?$/.exec(us);
    if (!m) return us;
    return `${m[1]}${m[2]!.padStart(2, "0")}${m[3] ?? ""}`;
  }

  #namesNear(unixSec: number): GoZone[] {
    const year = civilFromDays(floorDiv(unixSec, SECONDS_PER_DAY))[0];
    const cached = this.#namesByYear.get(year);
    if (cached) return cached;
    const zones: GoZone[] = [];
    const seen = new Set<string>();
    for (let y = year - 2; y <= year + 2; y++) {
      for (const m of [1, 4, 7, 10]) {
        const zone = this.lookup(wallSeconds(y, m, 15, 12, 0, 0));
        const key = `${zone.name}/${zone.offsetSeconds}`;
        if (!seen.has(key)) {
          seen.add(key);
          zones.push(zone);
        }
      }
    }
    if (this.#namesByYear.size > 256) this.#namesByYear.clear();
    this.#namesByYear.set(year, zones);
    return zones;
  }
}

function shortName(format: Intl.DateTimeFormat, date: Date): string {
  for (const part of format.formatToParts(date)) {
    if (part.type === "timeZoneName") return part.value;
  }
  return "UTC";
}

// ------------------------------------------------------------------------------------------
// Layout elements (Go's nextStdChunk).

type StdKind =
  | "longMonth"
  | "month"
  | "numMonth"
  | "zeroMonth"
  | "longWeekDay"
  | "weekDay"
  | "day"
  | "underDay"
  | "zeroDay"
  | "underYearDay"
  | "zeroYearDay"
  | "hour"
  | "hour12"
  | "zeroHour12"
  | "minute"
  | "zeroMinute"
  | "second"
  | "zeroSecond"
  | "longYear"
  | "year"
  | "PM"
  | "pm"
  | "TZ"
  | "ISO8601TZ"
  | "ISO8601SecondsTZ"
  | "ISO8601ShortTZ"
  | "ISO8601ColonTZ"
  | "ISO8601ColonSecondsTZ"
  | "NumTZ"
  | "NumSecondsTz"
  | "NumShortTZ"
  | "NumColonTZ"
  | "NumColonSecondsTZ"
  | "FracSecond0"
  | "FracSecond9";

interface Std {
  readonly kind: StdKind;
  /** Fractional-second digits (Go keeps 12 bits of the count). */
  readonly digits: number;
  readonly separator: string;
}

interface Chunk {
  readonly prefix: string;
  readonly std: Std | undefined;
  readonly suffix: string;
}

const STD0X: readonly StdKind[] = [
  "zeroMonth",
  "zeroDay",
  "zeroHour12",
  "zeroMinute",
  "zeroSecond",
  "year",
];

function std(kind: StdKind): Std {
  return { kind, digits: 0, separator: "." };
}

function isAsciiDigit(s: string, i: number): boolean {
  if (i >= s.length) return false;
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function startsWithLowerCase(s: string): boolean {
  if (s.length === 0) return false;
  const c = s.charCodeAt(0);
  return c >= 97 && c <= 122;
}

function nextStdChunk(layout: string): Chunk {
  const cut = (i: number, kind: StdKind, len: number): Chunk => ({
    prefix: layout.slice(0, i),
    std: std(kind),
    suffix: layout.slice(i + len),
  });
  const at = (i: number, s: string) => layout.startsWith(s, i);
  for (let i = 0; i < layout.length; i++) {
    switch (layout[i]) {
      case "J":
        if (at(i, "Jan")) {
          if (at(i, "January")) return cut(i, "longMonth", 7);
          if (!startsWithLowerCase(layout.slice(i + 3))) return cut(i, "month", 3);
        }
        break;
      case "M":
        if (at(i, "Mon")) {
          if (at(i, "Monday")) return cut(i, "longWeekDay", 6);
          if (!startsWithLowerCase(layout.slice(i + 3))) return cut(i, "weekDay", 3);
        }
        if (at(i, "MST")) return cut(i, "TZ", 3);
        break;
      case "0": {
        const c = layout.charCodeAt(i + 1);
        if (c >= 49 && c <= 54) return cut(i, STD0X[c - 49]!, 2);
        if (at(i, "002")) return cut(i, "zeroYearDay", 3);
        break;
      }
      case "1":
        if (layout[i + 1] === "5") return cut(i, "hour", 2);
        return cut(i, "numMonth", 1);
      case "2":
        if (at(i, "2006")) return cut(i, "longYear", 4);
        return cut(i, "day", 1);
      case "_":
        if (layout[i + 1] === "2") {
          // "_2006" is a literal underscore before a long year.
          if (at(i + 1, "2006")) {
            return {
              prefix: layout.slice(0, i + 1),
              std: std("longYear"),
              suffix: layout.slice(i + 5),
            };
          }
          return cut(i, "underDay", 2);
        }
        if (at(i, "__2")) return cut(i, "underYearDay", 3);
        break;
      case "3":
        return cut(i, "hour12", 1);
      case "4":
        return cut(i, "minute", 1);
      case "5":
        return cut(i, "second", 1);
      case "P":
        if (layout[i + 1] === "M") return cut(i, "PM", 2);
        break;
      case "p":
        if (layout[i + 1] === "m") return cut(i, "pm", 2);
        break;
      case "-":
        if (at(i, "-070000")) return cut(i, "NumSecondsTz", 7);
        if (at(i, "-07:00:00")) return cut(i, "NumColonSecondsTZ", 9);
        if (at(i, "-0700")) return cut(i, "NumTZ", 5);
        if (at(i, "-07:00")) return cut(i, "NumColonTZ", 6);
        if (at(i, "-07")) return cut(i, "NumShortTZ", 3);
        break;
      case "Z":
        if (at(i, "Z070000")) return cut(i, "ISO8601SecondsTZ", 7);
        if (at(i, "Z07:00:00")) return cut(i, "ISO8601ColonSecondsTZ", 9);
        if (at(i, "Z0700")) return cut(i, "ISO8601TZ", 5);
        if (at(i, "Z07:00")) return cut(i, "ISO8601ColonTZ", 6);
        if (at(i, "Z07")) return cut(i, "ISO8601ShortTZ", 3);
        break;
      case ".":
      case ",": {
        const ch = layout[i + 1];
        if (ch === "0" || ch === "9") {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          // Only a run of 0s or 9s that is not followed by another digit is a fraction.
          if (!isAsciiDigit(layout, j)) {
            return {
              prefix: layout.slice(0, i),
              std: {
                kind: ch === "9" ? "FracSecond9" : "FracSecond0",
                digits: (j - (i + 1)) & 0xfff,
                separator: layout[i]!,
              },
              suffix: layout.slice(j),
            };
          }
        }
        break;
      }
    }
  }
  return { prefix: layout, std: undefined, suffix: "" };
}

const LONG_DAY_NAMES = [
  "Sunday",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
];
const SHORT_DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const SHORT_MONTH_NAMES = LONG_MONTH_NAMES.map((m) => m.slice(0, 3));

// ------------------------------------------------------------------------------------------
// Formatting (Time.Format).

/** Go's appendInt: zero-pad the digits (not the sign) to width. */
function goInt(x: number, width: number): string {
  const digits = String(Math.abs(x));
  return (x < 0 ? "-" : "") + digits.padStart(width, "0");
}

/** fmt's %0Nd: the sign counts toward the width. */
function fmtInt(x: number, width: number): string {
  const digits = String(Math.abs(x));
  return x < 0 ? `-${digits.padStart(width - 1, "0")}` : digits.padStart(width, "0");
}

interface Fields {
  year: number;
  month: number;
  day: number;
  yday: number;
  weekday: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  zone: GoZone;
}

function fieldsOf(t: number | GoTime): Fields {
  const { sec, nsec, zone } = fromGoTime(t);
  const wall = sec + zone.offsetSeconds;
  const days = floorDiv(wall, SECONDS_PER_DAY);
  const clock = wall - days * SECONDS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    yday: days - daysFromCivil(year, 1, 1) + 1,
    weekday: mod(days + 4, 7),
    hour: Math.floor(clock / 3600),
    min: Math.floor((clock % 3600) / 60),
    sec: clock % 60,
    nsec,
    zone,
  };
}

function appendNano(nsec: number, s: Std): string {
  const trim = s.kind === "FracSecond9";
  if (trim && (s.digits === 0 || nsec === 0)) return "";
  let out = s.separator + goInt(nsec, 9);
  if (s.digits < 9) out = out.slice(0, out.length - 9 + s.digits);
  if (trim) {
    out = out.replace(/0+$/, "");
    if (out === s.separator) out = "";
  }
  return out;
}

function formatZoneOffset(kind: StdKind, offset: number): string {
  const iso = kind.startsWith("ISO8601");
  if (offset === 0 && iso) return "Z";
  let zone = Math.trunc(offset / 60);
  let abs = offset;
  let out = "";
  if (zone < 0) {
    out = "-";
    zone = -zone;
    abs = -abs;
  } else {
    out = "+";
  }
  out += goInt(Math.trunc(zone / 60), 2);
  const colon = kind === "ISO8601ColonTZ" || kind === "NumColonTZ";
  const colonSeconds = kind === "ISO8601ColonSecondsTZ" || kind === "NumColonSecondsTZ";
  if (colon || colonSeconds) out += ":";
  if (kind !== "NumShortTZ" && kind !== "ISO8601ShortTZ") out += goInt(zone % 60, 2);
  if (kind === "ISO8601SecondsTZ" || kind === "NumSecondsTz" || colonSeconds) {
    if (colonSeconds) out += ":";
    out += goInt(abs % 60, 2);
  }
  return out;
}

/** Time.Format. A number is a UTC instant. */
export function formatGoLayout(t: number | GoTime, layout: string): string {
  const f = fieldsOf(t);
  let out = "";
  let rest = layout;
  while (rest !== "") {
    const { prefix, std: s, suffix } = nextStdChunk(rest);
    out += prefix;
    if (!s) break;
    rest = suffix;
    switch (s.kind) {
      case "year":
        out += goInt(Math.abs(f.year) % 100, 2);
        break;
      case "longYear":
        out += goInt(f.year, 4);
        break;
      case "month":
        out += SHORT_MONTH_NAMES[f.month - 1];
        break;
      case "longMonth":
        out += LONG_MONTH_NAMES[f.month - 1];
        break;
      case "numMonth":
        out += goInt(f.month, 0);
        break;
      case "zeroMonth":
        out += goInt(f.month, 2);
        break;
      case "weekDay":
        out += SHORT_DAY_NAMES[f.weekday];
        break;
      case "longWeekDay":
        out += LONG_DAY_NAMES[f.weekday];
        break;
      case "day":
        out += goInt(f.day, 0);
        break;
      case "underDay":
        out += (f.day < 10 ? " " : "") + goInt(f.day, 0);
        break;
      case "zeroDay":
        out += goInt(f.day, 2);
        break;
      case "underYearDay":
        out += (f.yday < 10 ? "  " : f.yday < 100 ? " " : "") + goInt(f.yday, 0);
        break;
      case "zeroYearDay":
        out += goInt(f.yday, 3);
        break;
      case "hour":
        out += goInt(f.hour, 2);
        break;
      case "hour12":
        out += goInt(f.hour % 12 === 0 ? 12 : f.hour % 12, 0);
        break;
      case "zeroHour12":
        out += goInt(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case "minute":
        out += goInt(f.min, 0);
        break;
      case "zeroMinute":
        out += goInt(f.min, 2);
        break;
      case "second":
        out += goInt(f.sec, 0);
        break;
      case "zeroSecond":
        out += goInt(f.sec, 2);
        break;
      case "PM":
        out += f.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += f.hour >= 12 ? "pm" : "am";
        break;
      case "TZ":
        if (f.zone.name !== "") {
          out += f.zone.name;
        } else {
          // A zone without a name prints as -0700.
          out += formatZoneOffset("NumTZ", f.zone.offsetSeconds);
        }
        break;
      case "FracSecond0":
      case "FracSecond9":
        out += appendNano(f.nsec, s);
        break;
      default:
        out += formatZoneOffset(s.kind, f.zone.offsetSeconds);
    }
  }
  return out;
}

/** Time.String() without the monotonic reading: what fmt's %v prints for a time.Time. */
export function goTimeString(t: number | GoTime): string {
  return formatGoLayout(t, "2006-01-02 15:04:05.999999999 -0700 MST");
}

// ------------------------------------------------------------------------------------------
// Parsing (time.Parse / time.ParseInLocation). Works on byte strings: one char per UTF-8 byte.

const encoder = new TextEncoder();

/** A JS string as Go sees a string: one char per UTF-8 byte. */
export function toByteString(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s;
  let out = "";
  for (const b of encoder.encode(s)) out += String.fromCharCode(b);
  return out;
}

/** Go's leadingInt: the leading digits of s, or undefined when they overflow int64. */
function leadingInt(s: string): [value: bigint, rest: string] | undefined {
  let i = 0;
  let x = 0n;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (x > (1n << 63n) / 10n) return undefined;
    x = x * 10n + BigInt(c - 48);
    if (x > 1n << 63n) return undefined;
  }
  return [x, s.slice(i)];
}

/** Go's time-package atoi: optional sign, digits, nothing else. */
function atoi(s: string): number | undefined {
  let neg = false;
  if (s.length > 0 && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  const r = leadingInt(s);
  if (!r || r[1].length > 0) return undefined;
  // int(q) of a uint64 above MaxInt64 wraps negative in Go.
  const x = Number(BigInt.asIntN(64, r[0]));
  return neg ? -x : x;
}

/** getnum: one or two digits (fixed: exactly two). */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isAsciiDigit(s, 0)) return undefined;
  if (!isAsciiDigit(s, 1)) {
    if (fixed) return undefined;
    return [s.charCodeAt(0) - 48, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

function getnum3(s: string, fixed: boolean): [number, string] | undefined {
  let n = 0;
  let i = 0;
  for (; i < 3 && isAsciiDigit(s, i); i++) n = n * 10 + (s.charCodeAt(i) - 48);
  if (i === 0 || (fixed && i !== 3)) return undefined;
  return [n, s.slice(i)];
}

function cutspace(s: string): string {
  let i = 0;
  while (i < s.length && s[i] === " ") i++;
  return s.slice(i);
}

/** Remove a layout's literal prefix from the value; runs of spaces match runs of spaces. */
function skip(value: string, prefix: string): string | undefined {
  while (prefix.length > 0) {
    if (prefix[0] === " ") {
      if (value.length > 0 && value[0] !== " ") return undefined;
      prefix = cutspace(prefix);
      value = cutspace(value);
      continue;
    }
    if (value.length === 0 || value[0] !== prefix[0]) return undefined;
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return value;
}

/** Case-insensitive match of a name table entry at the start of val. */
function lookupName(tab: readonly string[], val: string): [number, string] | undefined {
  for (let i = 0; i < tab.length; i++) {
    const v = tab[i]!;
    if (val.length >= v.length && matchFold(val.slice(0, v.length), v)) {
      return [i, val.slice(v.length)];
    }
  }
  return undefined;
}

function matchFold(s1: string, s2: string): boolean {
  for (let i = 0; i < s1.length; i++) {
    let c1 = s1.charCodeAt(i);
    let c2 = s2.charCodeAt(i);
    if (c1 !== c2) {
      c1 |= 0x20;
      c2 |= 0x20;
      if (c1 !== c2 || c1 < 97 || c1 > 122) return false;
    }
  }
  return true;
}

function commaOrPeriod(c: string | undefined): boolean {
  return c === "." || c === ",";
}

function parseNanoseconds(value: string, nbytes: number): number | undefined {
  if (!commaOrPeriod(value[0])) return undefined;
  if (nbytes > 10) {
    value = value.slice(0, 10);
    nbytes = 10;
  }
  const ns = atoi(value.slice(1, nbytes));
  if (ns === undefined || ns < 0) return undefined;
  return ns * 10 ** (10 - nbytes);
}

function parseSignedOffset(value: string): number {
  const sign = value[0];
  if (sign !== "-" && sign !== "+") return 0;
  const r = leadingInt(value.slice(1));
  if (!r || r[1] === value.slice(1)) return 0;
  if (r[0] > 23n) return 0;
  return value.length - r[1].length;
}

/** How long the zone abbreviation at the start of value is, per Go's heuristics. */
function parseTimeZone(value: string): number | undefined {
  if (value.length < 3) return undefined;
  if (value.startsWith("ChST") || value.startsWith("MeST")) return 4;
  if (value.startsWith("GMT")) {
    const rest = value.slice(3);
    return rest.length === 0 ? 3 : 3 + parseSignedOffset(rest);
  }
  if (value[0] === "+" || value[0] === "-") {
    const n = parseSignedOffset(value);
    return n > 0 ? n : undefined;
  }
  let nUpper = 0;
  for (; nUpper < 6; nUpper++) {
    if (nUpper >= value.length) break;
    const c = value.charCodeAt(nUpper);
    if (c < 65 || c > 90) break;
  }
  switch (nUpper) {
    case 5:
      return value[4] === "T" ? 5 : undefined;
    case 4:
      return value[3] === "T" || value.startsWith("WITA") ? 4 : undefined;
    case 3:
      return 3;
    default:
      return undefined;
  }
}

/** A numeric zone offset element: seconds east of UTC and the rest of the value. */
function parseNumericZone(kind: StdKind, value: string): [number, string] | "bad" | "range" {
  let sign: string;
  let hh: string;
  let mm: string;
  let ss: string;
  let rest: string;
  if (kind === "ISO8601ColonTZ" || kind === "NumColonTZ") {
    if (value.length < 6 || value[3] !== ":") return "bad";
    [sign, hh, mm, ss, rest] = [
      value[0]!,
      value.slice(1, 3),
      value.slice(4, 6),
      "00",
      value.slice(6),
    ];
  } else if (kind === "NumShortTZ" || kind === "ISO8601ShortTZ") {
    if (value.length < 3) return "bad";
    [sign, hh, mm, ss, rest] = [value[0]!, value.slice(1, 3), "00", "00", value.slice(3)];
  } else if (kind === "ISO8601ColonSecondsTZ" || kind === "NumColonSecondsTZ") {
    if (value.length < 9 || value[3] !== ":" || value[6] !== ":") return "bad";
    [sign, hh, mm, ss, rest] = [
      value[0]!,
      value.slice(1, 3),
      value.slice(4, 6),
      value.slice(7, 9),
      value.slice(9),
    ];
  } else if (kind === "ISO8601SecondsTZ" || kind === "NumSecondsTz") {
    if (value.length < 7) return "bad";
    [sign, hh, mm, ss, rest] = [
      value[0]!,
      value.slice(1, 3),
      value.slice(3, 5),
      value.slice(5, 7),
      value.slice(7),
    ];
  } else {
    if (value.length < 5) return "bad";
    [sign, hh, mm, ss, rest] = [
      value[0]!,
      value.slice(1, 3),
      value.slice(3, 5),
      "00",
      value.slice(5),
    ];
  }
  const h = getnum(hh, true);
  const m = h && getnum(mm, true);
  const sc = m && getnum(ss, true);
  if (!h || !m || !sc) return "bad";
  // Go allows offsets of exactly 24 hours, 60 minutes or 60 seconds; the range error wins
  // over a bad sign.
  if (h[0] > 24 || m[0] > 60 || sc[0] > 60) return "range";
  const offset = (h[0] * 60 + m[0]) * 60 + sc[0];
  if (sign === "+") return [offset, rest];
  if (sign === "-") return [-offset, rest];
  return "bad";
}

/**
 * Go's internal time.parse. Layout and value are byte strings. `local` is where zone
 * offsets and abbreviations are looked up; `defaultLoc` applies when the text has no zone.
 */
export function goParse(
  layout: string,
  value: string,
  defaultLoc: GoLocation,
  local: GoLocation,
): GoTime | undefined {
  let amSet = false;
  let pmSet = false;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let utc = false;
  let zoneOffset = -1;
  let zoneName = "";

  for (;;) {
    const { prefix, std: s, suffix } = nextStdChunk(layout);
    const skipped = skip(value, prefix);
    if (skipped === undefined) return undefined;
    value = skipped;
    if (!s) {
      if (value.length !== 0) return undefined;
      break;
    }
    layout = suffix;
    let ok = true;
    let rangeErr = false;
    switch (s.kind) {
      case "year": {
        if (value.length < 2) {
          ok = false;
          break;
        }
        const y = atoi(value.slice(0, 2));
        value = value.slice(2);
        if (y === undefined) {
          ok = false;
          break;
        }
        year = y >= 69 ? y + 1900 : y + 2000;
        break;
      }
      case "longYear": {
        if (value.length < 4 || !isAsciiDigit(value, 0)) {
          ok = false;
          break;
        }
        const y = atoi(value.slice(0, 4));
        value = value.slice(4);
        if (y === undefined) ok = false;
        else year = y;
        break;
      }
      case "month":
      case "longMonth": {
        const r = lookupName(s.kind === "month" ? SHORT_MONTH_NAMES : LONG_MONTH_NAMES, value);
        if (!r) {
          ok = false;
          break;
        }
        month = r[0] + 1;
        value = r[1];
        break;
      }
      case "numMonth":
      case "zeroMonth": {
        const r = getnum(value, s.kind === "zeroMonth");
        if (!r) {
          ok = false;
          break;
        }
        [month, value] = r;
        if (month <= 0 || month > 12) rangeErr = true;
        break;
      }
      case "weekDay":
      case "longWeekDay": {
        // Checked for syntax only.
        const r = lookupName(s.kind === "weekDay" ? SHORT_DAY_NAMES : LONG_DAY_NAMES, value);
        if (!r) ok = false;
        else value = r[1];
        break;
      }
      case "day":
      case "underDay":
      case "zeroDay": {
        if (s.kind === "underDay" && value[0] === " ") value = value.slice(1);
        const r = getnum(value, s.kind === "zeroDay");
        if (!r) ok = false;
        else [day, value] = r;
        break;
      }
      case "underYearDay":
      case "zeroYearDay": {
        for (let i = 0; i < 2; i++) {
          if (s.kind === "underYearDay" && value[0] === " ") value = value.slice(1);
        }
        const r = getnum3(value, s.kind === "zeroYearDay");
        if (!r) ok = false;
        else [yday, value] = r;
        break;
      }
      case "hour": {
        const r = getnum(value, false);
        if (!r) {
          ok = false;
          break;
        }
        [hour, value] = r;
        if (hour >= 24) rangeErr = true;
        break;
      }
      case "hour12":
      case "zeroHour12": {
        const r = getnum(value, s.kind === "zeroHour12");
        if (!r) {
          ok = false;
          break;
        }
        [hour, value] = r;
        if (hour > 12) rangeErr = true;
        break;
      }
      case "minute":
      case "zeroMinute": {
        const r = getnum(value, s.kind === "zeroMinute");
        if (!r) {
          ok = false;
          break;
        }
        [min, value] = r;
        if (min >= 60) rangeErr = true;
        break;
      }
      case "second":
      case "zeroSecond": {
        const r = getnum(value, s.kind === "zeroSecond");
        if (!r) {
          ok = false;
          break;
        }
        [sec, value] = r;
        if (sec >= 60) {
          rangeErr = true;
          break;
        }
        // A fraction the layout does not mention is still read after the seconds.
        if (value.length >= 2 && commaOrPeriod(value[0]) && isAsciiDigit(value, 1)) {
          const next = nextStdChunk(layout).std?.kind;
          if (next === "FracSecond0" || next === "FracSecond9") break;
          let n = 2;
          while (n < value.length && isAsciiDigit(value, n)) n++;
          const ns = parseNanoseconds(value, n);
          value = value.slice(n);
          if (ns === undefined) ok = false;
          else nsec = ns;
        }
        break;
      }
      case "PM":
      case "pm": {
        if (value.length < 2) {
          ok = false;
          break;
        }
        const p = value.slice(0, 2);
        value = value.slice(2);
        const upper = s.kind === "PM";
        if (p === (upper ? "PM" : "pm")) pmSet = true;
        else if (p === (upper ? "AM" : "am")) amSet = true;
        else ok = false;
        break;
      }
      case "ISO8601TZ":
      case "ISO8601ShortTZ":
      case "ISO8601ColonTZ":
      case "ISO8601SecondsTZ":
      case "ISO8601ColonSecondsTZ":
      case "NumTZ":
      case "NumShortTZ":
      case "NumColonTZ":
      case "NumSecondsTz":
      case "NumColonSecondsTZ": {
        if (s.kind.startsWith("ISO8601") && value[0] === "Z") {
          value = value.slice(1);
          utc = true;
          break;
        }
        const r = parseNumericZone(s.kind, value);
        if (r === "bad") ok = false;
        else if (r === "range") rangeErr = true;
        else [zoneOffset, value] = r;
        break;
      }
      case "TZ": {
        if (value.startsWith("UTC")) {
          utc = true;
          value = value.slice(3);
          break;
        }
        const n = parseTimeZone(value);
        if (n === undefined) {
          ok = false;
          break;
        }
        zoneName = value.slice(0, n);
        value = value.slice(n);
        break;
      }
      case "FracSecond0": {
        const ndigit = 1 + s.digits;
        if (value.length < ndigit) {
          ok = false;
          break;
        }
        const ns = parseNanoseconds(value, ndigit);
        value = value.slice(ndigit);
        if (ns === undefined) ok = false;
        else nsec = ns;
        break;
      }
      case "FracSecond9": {
        if (value.length < 2 || !commaOrPeriod(value[0]) || !isAsciiDigit(value, 1)) break;
        // Any number of digits, as the seconds element would take.
        let i = 0;
        while (i + 1 < value.length && isAsciiDigit(value, i + 1)) i++;
        const ns = parseNanoseconds(value, 1 + i);
        value = value.slice(1 + i);
        if (ns === undefined) ok = false;
        else nsec = ns;
        break;
      }
    }
    if (rangeErr || !ok) return undefined;
  }

  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;

  if (yday >= 0) {
    let d = 0;
    let m = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) {
        yday--;
      }
    }
    if (yday < 1 || yday > 365) return undefined;
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if (DAYS_BEFORE[m]! < yday) m++;
      d = yday - DAYS_BEFORE[m - 1]!;
    }
    if (month >= 0 && month !== m) return undefined;
    month = m;
    if (day >= 0 && day !== d) return undefined;
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) return undefined;

  const wall = wallSeconds(year, month, day, hour, min, sec);
  if (utc) return toGoTime(wall, nsec, UTC_ZONE);
  if (zoneOffset !== -1) {
    const unix = wall - zoneOffset;
    const localZone = local.lookup(unix);
    if (
      localZone.offsetSeconds === zoneOffset &&
      (zoneName === "" || localZone.name === zoneName)
    ) {
      return toGoTime(unix, nsec, localZone);
    }
    return toGoTime(unix, nsec, { name: zoneName, offsetSeconds: zoneOffset });
  }
  if (zoneName !== "") {
    const offset = local.lookupName(zoneName, wall);
    if (offset !== undefined) {
      const unix = wall - offset;
      return toGoTime(unix, nsec, local.lookup(unix));
    }
    // An unknown abbreviation keeps the wall clock as UTC and only labels it (GMT+h gets
    // its hours as the label's offset, without moving the instant).
    let fake = 0;
    if (zoneName.length > 3 && zoneName.startsWith("GMT"))
      fake = (atoi(zoneName.slice(3)) ?? 0) * 3600;
    return toGoTime(wall, nsec, { name: zoneName, offsetSeconds: fake });
  }
  return dateIn(wall, nsec, defaultLoc);
}

/**
 * time.Parse(layout, text), or time.ParseInLocation when a zone name is given (an unknown
 * zone gives undefined). Zone-less text is UTC, or in the given zone.
 */
export function parseGoLayoutTime(
  layout: string,
  text: string,
  timeZone?: string,
): GoTime | undefined {
  const loc = timeZone === undefined ? UTC_LOCATION : loadLocation(timeZone);
  if (!loc) return undefined;
  return goParse(toByteString(layout), toByteString(text), loc, loc);
}

/** time.Parse(layout, text) as epoch milliseconds; what todate(layout, text) computes. */
export function parseGoLayout(layout: string, text: string): number | undefined {
  return parseGoLayoutTime(layout, text)?.ms;
}

// ------------------------------------------------------------------------------------------
// strftime (github.com/leekchan/timeutil, the version qlbridge pins).

function weekNumber(f: Fields, mondayFirst: boolean): number {
  let weekday = f.weekday;
  if (mondayFirst) weekday = weekday === 0 ? 6 : weekday - 1;
  return Math.trunc((f.yday + 6 - weekday) / 7);
}

/**
 * timeutil.Strftime. Unknown directives print nothing (the directive and its letter are
 * both consumed), and so does a trailing lone "%". A number is a UTC instant.
 */
export function strftime(t: number | GoTime, format: string): string {
  const f = fieldsOf(t);
  const chars = Array.from(format);
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c !== "%") {
      out += c;
      continue;
    }
    if (i >= chars.length - 1) continue;
    switch (chars[i + 1]) {
      case "a":
        out += SHORT_DAY_NAMES[f.weekday];
        break;
      case "A":
        out += LONG_DAY_NAMES[f.weekday];
        break;
      case "w":
        out += String(f.weekday);
        break;
      case "d":
        out += fmtInt(f.day, 2);
        break;
      case "b":
        out += SHORT_MONTH_NAMES[f.month - 1];
        break;
      case "B":
        out += LONG_MONTH_NAMES[f.month - 1];
        break;
      case "m":
        out += fmtInt(f.month, 2);
        break;
      case "y":
        out += fmtInt(f.year % 100, 2);
        break;
      case "Y":
        out += fmtInt(f.year, 2);
        break;
      case "H":
        out += fmtInt(f.hour, 2);
        break;
      case "I":
        out += fmtInt(f.hour === 0 ? 12 : f.hour > 12 ? f.hour - 12 : f.hour, 2);
        break;
      case "p":
        out += f.hour < 12 ? "AM" : "PM";
        break;
      case "M":
        out += fmtInt(f.min, 2);
        break;
      case "S":
        out += fmtInt(f.sec, 2);
        break;
      case "f":
        out += fmtInt(Math.trunc(f.nsec / 1000), 6);
        break;
      case "z":
        out += formatGoLayout(t, "-0700");
        break;
      case "Z":
        out += formatGoLayout(t, "MST");
        break;
      case "j":
        out += fmtInt(f.yday, 3);
        break;
      case "U":
        out += fmtInt(weekNumber(f, false), 2);
        break;
      case "W":
        out += fmtInt(weekNumber(f, true), 2);
        break;
      case "c":
        out += formatGoLayout(t, "Mon Jan 2 15:04:05 2006");
        break;
      case "x":
        out += `${fmtInt(f.month, 2)}/${fmtInt(f.day, 2)}/${fmtInt(f.year % 100, 2)}`;
        break;
      case "X":
        out += `${fmtInt(f.hour, 2)}:${fmtInt(f.min, 2)}:${fmtInt(f.sec, 2)}`;
        break;
      case "%":
        out += "%";
        break;
    }
    i++;
  }
  return out;
}
