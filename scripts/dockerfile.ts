// A Dockerfile reader for scripts/image-steps.ts: stages and their instructions, with line
// continuations, comments and parser directives handled the way Docker does for the subset segwatch's
// Dockerfile uses. Pure, so its tests need no Docker.

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  readonly keyword: string;
  /** `--name=value` flags before the arguments (COPY --from, RUN --mount, …). */
  readonly flags: Readonly<Record<string, string>>;
  /** The rest of the instruction, continuations joined. */
  readonly text: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface Stage {
  readonly base: string;
  /** The `AS name`, else the stage's index as a string. */
  readonly name: string;
  readonly instructions: readonly Instruction[];
}

export class DockerfileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DockerfileError";
  }
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text.split(/\r?\n/);
  const stages: { base: string; name: string; instructions: Instruction[] }[] = [];
  let i = 0;
  while (i < lines.length) {
    const start = i;
    let logical = lines[i]!;
    i++;
    if (/^\s*(#.*)?$/.test(logical)) continue;
    // A trailing backslash continues the instruction; comment lines inside it are dropped.
    while (/\\\s*$/.test(logical) && i < lines.length) {
      logical = logical.replace(/\\\s*$/, " ");
      let next = lines[i]!;
      i++;
      while (/^\s*#/.test(next) && i < lines.length) {
        next = lines[i]!;
        i++;
      }
      logical += next;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(logical);
    if (!m) throw new DockerfileError(`line ${start + 1}: not an instruction: ${logical.trim()}`);
    const keyword = m[1]!.toUpperCase();
    let rest = m[2]!.trim();
    const flags: Record<string, string> = {};
    for (;;) {
      const f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
      if (!f) break;
      flags[f[1]!] = f[2] ?? "true";
      rest = rest.slice(f[0].length);
    }
    const instruction: Instruction = { keyword, flags, text: rest.trim(), line: start + 1 };
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.text);
      if (!from) throw new DockerfileError(`line ${start + 1}: FROM <image> [AS <name>] expected`);
      stages.push({
        base: from[1]!,
        name: from[2] ?? String(stages.length),
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    // ARG before the first FROM parameterizes FROM lines only.
    if (!stage) {
      if (keyword === "ARG") continue;
      throw new DockerfileError(`line ${start + 1}: ${keyword} before the first FROM`);
    }
    stage.instructions.push(instruction);
  }
  if (stages.length === 0) throw new DockerfileError("no FROM instruction");
  return stages;
}

/** `["node", "x.js"]` → the array; a shell-form string → ["sh", "-c", text]. */
export function commandForm(text: string): string[] {
  if (text.startsWith("[")) {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === "string"))
      throw new DockerfileError(`expected a JSON array of strings: ${text}`);
    return parsed;
  }
  return ["sh", "-c", text];
}

/** `a=b c="d e"` → {a: "b", c: "d e"} (ENV, LABEL, ARG); also the legacy `ENV key value`. */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!/^[^\s=]+=/.test(text)) {
    const legacy = /^(\S+)\s+(.*)$/.exec(text);
    if (legacy) out[legacy[1]!] = legacy[2]!;
    else if (text) out[text] = "";
    return out;
  }
  const re = /([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g;
  for (const m of text.matchAll(re)) {
    const raw = m[2] ?? "";
    out[m[1]!] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return out;
}

/** COPY's sources and destination (shell words; the JSON form too). */
export function copyArguments(text: string): { sources: string[]; dest: string } {
  const words = text.startsWith("[") ? commandForm(text) : text.split(/\s+/).filter(Boolean);
  if (words.length < 2) throw new DockerfileError(`COPY needs a source and a destination: ${text}`);
  return { sources: words.slice(0, -1), dest: words.at(-1)! };
}
