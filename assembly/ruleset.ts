// Access to the loaded ruleset image (layout in abi.ts and docs/bytecode.md).
import { validateImage } from './validate';
import { RulesetHeader, ChainEntry, CounterStart, Hook, RulesetFlags, ObjectEntry } from './abi';
import { setsLoad } from './sets';

export let image: usize = 0;
export let imageLength: u32 = 0;
export let code: usize = 0;
export let chainTable: usize = 0;
export let hookTable: usize = 0;
export let setTable: usize = 0;
export let flags: u32 = 0;
export let counters: usize = 0;
export let counterCount: u32 = 0;
export let objectTable: usize = 0;
export let objectCount: u32 = 0;
// 16-byte state slots of limits and quotas.
let states: usize = 0;

@inline function header(f: RulesetHeader): u32 {
  return load<u32>(image + (<usize>f << 2));
}

// Space for the host to copy an image of len bytes into.
export function rulesetReserve(len: u32): usize {
  image = heap.alloc(<usize>len);
  imageLength = len;
  return image;
}

// Validates the copied image, then loads it; returns 0 or the negative of
// an ImageError (validate.ts says where).
export function rulesetLoad(): i32 {
  const r = validateImage(image, imageLength);
  if (r != 0) return r;
  flags = header(RulesetHeader.Flags);
  code = image + header(RulesetHeader.CodeOffset);
  chainTable = image + header(RulesetHeader.ChainTableOffset);
  hookTable = image + header(RulesetHeader.HookTableOffset);
  setTable = image + header(RulesetHeader.SetTableOffset);
  setsLoad(image, setTable, header(RulesetHeader.SetCount));
  counterCount = header(RulesetHeader.CounterCount);
  objectTable = image + header(RulesetHeader.ObjectTableOffset);
  objectCount = header(RulesetHeader.ObjectCount);
  counters = heap.alloc(<usize>counterCount * 16 + 16);
  memory.fill(counters, 0, <usize>counterCount * 16 + 16);
  const slots = <usize>header(RulesetHeader.StateSlots) << 4;
  states = heap.alloc(slots + 16);
  memory.fill(states, 0, slots + 16);
  const starts = image + header(RulesetHeader.CounterStartOffset);
  for (let i: u32 = 0; i < header(RulesetHeader.CounterStartCount); i++) {
    const s = starts + <usize>i * (<usize>CounterStart.Words << 2);
    const index = load<u32>(s + (<usize>CounterStart.Index << 2));
    const c = counters + (<usize>index << 4);
    store<u64>(c, load<u64>(s + (<usize>CounterStart.Packets << 2)));
    store<u64>(c + 8, load<u64>(s + (<usize>CounterStart.Bytes << 2)));
  }
  return 0;
}

export function statesBuffer(): usize {
  return states;
}

@inline export function state(slot: u32): usize {
  return states + (<usize>slot << 4);
}

@inline export function usesConntrack(): bool {
  return (flags & RulesetFlags.Conntrack) != 0;
}

@inline export function usesAccounting(): bool {
  return (flags & RulesetFlags.Accounting) != 0;
}

@inline export function chainEntry(chain: u32): usize {
  return chainTable + <usize>chain * (<usize>ChainEntry.Words << 2);
}

// The (priority, chain) list of a hook for an address family (0 IPv4, 1 IPv6).
@inline export function hookSlot(family: i32, hook: Hook): usize {
  return hookTable + (<usize>(family * <i32>Hook.Count + <i32>hook) << 3);
}

// The object table entry of object index (named counters, ct helpers ...).
@inline export function objectEntry(index: u32): usize {
  return objectTable + <usize>index * (<usize>ObjectEntry.Words << 2);
}
