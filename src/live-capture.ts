// Live capture through libpcap (the optional `cap` module): packets are
// written as pcap records straight into the data plane's input buffer, which
// is processed whenever it is nearly full and a few times a second, so the
// per-packet JavaScript is the copy libpcap's callback forces and nothing
// more.
import { createRequire } from 'node:module';
import type { BatchListener, CaptureRun, Filter } from './filter.js';
import { LinkType } from '../assembly/abi.js';

interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}

interface CapModule {
  Cap: { new (): CapInstance; deviceList(): Array<{ name: string }> };
}

export class LiveCaptureError extends Error {}

export const CAP_MISSING = 'live capture needs the optional module `cap`, built against libpcap:\n' +
  '  apt-get install libpcap-dev    (or your system\'s libpcap development package)\n' +
  '  npm rebuild cap                (npm install cap, if it is not installed at all)\n';

// libpcap's names (as cap reports them) for the link types the data plane
// reads; cap names the others "Unknown linktype N".
const LINK_TYPES: Record<string, number> = { NULL: 0, ETHERNET: 1, RAW: 101, LINKTYPE_LINUX_SLL: 113, IEEE802_11_RADIO: LinkType.Ieee80211Radiotap };

function linkTypeNamed(name: string): number | undefined {
  const numbered = /^Unknown linktype (\d+)$/.exec(name);
  if (!numbered) return LINK_TYPES[name];
  const n = Number(numbered[1]);
  return LinkType[n] !== undefined ? n : undefined;
}

const SNAPLEN = 65535;
const RECORD_HEADER = 16;
const PCAP_HEADER = 24;
const KERNEL_BUFFER_BYTES = 16 << 20;
const FLUSH_INTERVAL_MS = 100;

export function loadCap(): CapModule | null {
  try {
    return createRequire(import.meta.url)('cap') as CapModule;
  } catch {
    return null;
  }
}

export interface LiveOptions {
  iface: string;
  // A libpcap filter expression applied before the ruleset sees anything.
  captureFilter?: string;
  count?: number;
  durationSeconds?: number;
  onBatch: BatchListener;
  // Outputs should reach their files: called after every periodic flush.
  onFlush?: () => void;
  // SIGUSR1: print a snapshot of counters and the table.
  onSnapshot?: () => void;
  onStart?: (linktype: number) => void;
}

export interface LiveResult {
  packets: number;
  linktype: number;
  // Why the capture ended.
  reason: 'count' | 'duration' | 'signal' | 'error';
  error?: unknown;
}

// cap's native destructor stops a poll handle that a failed open never
// started, which aborts the process when the object is collected: handles
// whose open failed are kept alive until exit.
const failedHandles: CapInstance[] = [];

function openDevice(cap: CapModule, o: LiveOptions, buffer: Buffer): { handle: CapInstance; linktype: number } {
  const names = cap.Cap.deviceList().map((d) => d.name);
  // libpcap lists the NFLOG device once, and opens a group of it as nflog:N.
  if (!names.includes(o.iface) && !names.includes(o.iface.replace(/:\d+$/, ''))) {
    throw new LiveCaptureError(`${o.iface}: no such interface (interfaces here: ${names.join(', ') || 'none'})`);
  }
  const handle = new cap.Cap();
  let name: string;
  try {
    name = handle.open(o.iface, o.captureFilter ?? '', KERNEL_BUFFER_BYTES, buffer);
  } catch (e) {
    failedHandles.push(handle);
    const message = (e as Error).message;
    if (/permission|not permitted/i.test(message)) {
      throw new LiveCaptureError(`${o.iface}: permission denied: capturing needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities (${message})`);
    }
    throw new LiveCaptureError(`${o.iface}: ${message}`);
  }
  const linktype = linkTypeNamed(name);
  if (linktype === undefined) {
    handle.close();
    throw new LiveCaptureError(`${o.iface}: unsupported link type (${name})`);
  }
  return { handle, linktype };
}

export function captureLive(cap: CapModule, filter: Filter, o: LiveOptions): Promise<LiveResult> {
  const buffer = Buffer.alloc(SNAPLEN);
  const { handle, linktype } = openDevice(cap, o, buffer);
  const run: CaptureRun = filter.openCapture(`interface ${o.iface}`);
  const memory = filter.engine.exports.memory;
  let bytes = new Uint8Array(memory.buffer);
  let view = new DataView(memory.buffer);

  const header = new DataView(new ArrayBuffer(PCAP_HEADER));
  header.setUint32(0, 0xa1b23c4d, true);
  header.setUint16(4, 2, true);
  header.setUint16(6, 4, true);
  header.setUint32(16, SNAPLEN, true);
  header.setUint32(20, linktype, true);
  bytes.set(new Uint8Array(header.buffer), run.writeAddress);
  run.filled(PCAP_HEADER, o.onBatch);
  o.onStart?.(linktype);

  return new Promise((resolve) => {
    let packets = 0;
    let finished = false;
    const finish = (reason: LiveResult['reason'], error?: unknown) => {
      if (finished) return;
      finished = true;
      clearInterval(ticker);
      clearTimeout(deadline);
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      process.off('SIGUSR1', onSnapshot);
      handle.close();
      try {
        run.filled(0, o.onBatch);
      } catch (e) {
        error ??= e;
        reason = 'error';
      }
      resolve({ packets, linktype, reason, ...(error !== undefined ? { error } : {}) });
    };
    const guarded = (work: () => void) => {
      try {
        work();
      } catch (e) {
        finish('error', e);
      }
    };
    handle.on('packet', (nbytes) => {
      if (finished) return;
      if (run.free < RECORD_HEADER + SNAPLEN) guarded(() => run.flush(o.onBatch));
      if (finished) return;
      // The memory grows only while the filter is set up, but a stale view
      // would write into a detached buffer.
      if (bytes.buffer !== memory.buffer) {
        bytes = new Uint8Array(memory.buffer);
        view = new DataView(memory.buffer);
      }
      const at = run.writeAddress;
      const ms = performance.timeOrigin + performance.now();
      const seconds = Math.floor(ms / 1000);
      view.setUint32(at, seconds, true);
      view.setUint32(at + 4, Math.floor((ms - seconds * 1000) * 1e6), true);
      view.setUint32(at + 8, nbytes, true);
      view.setUint32(at + 12, nbytes, true);
      buffer.copy(bytes, at + RECORD_HEADER, 0, nbytes);
      run.filled(RECORD_HEADER + nbytes, o.onBatch);
      packets++;
      if (o.count !== undefined && packets >= o.count) finish('count');
    });
    const ticker = setInterval(() => guarded(() => {
      run.flush(o.onBatch);
      o.onFlush?.();
    }), FLUSH_INTERVAL_MS);
    const deadline = o.durationSeconds !== undefined ? setTimeout(() => finish('duration'), o.durationSeconds * 1000) : undefined;
    const onStop = () => finish('signal');
    const onSnapshot = () => guarded(() => {
      run.flush(o.onBatch);
      o.onFlush?.();
      o.onSnapshot?.();
    });
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGUSR1', onSnapshot);
  });
}
