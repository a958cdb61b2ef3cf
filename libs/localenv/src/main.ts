/**
 * `tsx libs/localenv/src/main.ts install`: builds or downloads every component of the local environment
 * into the cache (idempotent). The README's two commands call it before doing anything else.
 */
import { installAll } from "./install.ts";
import { LocalEnvError } from "./errors.ts";
import { binaryPaths } from "./versions.ts";

const cmd = process.argv[2] ?? "install";
if (cmd !== "install" && cmd !== "paths") {
  process.stderr.write(`localenv: unknown command "${cmd}" (use: install | paths)\n`);
  process.exit(2);
}
try {
  if (cmd === "install") await installAll();
  else process.stdout.write(`${JSON.stringify(binaryPaths(), null, 2)}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof LocalEnvError ? err.describe() : `localenv: ${String(err)}`}\n`);
  process.exit(1);
}
