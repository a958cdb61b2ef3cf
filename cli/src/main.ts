import { LocalEnvError } from "@kubefed/localenv/errors";
import { program } from "./program.ts";

try {
  await program().parseAsync(process.argv);
} catch (err) {
  if (err instanceof LocalEnvError) {
    process.stderr.write(`kubefed: ${err.describe()}\n`);
  } else {
    process.stderr.write(`kubefed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
}
