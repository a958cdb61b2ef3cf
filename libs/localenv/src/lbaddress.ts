/**
 * Addresses the loopback load balancer hands out: each member cluster has a /16 of its own on 127.0.0.0/8, and a
 * Service's address is derived from its namespace and name, so it is the same after a restart of the controller
 * and when the Service is created again. Deterministic: a hash of the key, no clock or state.
 */
import { createHash } from "node:crypto";

/** The first two octets of member `index`'s range: 127.20.0.0/16 for the first member, 127.21.0.0/16 next... */
export function memberRange(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 200) throw new Error(`member index ${index} is out of range`);
  return `127.${20 + index}`;
}

/** Usable hosts of a /16: .0.1 to .255.254. */
const HOSTS = 256 * 256 - 2;

/** A number from a Service's key, spread evenly over the range. */
const hashOf = (key: string): number => createHash("sha256").update(key).digest().readUInt32BE(0);

const hostAddress = (range: string, host: number): string =>
  `${range}.${Math.floor((host + 1) / 256)}.${(host + 1) % 256}`;

/** True when `ip` lies in the range (so it was handed out by this controller). */
export function inRange(range: string, ip: string): boolean {
  return ip.startsWith(`${range}.`) && /^\d+\.\d+\.\d+\.\d+$/.test(ip);
}

/**
 * The address of Service `key` (namespace/name): the one it has when that is ours and free, else the first free
 * one from its hash on. Undefined when the range is full.
 */
export function pickAddress(
  range: string,
  key: string,
  inUse: ReadonlySet<string>,
  current?: string,
): string | undefined {
  if (current !== undefined && inRange(range, current) && !inUse.has(current)) return current;
  const start = hashOf(key) % HOSTS;
  for (let i = 0; i < HOSTS; i++) {
    const ip = hostAddress(range, (start + i) % HOSTS);
    if (!inUse.has(ip)) return ip;
  }
  return undefined;
}
