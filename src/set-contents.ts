// What sets hold now, when rules update them or their elements count or
// time out, read from the data plane's set descriptors (SetDescriptor in
// abi.ts) for the listing.
import { DynamicElementTail, SetDescriptor, SetElementFlag, SetFlags, SetSlot } from '../assembly/abi.js';
import type { LiveSetElement } from '../compiler/listing.js';
import type { Engine } from './engine.js';

const NS_PER_MS = 1_000_000n;

// The live elements of set `index` at capture time `now` (ns), when rules
// update it or its elements keep state: undefined for a set that holds
// what the ruleset declares and nothing else, and for interval sets, whose
// elements are boundaries.
export function liveSetElements(engine: Engine, index: number, now: bigint): LiveSetElement[] | undefined {
  const memory = engine.exports.memory.buffer;
  const view = new DataView(memory);
  const d = (engine.exports.setDescriptors() >>> 0) + index * SetDescriptor.Size;
  const field = (f: SetDescriptor): number => view.getUint32(d + f, true);
  const flags = field(SetDescriptor.Flags);
  if (!(flags & (SetFlags.Dynamic | SetFlags.Stateful)) || flags & (SetFlags.Interval | SetFlags.Concat)) return undefined;
  const keyLength = field(SetDescriptor.KeyLength);
  const dataLength = field(SetDescriptor.DataLength);
  const stride = field(SetDescriptor.Stride);
  const dataAt = field(SetDescriptor.Data);
  const table = field(SetDescriptor.Table);
  const slots = field(SetDescriptor.Mask) + 1;
  const out: LiveSetElement[] = [];
  for (let i = 0; i < slots; i++) {
    const el = view.getUint32(table + i * SetSlot.Size + SetSlot.Element, true);
    if (el === 0) continue;
    const elementFlags = view.getUint32(el, true);
    if (elementFlags & SetElementFlag.Deleted) continue;
    const element: LiveSetElement = { key: new Uint8Array(memory.slice(el + 4, el + 4 + keyLength)) };
    if (dataLength) element.data = new Uint8Array(memory.slice(el + dataAt, el + dataAt + dataLength));
    if (elementFlags & SetElementFlag.Dynamic) {
      const expires = view.getBigUint64(el + stride + DynamicElementTail.Expires, true);
      if (expires !== 0n && expires <= now) continue;
      if (expires !== 0n) element.expiresMs = (expires - now) / NS_PER_MS;
      element.state = new Uint8Array(memory.slice(el + stride + DynamicElementTail.State, el + stride + DynamicElementTail.Size));
      const timeout = view.getBigUint64(el + stride + DynamicElementTail.Timeout, true);
      if (timeout !== 0n) element.timeoutMs = timeout;
      if (flags & SetFlags.Counted) {
        const at = el + stride + DynamicElementTail.State;
        element.counter = { packets: view.getBigUint64(at, true), bytes: view.getBigUint64(at + 8, true) };
      }
    }
    out.push(element);
  }
  return out;
}
