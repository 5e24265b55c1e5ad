// expr/builtins/network.go: ipfilter(ip, cidr), with Go's net.ParseIP, net.ParseCIDR and
// IPNet.Contains (IPv4-mapped IPv6 addresses compare as IPv4).

import { valueToString } from "./common.ts";
import type { FunctionDef } from "./registry.ts";

/** A 16-byte address, as Go's net.IP holds both families. */
type Addr = Uint8Array;

// netip.ParseAddr's IPv4 form: four decimal fields 0..255 without leading zeros.
function parseIPv4(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

function parseIPv6(s: string): Addr | undefined {
  const out = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  let rest = s;
  if (rest.startsWith("::")) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === "") return out;
  }
  while (rest !== "") {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return undefined;
    // An embedded IPv4 address fills the last four bytes.
    if (i <= 12 && /^[0-9]+\./.test(rest)) {
      if (ellipsis < 0 && i !== 12) return undefined;
      if (!parseIPv4(rest, out, i)) return undefined;
      i += 4;
      rest = "";
      break;
    }
    const n = Number.parseInt(m[0], 16);
    out[i] = n >> 8;
    out[i + 1] = n & 0xff;
    i += 2;
    rest = rest.slice(m[0].length);
    if (rest === "") break;
    if (rest[0] !== ":" || rest.length === 1) return undefined;
    if (rest.startsWith("::")) {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      rest = rest.slice(2);
      if (rest === "") break;
    } else {
      rest = rest.slice(1);
    }
    if (i >= 16) return undefined;
  }
  if (i > 16) return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) out[j + n] = out[j]!;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) out[j] = 0;
  } else if (ellipsis >= 0) {
    // "::" must stand for at least one group.
    return undefined;
  }
  return out;
}

interface ParsedIP {
  readonly addr: Addr;
  /** netip's Is4: written as dotted IPv4 (not IPv4-mapped IPv6). */
  readonly is4: boolean;
}

/** net.ParseIP via netip.ParseAddr; zones are rejected. */
export function parseIP(s: string): ParsedIP | undefined {
  if (s.includes(":")) {
    if (s.includes("%")) return undefined;
    const addr = parseIPv6(s);
    return addr ? { addr, is4: false } : undefined;
  }
  const addr = new Uint8Array(16);
  addr[10] = 0xff;
  addr[11] = 0xff;
  return parseIPv4(s, addr, 12) ? { addr, is4: true } : undefined;
}

/** IP.To4(): the IPv4 bytes of an IPv4 or IPv4-mapped address. */
function to4(a: Addr): Uint8Array | undefined {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return undefined;
  if (a[10] !== 0xff || a[11] !== 0xff) return undefined;
  return a.subarray(12);
}

interface IPNet {
  readonly ip: Uint8Array;
  readonly mask: Uint8Array;
}

function cidrMask(ones: number, bits: number): Uint8Array {
  const m = new Uint8Array(bits / 8);
  for (let i = 0; i < m.length; i++) {
    const n = Math.max(0, Math.min(8, ones - i * 8));
    m[i] = (0xff << (8 - n)) & 0xff;
  }
  return m;
}

/** net.ParseCIDR's network. */
export function parseCIDR(s: string): IPNet | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  if (!ip) return undefined;
  const prefix = s.slice(slash + 1);
  if (!/^\d+$/.test(prefix)) return undefined;
  const bits = ip.is4 ? 32 : 128;
  const ones = Number(prefix);
  if (ones > bits) return undefined;
  const mask = cidrMask(ones, bits);
  // IP.Mask: a 4-byte mask applies to the IPv4 bytes of a mapped address.
  const base = mask.length === 4 ? ip.addr.subarray(12) : ip.addr;
  const net = base.map((b, i) => b & mask[i]!);
  return { ip: net, mask };
}

/** IPNet.Contains. */
export function netContains(n: IPNet, a: Addr): boolean {
  let nn: Uint8Array = n.ip;
  let m = n.mask;
  if (nn.length === 16) {
    const v4 = to4(nn);
    if (v4) nn = v4;
  }
  if (m.length === 16 && nn.length === 4) m = m.subarray(12);
  else if (m.length === 4 && nn.length !== 4) return false;
  const ip = to4(a) ?? a;
  if (ip.length !== nn.length) return false;
  for (let i = 0; i < ip.length; i++) if ((nn[i]! & m[i]!) !== (ip[i]! & m[i]!)) return false;
  return true;
}

export const NETWORK_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "ipfilter",
    minArgs: 2,
    maxArgs: 2,
    returns: "bool",
    eval(args, kinds) {
      const ipText = valueToString(args[0], kinds[0]);
      const cidrText = valueToString(args[1], kinds[1]);
      if (ipText === undefined || cidrText === undefined) return undefined;
      const ip = parseIP(ipText);
      const net = parseCIDR(cidrText);
      if (!ip || !net) return undefined;
      return netContains(net, ip.addr);
    },
  },
];
