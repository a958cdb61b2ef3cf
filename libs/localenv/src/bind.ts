// BIND 9 (Debian's named) serving one dynamic zone on loopback. It runs as the user who starts it (no -u): the
// run directory, its zone file and journal belong to that user, so nothing has to be readable by Debian's
// `bind` user. Its control channel (rndc) is off, so no fixed port is taken.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareServer, startServer, type StartZoneServer } from "./authdns.ts";

export const startBind: StartZoneServer = async (bin, runDir, port, zone, timeoutMs) => {
  const prepared = prepareServer("bind9", bin.named, runDir, zone);
  const { dir, tsig } = prepared;
  const conf = join(dir, "named.conf");
  writeFileSync(
    conf,
    `options {
  directory "${dir}";
  pid-file "${join(dir, "named.pid")}";
  session-keyfile "${join(dir, "session.key")}";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-transfer { none; };
};
controls { };
key "${tsig.keyName}" {
  algorithm ${tsig.algorithm};
  secret "${tsig.secret}";
};
zone "${zone}" {
  type primary;
  file "${prepared.zoneFilePath}";
  update-policy { grant ${tsig.keyName} zonesub ANY; };
  allow-transfer { key ${tsig.keyName}; };
};
`,
  );
  // -g: foreground, log to stderr (the component log); -n 1: one worker thread on a shared two-core machine.
  return startServer("bind9", prepared, bin.named, ["-g", "-4", "-n", "1", "-c", conf], runDir, port, zone, timeoutMs);
};
