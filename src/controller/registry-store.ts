// The controller's writes to KV segwatch-registry. Every process watches that bucket and rebuilds what
// depends on a changed key, so a value is put only when it differs from the stored one and a key is
// deleted only when it is there.

import type { KV } from "@nats-io/kv";

export class RegistryStore {
  private readonly kv: KV;

  constructor(kv: KV) {
    this.kv = kv;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const e = await this.kv.get(key);
    if (e?.operation !== "PUT") return undefined;
    try {
      return e.json<T>();
    } catch {
      return undefined;
    }
  }

  /** Puts the value unless it is already stored; true when it wrote. */
  async put(key: string, value: unknown): Promise<boolean> {
    const text = JSON.stringify(value);
    const e = await this.kv.get(key);
    if (e && e.operation === "PUT" && e.string() === text) return false;
    await this.kv.put(key, text);
    return true;
  }

  /** Deletes the key if present; true when it deleted. */
  async delete(key: string): Promise<boolean> {
    const e = await this.kv.get(key);
    if (e?.operation !== "PUT") return false;
    await this.kv.delete(key);
    return true;
  }

  /** Keys under a prefix such as "segments.acme." or "subscriptions." (deleted keys excluded). */
  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys(`${prefix}>`)) out.push(k);
    return out;
  }
}
