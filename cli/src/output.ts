// What every kubefed command shares about its output: exit codes, the `-o` option, kubectl-like tables, and
// colour only when it goes to a terminal. Commands print through these so they look and fail alike.
import { Option } from "commander";
import { stringify as toYaml } from "yaml";

/** Exit codes of every command (listed in `kubefed --help`). */
export const ExitCode = {
  Ok: 0,
  /** The command was valid but failed: a cluster refused, did not answer, or did not become ready in time. */
  Failed: 1,
  /** Bad input: a flag, argument, file or context that cannot work; nothing was changed. */
  InvalidInput: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the command failed: a cluster refused or did not answer, or something did not become ready in time
  2  invalid input (flag, argument, file or context); nothing was changed
`;

/** Bad input found before anything was changed: main prints its one line and exits with InvalidInput. */
export class InputError extends Error {
  readonly exitCode = ExitCode.InvalidInput;
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export const OUTPUT_FORMATS = ["table", "yaml", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o, --output` with the formats a command supports, table (the default) first. */
export function outputOption(formats: readonly OutputFormat[] = OUTPUT_FORMATS): Option {
  return new Option("-o, --output <format>", `output format: ${formats.join(", ")}`)
    .choices([...formats])
    .default(formats[0]);
}

/** kubectl's layout: upper-case headers, columns left-aligned and three spaces apart, no trailing blanks. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers.map((h) => h.toUpperCase()), ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((r) =>
      headers
        .map((_, i) => (r[i] ?? "").padEnd(i === headers.length - 1 ? 0 : (widths[i] ?? 0)))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

/** Renders data as yaml or json, or as a table through `table` (kubectl's `-o`). */
export function render<T>(format: OutputFormat, data: T, table: (data: T) => string): string {
  if (format === "json") return JSON.stringify(data, null, 2);
  if (format === "yaml") return toYaml(data, { lineWidth: 0 }).trimEnd();
  return table(data);
}

const CODES = { red: 31, green: 32, yellow: 33, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** Colours for one stream: escapes only on a terminal, and never with NO_COLOR set (no-color.org). */
export function painter(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>) {
  const on = stream.isTTY === true && (env["NO_COLOR"] ?? "") === "" && env["TERM"] !== "dumb";
  return (colour: Colour, text: string): string => (on ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text);
}
