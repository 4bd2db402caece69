// `nftwasm capture` on a real interface: a veth in a network namespace with
// ping and HTTP traffic. What it reports live must be exactly what the same
// packets give when replayed offline, and its counters must be the kernel's
// for the same ruleset.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelLabUnavailable, parseListingCounters, runScenario } from '../kernel/lab.js';
import { loadCap } from '../../src/live-capture.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { BIN, EXAMPLE_RULESET, ensureBuilt, nftwasm } from './cli-run.js';
import { run, type ResultRow } from './harness.js';
import { concat } from './captures.js';

const unavailable = kernelLabUnavailable() ?? (loadCap() ? null : 'the optional cap module is not built (apt-get install libpcap-dev, then npm rebuild cap)');

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		tcp dport 8000 ct state new counter accept
		icmp type echo-request counter accept
		tcp dport 22 counter drop
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct direction reply counter
	}
}
`;

interface LiveRun {
  status: number | null;
  stdout: string;
  stderr: string;
  accepted: Uint8Array;
  dropped: Uint8Array;
}

// The accepted and dropped files merged back into the order the packets
// arrived in, which the JSON lines record.
function arrivalOrder(json: Array<{ verdict: string }>, accepted: ResultRow[], dropped: ResultRow[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((c) => chunks.push(c), { linktype: 1, nanosecond: true });
  let a = 0;
  let d = 0;
  for (const line of json) {
    const p = line.verdict === 'accept' ? accepted[a++] : dropped[d++];
    w.writePacket(p.timeNs, Buffer.from(p.data, 'hex'), p.originalLength);
  }
  w.flush();
  expect(a).toBe(accepted.length);
  expect(d).toBe(dropped.length);
  return concat(...chunks);
}

describe.skipIf(unavailable !== null)(`live capture${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('reports live traffic exactly as the same packets replayed offline, with the kernel\'s counters', { timeout: 60_000 }, async () => {
    ensureBuilt();
    let live: LiveRun | undefined;
    let local = '';
    const scenario = await runScenario({
      name: 'live capture',
      ruleset: RULESET,
      traffic: async (lab) => {
        local = lab.srvAddr;
        await lab.httpServer(8000);
        const file = (name: string) => join(lab.workDir, name);
        writeFileSync(file('rules.nft'), RULESET);
        const proc = lab.spawnSrv(
          `${process.execPath} ${BIN} capture -i ${lab.iface} -f ${file('rules.nft')} --local ${lab.srvAddr} ` +
          `-w ${file('acc.pcapng')} --dropped ${file('drop.pcapng')} --json --list --conntrack > ${file('out.txt')}`,
        );
        await proc.waitForStderr('listening on', 10_000);
        await lab.ping(3);
        await lab.curl(8000);
        await lab.curl(8000);
        await lab.curl(22, { allowFailure: true, connectTimeoutSeconds: 1 });
        await sleep(300);
        const status = await proc.stop('SIGTERM', 5000);
        live = {
          status,
          stdout: readFileSync(file('out.txt'), 'utf8'),
          stderr: proc.stderr,
          accepted: readFileSync(file('acc.pcapng')),
          dropped: readFileSync(file('drop.pcapng')),
        };
      },
    });
    expect(live).toBeDefined();
    const { status, stdout, stderr, accepted, dropped } = live!;
    expect(status).toBe(0);
    expect(stderr).toMatch(/nftwasm: \d+ packets captured on eth0, \d+ accepted, \d+ dropped/);

    // With --json, the listing and the table are objects of the stream too.
    const objects = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const json = objects.filter((o) => o.type === 'packet');
    const report: string = objects.find((o) => o.type === 'listing').ruleset;
    const acceptedRows = (await run(accepted)).rows;
    const droppedRows = (await run(dropped)).rows;
    expect(acceptedRows.length + droppedRows.length).toBe(json.length);
    expect(droppedRows.length).toBeGreaterThan(0);

    // The same packets, offline: every line and the final report agree.
    const replay = join(process.env.TMPDIR ?? '/tmp', `nftwasm-live-${process.pid}.pcapng`);
    writeFileSync(replay, arrivalOrder(json, acceptedRows, droppedRows));
    const rules = join(process.env.TMPDIR ?? '/tmp', `nftwasm-live-${process.pid}.nft`);
    writeFileSync(rules, RULESET);
    const offline = nftwasm(['filter', '-f', rules, '-r', replay, '--local', local, '--json', '--list', '--conntrack', '-q']);
    expect(offline.status).toBe(0);
    expect(offline.stdout.toString()).toBe(stdout);

    // And the kernel counted what nftwasm counted.
    const ours = parseListingCounters(report);
    const kernel = parseListingCounters(scenario.listing);
    const count = (list: typeof ours, rule: string) => list.find((c) => c.rule.startsWith(rule))?.packets;
    // The first echo request opens the connection, the others are established.
    expect(count(ours, 'icmp type echo-request')).toBe(1);
    expect(count(ours, 'tcp dport 8000')).toBe(2);
    expect(count(ours, 'tcp dport 22')).toBeGreaterThanOrEqual(1);
    for (const rule of ['icmp type echo-request', 'tcp dport 8000', 'tcp dport 22', 'ct state established']) {
      expect(count(ours, rule), rule).toBe(count(kernel, rule));
    }
  });
});

