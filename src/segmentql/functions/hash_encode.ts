// expr/builtins/hash_and_encode.go: hash, hash.sip, hash.md5, hash.sha1, hash.sha256,
// hash.sha512, encoding.b64encode, encoding.b64decode; and uuid() from builtins.go.

import { createHash, randomUUID } from "node:crypto";
import { isNil, type OkValue } from "../values.ts";
import { goString, kindAt, sliceOf } from "./common.ts";
import type { FunctionDef } from "./registry.ts";

const MASK64 = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK64;
}

/** SipHash-2-4 of the bytes with key (k0, k1), as github.com/dchest/siphash.Hash computes it. */
export function sipHash24(k0: bigint, k1: bigint, data: Uint8Array): bigint {
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const n = data.length;
  const full = n - (n % 8);
  for (let i = 0; i < full; i += 8) {
    let m = 0n;
    for (let j = 7; j >= 0; j--) m = (m << 8n) | BigInt(data[i + j]!);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(n & 0xff) << 56n;
  for (let j = (n % 8) - 1; j >= 0; j--) last |= BigInt(data[full + j]!) << BigInt(8 * j);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const utf8 = new TextEncoder();

const hashSip: Omit<FunctionDef, "name"> = {
  minArgs: 1,
  maxArgs: 1,
  returns: "int",
  eval(args, kinds) {
    const v = args[0]!;
    const k = kindAt(args, kinds, 0);
    let s = "";
    if (k === "string") s = v as string;
    else {
      const list = sliceOf(v, k);
      if (list !== undefined) {
        if (list.length === 0) return undefined;
        s = goString(list[0]);
      }
    }
    if (s === "") return undefined;
    // An int64; JavaScript numbers round it beyond 2^53 (segwatch has no 64-bit integer kind).
    return Number(BigInt.asIntN(64, sipHash24(0n, 1n, utf8.encode(s))));
  },
};

function digest(name: string, algorithm: string): FunctionDef {
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const v = args[0]!;
      if (isNil(v)) return undefined;
      return createHash(algorithm)
        .update(goString(v, kindAt(args, kinds, 0)), "utf8")
        .digest("hex");
    },
  };
}

// base64.StdEncoding.DecodeString: padded, strict alphabet; only \r and \n are skipped.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function b64Decode(s: string): string | undefined {
  const clean = s.replace(/[\r\n]/g, "");
  if (!STD_BASE64.test(clean)) return undefined;
  return Buffer.from(clean, "base64").toString("utf8");
}

function stringArg(
  args: readonly OkValue[],
  kinds: Parameters<FunctionDef["eval"]>[1],
): string | undefined {
  const v = args[0]!;
  if (isNil(v)) return undefined;
  return goString(v, kindAt(args, kinds, 0));
}

export const HASH_ENCODE_FUNCTIONS: readonly FunctionDef[] = [
  { name: "hash", ...hashSip },
  { name: "hash.sip", ...hashSip },
  digest("hash.md5", "md5"),
  digest("hash.sha1", "sha1"),
  digest("hash.sha256", "sha256"),
  digest("hash.sha512", "sha512"),
  {
    name: "encoding.b64encode",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = stringArg(args, kinds);
      return s === undefined ? undefined : Buffer.from(s, "utf8").toString("base64");
    },
  },
  {
    name: "encoding.b64decode",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = stringArg(args, kinds);
      return s === undefined ? undefined : b64Decode(s);
    },
  },
  {
    name: "uuid",
    minArgs: 0,
    maxArgs: 0,
    returns: "string",
    eval() {
      return randomUUID();
    },
  },
];
