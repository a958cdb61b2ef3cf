// BIND 9 (Debian's named) serving one dynamic zone on loopback. It runs as the user who starts it (no -u): the
// run directory, its zone file and journal belong to that user, so nothing has to be readable by Debian's
// `bind` user. Its control channel (rndc) is off, so no fixed port is taken.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newTsig, soaAnswered, zoneFile, type AuthoritativeDnsInfo } from "./authdns.ts";
import type { Started } from "./components.ts";
import { LocalEnvError } from "./errors.ts";
import { startProcess } from "./process.ts";
import { readyOrStop } from "./ready.ts";
import type { BinaryPaths } from "./versions.ts";
import { existsSync } from "node:fs";

export async function startBind(
  bin: BinaryPaths,
  runDir: string,
  port: number,
  zone: string,
  timeoutMs: number,
): Promise<Started<AuthoritativeDnsInfo>> {
  if (!existsSync(bin.named))
    throw new LocalEnvError("bind9", `${bin.named} is not installed`, "apt-get install -y bind9 bind9-dnsutils");
  const dir = join(runDir, "bind9");
  mkdirSync(dir, { recursive: true });
  const tsig = newTsig(join(dir, "tsig.secret"));
  const zoneFilePath = join(dir, `${zone}zone`);
  writeFileSync(zoneFilePath, zoneFile(zone));
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
  file "${zoneFilePath}";
  update-policy { grant ${tsig.keyName} zonesub ANY; };
  allow-transfer { key ${tsig.keyName}; };
};
`,
  );
  const started = Date.now();
  // -g: foreground, log to stderr (the component log); -n 1: one worker thread on a shared two-core machine.
  const proc = startProcess({
    name: "bind9",
    command: bin.named,
    runDir,
    cwd: dir,
    args: ["-g", "-4", "-n", "1", "-c", conf],
  });
  await readyOrStop(proc, () => soaAnswered(port, zone), timeoutMs);
  return { proc, info: { server: "bind9", host: "127.0.0.1", port, zone, tsig }, startupMs: Date.now() - started };
}