const rootOnly = process.getuid?.() !== 0 ? 'needs root (network namespaces, capturing)' : loadCap() ? null : 'the optional cap module is not built';

describe.skipIf(rootOnly !== null)(`nftwasm capture controls${rootOnly ? ` (skipped: ${rootOnly})` : ''}`, () => {
  const ns = `nftwasm-cap-${process.pid}`;
  const inNs = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'pipe' });
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    inNs('ip', 'link', 'set', 'lo', 'up');
    ensureBuilt();
  });
  afterAll(() => execFileSync('ip', ['netns', 'del', ns]));

  function start(args: string[]): { child: ChildProcess; done: Promise<{ status: number | null; stdout: string; stderr: string }> } {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'capture', '-i', 'lo', '-f', EXAMPLE_RULESET, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
    return { child, done };
  }

  async function listening(child: ChildProcess): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('nftwasm capture did not start')), 10_000);
      child.stderr!.on('data', (c) => {
        if (String(c).includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  it('-c stops after that many packets and reports them', async () => {
    const { child, done } = start(['-c', '4', '--json']);
    await listening(child);
    inNs('ping', '-c', '3', '-i', '0.2', '127.0.0.1');
    const r = await done;
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(r.stderr).toMatch(/nftwasm: 4 packets captured on lo/);
  });

  it('--duration stops after that many seconds', async () => {
    const t0 = Date.now();
    const r = await start(['--duration', '1']).done;
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toMatch(/nftwasm: 0 packets captured on lo/);
  });

  it('SIGUSR1 prints a snapshot, SIGTERM the final report with the files closed', async () => {
    const { child, done } = start(['--list']);
    await listening(child);
    inNs('ping', '-c', '2', '-i', '0.2', '127.0.0.1');
    child.kill('SIGUSR1');
    await sleep(500);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/table inet filter \{[\s\S]*nftwasm: 4 packets so far/);
    expect(r.stdout).toContain('table inet filter {');
    expect(r.stderr).toMatch(/nftwasm: 4 packets captured on lo/);
  });

  it('captures an NFLOG group, what the kernel logs to it', async () => {
    const rules = join(process.env.TMPDIR ?? '/tmp', `nftwasm-nflog-${process.pid}.nft`);
    writeFileSync(rules, 'table ip nflog_test {\n\tchain out {\n\t\ttype filter hook output priority 0;\n\t\tlog group 7 queue-threshold 1\n\t}\n}\n');
    inNs('nft', '-f', rules);
    try {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'capture', '-i', 'nflog:7', '-f', EXAMPLE_RULESET, '-c', '2', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c) => (stdout += c));
      child.stderr!.on('data', (c) => (stderr += c));
      const done = new Promise<number | null>((resolve) => child.on('close', resolve));
      await listening(child);
      inNs('ping', '-c', '1', '127.0.0.1');
      expect(await done).toBe(0);
      // The echo request and its reply, both sent by the host, to itself.
      const packets = stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(packets.map((p) => [p.verdict, p.fate, p.ct?.state])).toEqual([['accept', undefined, 'new'], ['accept', undefined, 'established']]);
      expect(stderr).toMatch(/nftwasm: 2 packets captured on nflog:7/);
    } finally {
      inNs('nft', 'delete', 'table', 'ip', 'nflog_test');
    }
  });

  it('a missing interface is an input error naming it', () => {
    const r = nftwasm(['capture', '-i', 'nosuch0', '-f', EXAMPLE_RULESET]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nftwasm: nosuch0: no such interface/);
  });

  it('missing permission is an input error that says what is needed', () => {
    // Opening fails before any packet is read, so the host's lo is safe to name.
    const r = nftwasm(['capture', '-i', 'lo', '-f', EXAMPLE_RULESET], undefined, { uid: 65534, gid: 65534 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nftwasm: lo: permission denied: capturing needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities/);
  });
});
