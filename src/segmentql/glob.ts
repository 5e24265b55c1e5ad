// LIKE patterns: qlbridge's vm.LikeCompare, which rewrites `%` to `*` and matches with
// github.com/mb0/glob — path-style globbing where `*` and `?` never cross `/` and two or more stars
// (GlobStar) do. The whole string must match; matching is case-sensitive.

const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 10_000;

/** Whether value matches the LIKE pattern; undefined for a malformed pattern (qlbridge: not ok). */
export function likeMatch(value: string, pattern: string): boolean | undefined {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compileGlob(pattern.includes("%") ? pattern.replaceAll("%", "*") : pattern);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, re);
  }
  return re === null ? undefined : re.test(value);
}

/** Translates a glob to an anchored regular expression, or null when the pattern is malformed. */
export function compileGlob(pattern: string): RegExp | null {
  let src = "^";
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i]!;
    if (c === "*") {
      let stars = 0;
      while (pattern[i] === "*") {
        stars++;
        i++;
      }
      src += stars > 1 ? "[\\s\\S]*" : "[^/]*";
      continue;
    }
    if (c === "?") {
      src += "[^/]";
      i++;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= n) return null;
      src += escapeRegExpChar(nextCodePoint(pattern, i + 1));
      i += 1 + nextCodePoint(pattern, i + 1).length;
      continue;
    }
    if (c === "[") {
      const cls = compileClass(pattern, i + 1);
      if (cls === null) return null;
      src += cls.source;
      i = cls.end;
      continue;
    }
    const cp = nextCodePoint(pattern, i);
    src += escapeRegExpChar(cp);
    i += cp.length;
  }
  return new RegExp(`${src}$`, "u");
}

function compileClass(pattern: string, start: number): { source: string; end: number } | null {
  let i = start;
  let negated = false;
  if (pattern[i] === "^") {
    negated = true;
    i++;
  }
  const ranges: string[] = [];
  for (;;) {
    if (i >= pattern.length) return null;
    if (pattern[i] === "]" && ranges.length > 0) {
      i++;
      break;
    }
    const lo = classChar(pattern, i);
    if (lo === null) return null;
    i = lo.end;
    let hi = lo;
    if (pattern[i] === "-") {
      const h = classChar(pattern, i + 1);
      if (h === null) return null;
      hi = h;
      i = h.end;
    }
    // mb0/glob requires more pattern after every range element (the closing bracket at least).
    if (i >= pattern.length) return null;
    const a = escapeClassChar(lo.char);
    const b = escapeClassChar(hi.char);
    if ((lo.char.codePointAt(0) ?? 0) > (hi.char.codePointAt(0) ?? 0)) {
      // An inverted range matches nothing in mb0/glob; keep the class well-formed for RegExp.
      ranges.push("");
      continue;
    }
    ranges.push(lo.char === hi.char ? a : `${a}-${b}`);
  }
  const body = ranges.join("");
  if (body === "") return { source: negated ? "[\\s\\S]" : "(?!)", end: i };
  return { source: negated ? `[^${body}]` : `[${body}]`, end: i };
}

function classChar(pattern: string, i: number): { char: string; end: number } | null {
  const c = pattern[i];
  if (c === undefined || c === "-" || c === "]") return null;
  if (c === "\\") {
    if (i + 1 >= pattern.length) return null;
    const cp = nextCodePoint(pattern, i + 1);
    return { char: cp, end: i + 1 + cp.length };
  }
  const cp = nextCodePoint(pattern, i);
  return { char: cp, end: i + cp.length };
}

function nextCodePoint(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i)!);
}

function escapeRegExpChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
