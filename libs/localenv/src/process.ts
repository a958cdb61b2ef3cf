import { spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  appendFileSync,
  readdirSync,
  readlinkSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LocalEnvError } from "./errors.ts";

/** A component process started by the local environment, with its log file and a way to stop it. */
export interface Managed {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has exited (for any reason). */
  readonly exited: Promise<number | null>;
  /** True while the process runs. */
  readonly running: boolean;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  runDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

// Every child pid this process started, so that signal and exit handlers can kill them synchronously.
const live = new Map<number, string>();

/** The last `lines` lines of a log file, for error messages when a component fails. */
export function tailFile(path: string, lines = 25): string {
  if (!existsSync(path)) return "(no log written)";
  const text = readFileSync(path, "utf8").trimEnd();
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * Starts a component in its own process group (so Ctrl-C in a terminal reaches us first and we stop the
 * children in order, and so a stop also kills grandchildren such as a JVM behind a wrapper).
 * stdout and stderr go to <runDir>/logs/<name>.log; the pid is recorded in <runDir>/pids for the reaper.
 */
export function startProcess(opts: StartOptions): Managed {
  const logs = join(opts.runDir, "logs");
  mkdirSync(logs, { recursive: true });
  const logFile = join(logs, `${opts.name}.log`);
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, {
      cwd: opts.cwd ?? opts.runDir,
      // Marks the process as this run's, for the stale-run reaper (a node service's command line does not name the run).
      env: { ...(opts.env ?? process.env), KUBEFED_LOCALENV_RUN: opts.runDir },
      stdio: ["ignore", fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new LocalEnvError(
      opts.name,
      `could not start ${opts.command}`,
      "check that the binary exists and is executable",
    );
  }
  const pid = child.pid;
  live.set(pid, opts.name);
  appendFileSync(join(opts.runDir, "pids"), `${pid} ${opts.name}\n`);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(pid);
      resolve(code ?? (signal ? 128 : null));
    });
    child.once("error", () => {
      live.delete(pid);
      resolve(null);
    });
  });
  return {
    name: opts.name,
    pid,
    logFile,
    exited,
    get running() {
      return live.has(pid);
    },
    async stop(graceMs = 5000) {
      if (!live.has(pid)) return;
      killGroup(pid, "SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        killGroup(pid, "SIGKILL");
        await exited;
      }
    },
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Kills every child still running, synchronously: safe to call from 'exit' and signal handlers. */
export function killAllSync(): void {
  for (const pid of live.keys()) killGroup(pid, "SIGKILL");
  live.clear();
}

let handlersInstalled = false;
/**
 * Makes sure no child outlives this process: on exit, SIGINT, SIGTERM and SIGHUP every child is killed.
 * A signal then ends this process with the conventional 128+n code.
 */
export function installExitHandlers(onSignal?: (signal: NodeJS.Signals) => Promise<void>): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once("exit", killAllSync);
  const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      const finish = () => {
        killAllSync();
        process.exit(codes[signal]);
      };
      if (onSignal) {
        // Graceful first, but never hang on the way out.
        const force = setTimeout(finish, 10_000);
        force.unref();
        onSignal(signal).finally(finish);
      } else {
        finish();
      }
    });
  }
}

/**
 * Kills processes left by earlier runs whose owner died without cleaning up (e.g. SIGKILL of the test
 * runner). Each run directory records its owner pid; a run whose owner is gone is reaped.
 */
export function reapStaleRuns(runsRoot: string): string[] {
  if (!existsSync(runsRoot)) return [];
  const reaped: string[] = [];
  for (const entry of readdirSync(runsRoot)) {
    const dir = join(runsRoot, entry);
    const ownerFile = join(dir, "owner");
    const pidsFile = join(dir, "pids");
    if (!existsSync(ownerFile) || !existsSync(pidsFile)) continue;
    const owner = Number(readFileSync(ownerFile, "utf8").trim());
    if (owner === process.pid || isAlive(owner)) continue;
    for (const line of readFileSync(pidsFile, "utf8").split("\n")) {
      const [pidText, name] = line.split(" ");
      const pid = Number(pidText);
      if (pid > 0 && isAlive(pid) && isOurs(pid, dir)) {
        killGroup(pid, "SIGKILL");
        reaped.push(`${name} (pid ${pid})`);
      }
    }
    writeFileSync(pidsFile, "");
  }
  return reaped;
}

function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a process belongs to a run: its command line or working directory points into the run, or (node
 * services, whose command line does not name it) its environment carries the run's marker. Pids are reused:
 * the reaper only kills what this says is ours.
 */
export function isOurs(pid: number, runDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (cmdline.includes(runDir) || readlinkSync(`/proc/${pid}/cwd`).startsWith(runDir)) return true;
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`KUBEFED_LOCALENV_RUN=${runDir}`);
  } catch {
    return false;
  }
}
