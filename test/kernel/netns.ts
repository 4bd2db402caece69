// Running commands inside a network namespace, with errors that name the
// namespace and the command, and background processes that can be reaped.
import { execFile, spawn, type ChildProcess } from "node:child_process";

export interface RunOptions {
  /** Resolve with stdout even when the command exits non-zero. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export class CommandError extends Error {
  constructor(
    readonly where: string,
    readonly command: string,
    readonly exitCode: number | string | null,
    readonly stderr: string,
  ) {
    super(`[${where}] \`${command}\` failed (${exitCode}): ${stderr.trim() || "(no stderr)"}`);
  }
}

/** Runs `argv` on the host; `where` only labels errors. */
export function runHost(argv: string[], where: string, options: RunOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      argv[0],
      argv.slice(1),
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: MAX_OUTPUT_BYTES, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error || options.allowFailure) {
          resolve(stdout);
          return;
        }
        const exitCode = error.killed ? `killed after ${timeoutMs} ms` : (error.code ?? error.signal ?? null);
        reject(new CommandError(where, argv.join(" "), exitCode, stderr || error.message));
      },
    );
  });
}

/** Runs a shell command inside namespace `ns`. */
export async function runInNamespace(ns: string, command: string, options: RunOptions = {}): Promise<string> {
  try {
    return await runHost(["ip", "netns", "exec", ns, "sh", "-c", command], ns, options);
  } catch (error) {
    // Report the shell command the caller wrote, not the ip-netns wrapper.
    if (error instanceof CommandError) throw new CommandError(ns, command, error.exitCode, error.stderr);
    throw error;
  }
}

const STDERR_TAIL_CHARS = 4096;

/** A long-running process inside a namespace, started in its own process group. */
export class BackgroundProcess {
  private readonly child: ChildProcess;
  private stderrTail = "";
  readonly exited: Promise<number | null>;

  constructor(
    readonly ns: string,
    readonly command: string,
  ) {
    this.child = spawn("ip", ["netns", "exec", ns, "sh", "-c", `exec ${command}`], {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    this.exited = new Promise((resolve) => {
      this.child.once("error", () => resolve(null));
      this.child.once("close", (code) => resolve(code));
    });
  }

  get stderr(): string {
    return this.stderrTail;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once stderr contains `text`; rejects if the process exits or time runs out. */
  waitForStderr(text: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.stderrTail.includes(text)) finish(undefined);
      };
      const finish = (error: Error | undefined) => {
        clearTimeout(timer);
        this.child.stderr!.off("data", check);
        this.child.off("close", onClose);
        if (error) reject(error);
        else resolve();
      };
      const onClose = () =>
        finish(new Error(`[${this.ns}] \`${this.command}\` exited before printing "${text}": ${this.stderrTail.trim()}`));
      const timer = setTimeout(
        () => finish(new Error(`[${this.ns}] \`${this.command}\` did not print "${text}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.child.stderr!.on("data", check);
      this.child.once("close", onClose);
      check();
    });
  }

  /** Signals the whole process group, escalating to SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 2000): Promise<number | null> {
    if (this.running) signalGroup(this.child.pid!, signal);
    const timer = setTimeout(() => signalGroup(this.child.pid!, "SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
