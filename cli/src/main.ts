import { CommanderError } from "commander";
import { LocalEnvError } from "@kubefed/localenv/errors";
import { ExitCode, InputError, painter } from "./output.ts";
import { program } from "./program.ts";

const red = (text: string) => painter(process.stderr, process.env)("red", text);

try {
  // Commander's own usage errors (unknown option, missing argument) are bad input too: exit code 2.
  await program().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander printed its one line already; --help and --version end here with code 0.
    process.exit(err.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput);
  }
  const message = err instanceof LocalEnvError ? err.describe() : err instanceof Error ? err.message : String(err);
  process.stderr.write(`${red("kubefed:")} ${message}\n`);
  process.exit(err instanceof InputError ? ExitCode.InvalidInput : ExitCode.Failed);
}
