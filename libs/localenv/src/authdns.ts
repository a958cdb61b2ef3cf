// What BIND 9 and Knot share in the local environment: one dynamic zone with SOA and NS, one TSIG key
// (hmac-sha256) allowed to update and transfer it, and a readiness probe that asks the server for the zone's SOA.
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import type { Started } from "./components.ts";
import { LocalEnvError } from "./errors.ts";
import { startProcess } from "./process.ts";
import { readyOrStop } from "./ready.ts";
import type { BinaryPaths } from "./versions.ts";

/** An authoritative server taking TSIG-signed updates for one zone: what a client needs to reach it. */
export interface AuthoritativeDnsInfo {
  readonly server: "bind9" | "knot";
  readonly host: "127.0.0.1";
  /** UDP and TCP. */
  readonly port: number;
  /** Fully qualified, with the trailing dot. */
  readonly zone: string;
  readonly tsig: {
    /** Fully qualified, with the trailing dot, as the server's configuration names it. */
    readonly keyName: string;
    readonly algorithm: "hmac-sha256";
    /** Base64, as in the server's configuration. */
    readonly secret: string;
    /** A file holding the base64 secret (what DNS_SYNC_TSIG_SECRET_FILE points at). */
    readonly secretFile: string;
  };
}

export const TSIG_KEY_NAME = "kubefed-update.";

/** A fresh 256-bit secret, written to `secretFile` (mode 0600). */
export function newTsig(secretFile: string): AuthoritativeDnsInfo["tsig"] {
  const secret = randomBytes(32).toString("base64");
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  return { keyName: TSIG_KEY_NAME, algorithm: "hmac-sha256", secret, secretFile };
}

/** The zone's starting content: SOA and NS, the name server's address inside the zone. */
export function zoneFile(zone: string): string {
  return [
    `$ORIGIN ${zone}`,
    "$TTL 60",
    `@ IN SOA ns1.${zone} hostmaster.${zone} 1 3600 600 86400 60`,
    `@ IN NS ns1.${zone}`,
    "ns1 IN A 127.0.0.1",
    "",
  ].join("\n");
}

/** True when the server answers the zone's SOA over UDP, authoritatively. */
export function soaAnswered(port: number, zone: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    const id = randomBytes(2).readUInt16BE(0);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once("error", () => done(false));
    sock.on("message", (msg) => {
      try {
        const r = dnsPacket.decode(msg);
        if (r.id !== id) return;
        done(((r.flags ?? 0) & 0xf) === 0 && r.flag_aa && (r.answers ?? []).some((a) => a.type === "SOA"));
      } catch {
        done(false);
      }
    });
    sock.send(
      dnsPacket.encode({ type: "query", id, questions: [{ type: "SOA", name: zone.replace(/\.$/, "") }] }),
      port,
      "127.0.0.1",
    );
  });
}

/** How env.ts and startDnsServers start either server: on `port`, serving `zone`, files under `runDir`. */
export type StartZoneServer = (
  bin: BinaryPaths,
  runDir: string,
  port: number,
  zone: string,
  timeoutMs: number,
) => Promise<Started<AuthoritativeDnsInfo>>;

export interface ServerDir {
  readonly dir: string;
  readonly zoneFilePath: string;
  readonly tsig: AuthoritativeDnsInfo["tsig"];
}

/** The server's directory in the run, with a fresh key and the zone's starting file in `zoneDir` (below it). */
export function prepareServer(
  server: AuthoritativeDnsInfo["server"],
  binary: string,
  runDir: string,
  zone: string,
  dirs: { zoneDir?: string; more?: readonly string[] } = {},
): ServerDir {
  if (!existsSync(binary))
    throw new LocalEnvError(
      server,
      `${binary} is not installed`,
      "run `npm run env -- install`, or apt-get install it",
    );
  const dir = join(runDir, server);
  const zoneDir = join(dir, dirs.zoneDir ?? "");
  for (const d of [zoneDir, ...(dirs.more ?? []).map((m) => join(dir, m))]) mkdirSync(d, { recursive: true });
  const zoneFilePath = join(zoneDir, `${zone}zone`);
  writeFileSync(zoneFilePath, zoneFile(zone));
  return { dir, zoneFilePath, tsig: newTsig(join(dir, "tsig.secret")) };
}

/** Starts the server and waits until it answers the zone's SOA. */
export async function startServer(
  server: AuthoritativeDnsInfo["server"],
  prepared: ServerDir,
  command: string,
  args: string[],
  runDir: string,
  port: number,
  zone: string,
  timeoutMs: number,
): Promise<Started<AuthoritativeDnsInfo>> {
  const started = Date.now();
  const proc = startProcess({ name: server, command, runDir, cwd: prepared.dir, args });
  await readyOrStop(proc, () => soaAnswered(port, zone), timeoutMs);
  return {
    proc,
    info: { server, host: "127.0.0.1", port, zone, tsig: prepared.tsig },
    startupMs: Date.now() - started,
  };
}
