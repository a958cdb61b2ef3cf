// Knot DNS (Debian's knotd) serving one dynamic zone on loopback. Its rundir (control socket), database
// (journal, timers) and zone storage are in the run directory, and it keeps the user who starts it (no
// `server.user`), so every file it writes is writable by it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareServer, startServer, type StartZoneServer } from "./authdns.ts";

export const startKnot: StartZoneServer = async (bin, runDir, port, zone, timeoutMs) => {
  const prepared = prepareServer("knot", bin.knotd, runDir, zone, { zoneDir: "zones", more: ["run", "db"] });
  const { dir, tsig } = prepared;
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
    file: "${prepared.zoneFilePath}"
    acl: kubefed-update
`,
  );
  return startServer("knot", prepared, bin.knotd, ["-c", conf], runDir, port, zone, timeoutMs);
};
