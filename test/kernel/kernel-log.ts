// The kernel log of network namespaces: the kernel writes what log
// statements log in a namespace other than the first only while
// net.netfilter.nf_log_all_netns is 1. Scenarios that read it run one at a
// time across test processes (a lock file), so that each restores the
// value it found, never another scenario's.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runHost } from "./netns.js";

const ALL_NETNS = "/proc/sys/net/netfilter/nf_log_all_netns";
const LOCK = join(tmpdir(), "nftwasm-nf_log_all_netns.lock");
const LOCK_TIMEOUT_MS = 120_000;
const POLL_MS = 50;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function lock(): Promise<void> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(LOCK, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch {
      // Held: by a live process, wait; a dead one's is taken over.
      let holder = 0;
      try {
        holder = Number(readFileSync(LOCK, "utf8"));
      } catch {
        continue;
      }
      if (holder > 0 && !alive(holder)) rmSync(LOCK, { force: true });
      else if (Date.now() > deadline) throw new Error(`${LOCK} held by process ${holder} for ${LOCK_TIMEOUT_MS} ms`);
      else await sleep(POLL_MS);
    }
  }
}

/**
 * Runs `scenario` with the kernel logging every namespace, and resolves with
 * what it returned and the lines of `dmesg --raw` that contain `tag`.
 */
export async function withKernelLog<T>(tag: string, scenario: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  await lock();
  const saved = readFileSync(ALL_NETNS, "utf8").trim();
  try {
    writeFileSync(ALL_NETNS, "1");
    const result = await scenario();
    const dmesg = await runHost(["dmesg", "--raw"], "host");
    return { result, lines: dmesg.split("\n").filter((l) => l.includes(tag)) };
  } finally {
    writeFileSync(ALL_NETNS, saved);
    rmSync(LOCK, { force: true });
  }
}

/** A line of `dmesg --raw` without its time: the level, then the message. */
export function withoutTime(line: string): string {
  return line.replace(/^(<\d+>)\[[ \d.]+\] /, "$1");
}
