// Which addresses a webhook may reach. Subscriptions come from tenants, so a webhook URL must not be a
// way into the cluster's own network (server-side request forgery): addresses that are not globally
// reachable are refused unless the operator allows a class. Pure: classification of address strings;
// guarded-connect.ts applies it to the addresses a socket actually connects to.

import { isIP } from "node:net";

/**
 * - loopback: 127/8, ::1
 * - private: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared space (100.64/10), fc00::/7 and
 *   the deprecated site-local fec0::/10
 * - linkLocal: 169.254/16 (cloud metadata services live here), fe80::/10
 * - unspecified: 0/8, ::
 * - multicast: 224/4, ff00::/8
 * - reserved: broadcast, 240/4, documentation, benchmarking and protocol-assignment ranges, the
 *   discard prefix and deprecated IPv4-compatible IPv6
 * IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are classified by
 * the IPv4 address they carry.
 */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "linkLocal"
  | "unspecified"
  | "multicast"
  | "reserved";

export interface TargetPolicyOptions {
  /** Allow 127/8 and ::1 (`segwatch dev`, tests). */
  readonly allowLoopback?: boolean;
  /** Allow RFC 1918, 100.64/10 and fc00::/7 (receivers inside the same private network). */
  readonly allowPrivate?: boolean;
  /** Allow 169.254/16 and fe80::/10. Rarely right: cloud instance metadata lives there. */
  readonly allowLinkLocal?: boolean;
}

/** The policy of a production worker: globally reachable addresses only. */
export const STRICT_TARGET_POLICY: TargetPolicyOptions = {};

/** The class of an IP address literal; undefined when `ip` is not one. */
export function classifyAddress(ip: string): AddressClass | undefined {
  const bare = stripZone(ip);
  switch (isIP(bare)) {
    case 4:
      return classifyV4(parseV4(bare));
    case 6:
      return classifyV6(parseV6(bare));
    default:
      return undefined;
  }
}

/** Whether the policy lets a connection go to an address of this class. */
export function isClassAllowed(cls: AddressClass, policy: TargetPolicyOptions): boolean {
  switch (cls) {
    case "public":
      return true;
    case "loopback":
      return policy.allowLoopback === true;
    case "private":
      return policy.allowPrivate === true;
    case "linkLocal":
      return policy.allowLinkLocal === true;
    default:
      return false;
  }
}

/** The class that makes `ip` refused under `policy`, or undefined when it is allowed. */
export function refusedClass(
  ip: string,
  policy: TargetPolicyOptions,
): AddressClass | "not an IP address" | undefined {
  const cls = classifyAddress(ip);
  if (cls === undefined) return "not an IP address";
  return isClassAllowed(cls, policy) ? undefined : cls;
}

const LABEL: Record<AddressClass, string> = {
  public: "public",
  loopback: "loopback",
  private: "private",
  linkLocal: "link-local",
  unspecified: "unspecified",
  multicast: "multicast",
  reserved: "reserved",
};

/** Human wording of a class for error messages ("link-local", …). */
export function describeClass(cls: AddressClass | string): string {
  return (LABEL as Record<string, string>)[cls] ?? cls;
}

// ---- IPv4 --------------------------------------------------------------------------------------

function parseV4(ip: string): number {
  const p = ip.split(".");
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

function inV4(addr: number, base: string, bits: number): boolean {
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
  return (addr & mask) >>> 0 === (parseV4(base) & mask) >>> 0;
}

const V4_RANGES: readonly (readonly [string, number, AddressClass])[] = [
  ["0.0.0.0", 8, "unspecified"],
  ["127.0.0.0", 8, "loopback"],
  ["10.0.0.0", 8, "private"],
  ["172.16.0.0", 12, "private"],
  ["192.168.0.0", 16, "private"],
  ["100.64.0.0", 10, "private"],
  ["169.254.0.0", 16, "linkLocal"],
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "reserved"],
  ["240.0.0.0", 4, "reserved"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["198.18.0.0", 15, "reserved"],
];

function classifyV4(addr: number): AddressClass {
  for (const [base, bits, cls] of V4_RANGES) if (inV4(addr, base, bits)) return cls;
  return "public";
}

// ---- IPv6 --------------------------------------------------------------------------------------

function stripZone(ip: string): string {
  const pct = ip.indexOf("%");
  return pct === -1 ? ip : ip.slice(0, pct);
}

/** Eight 16-bit groups; the input is known to be a valid IPv6 literal (isIP said so). */
function parseV6(ip: string): number[] {
  let text = ip.toLowerCase();
  const tail: number[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = parseV4(text.slice(lastColon + 1));
    tail.push(v4 >>> 16, v4 & 0xffff);
    // Keep a "::" that ends the prefix; drop a single separating ":".
    text = text.endsWith("::", lastColon + 1)
      ? text.slice(0, lastColon + 1)
      : text.slice(0, lastColon);
  }
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((h) => Number.parseInt(h, 16)));
  const gap = text.indexOf("::");
  if (gap === -1) return [...groups(text), ...tail];
  const head = groups(text.slice(0, gap));
  const rest = groups(text.slice(gap + 2));
  const zeros = new Array<number>(8 - head.length - rest.length - tail.length).fill(0);
  return [...head, ...zeros, ...rest, ...tail];
}

function v4From(hi: number, lo: number): number {
  return ((hi << 16) | lo) >>> 0;
}

function classifyV6(g: number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const firstFiveZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstFiveZero && g5 === 0) {
    if (g6 === 0 && g7 === 0) return "unspecified";
    if (g6 === 0 && g7 === 1) return "loopback";
    return "reserved"; // ::a.b.c.d, deprecated IPv4-compatible
  }
  if (firstFiveZero && g5 === 0xffff) return classifyV4(v4From(g6, g7)); // ::ffff:a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return classifyV4(v4From(g6, g7)); // NAT64 well-known prefix
  }
  if (g0 === 0x2002) return classifyV4(v4From(g1, g2)); // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return "private";
  if ((g0 & 0xffc0) === 0xfec0) return "private";
  if ((g0 & 0xffc0) === 0xfe80) return "linkLocal";
  if ((g0 & 0xff00) === 0xff00) return "multicast";
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "reserved"; // discard-only
  if (g0 === 0x2001 && g1 === 0xdb8) return "reserved"; // documentation
  return "public";
}
