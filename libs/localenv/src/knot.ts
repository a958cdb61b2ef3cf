// Knot DNS (Debian's knotd) serving one dynamic zone on loopback. Its rundir (control socket), database
// (journal, timers) and zone storage are in the run directory, and it keeps the user who starts it (no
// `server.user`), so every file it writes is writable by it.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newTsig, soaAnswered, zoneFile, type AuthoritativeDnsInfo } from "./authdns.ts";
import type { Started } from "./components.ts";
import { LocalEnvError } from "./errors.ts";
import { startProcess } from "./process.ts";
import { readyOrStop } from "./ready.ts";
import type { BinaryPaths } from "./versions.ts";

export async function startKnot(
  bin: BinaryPaths,
  runDir: string,
  port: number,
  zone: string,
  timeoutMs: number,
): Promise<Started<AuthoritativeDnsInfo>> {
  if (!existsSync(bin.knotd))
    throw new LocalEnvError("knot", `${bin.knotd} is not installed`, "apt-get install -y knot");
  const dir = join(runDir, "knot");
  for (const d of ["run", "db", "zones"]) mkdirSync(join(dir, d), { recursive: true });
  const tsig = newTsig(join(dir, "tsig.secret"));
  writeFileSync(join(dir, "zones", `${zone}zone`), zoneFile(zone));
  const conf = join(dir, "knot.conf");
  writeFileSync(
    conf,
    `server:
    rundir: "${join(dir, "run")}"
    listen: 127.0.0.1@${port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

log:
  - target: stderr
    any: info

database:
    storage: "${join(dir, "db")}"

key:
  - id: ${tsig.keyName}
    algorithm: ${tsig.algorithm}
    secret: ${tsig.secret}

acl:
  - id: kubefed-update
    key: ${tsig.keyName}
    action: [update, transfer]

template:
  - id: default
    storage: "${join(dir, "zones")}"
    # Updates stay in the journal; writing the zone file back after each one only costs disk time here.
    zonefile-sync: -1

zone:
  - domain: ${zone}
    file: "${join(dir, "zones", `${zone}zone`)}"
    acl: kubefed-update
`,
  );
  const started = Date.now();
  const proc = startProcess({ name: "knot", command: bin.knotd, runDir, cwd: dir, args: ["-c", conf] });
  await readyOrStop(proc, () => soaAnswered(port, zone), timeoutMs);
  return { proc, info: { server: "knot", host: "127.0.0.1", port, zone, tsig }, startupMs: Date.now() - started };
}
