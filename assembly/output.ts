// The capture files of what a run accepts (-w) and drops (--dropped),
// written by the data plane itself: each packet's record goes into its
// class's region of memory as it is decided, and the host writes the
// regions out whole after every batch. Byte for byte what the host's own
// pcap and pcapng writers produce.
import { OutputFormat, OUTPUT_SNAPLEN } from './abi';

const CLASSES = 2;
// Link types a pcapng file may describe an interface for.
const MAX_INTERFACES = 64;
// The most a packet's record can take beside its bytes: a section header
// and an interface description before its enhanced packet block, and the
// block's padding.
const RECORD_OVERHEAD: u32 = 28 + 32 + 32 + 3;

const PCAP_MAGIC_NANOSECONDS: u32 = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER: u32 = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC: u32 = 0x1a2b3c4d;
const PCAPNG_INTERFACE: u32 = 1;
const PCAPNG_ENHANCED_PACKET: u32 = 6;
const IF_TSRESOL: u32 = 9;
const NO_LINK_TYPE: u32 = 0xffffffff;

// Per class: [format, region, capacity, position, started, file link type
// (pcap), last link type, last interface, interface count], and the link
// type of each pcapng interface.
const format = new StaticArray<u32>(CLASSES);
const region = new StaticArray<usize>(CLASSES);
const capacity = new StaticArray<u32>(CLASSES);
const position = new StaticArray<u32>(CLASSES);
const started = new StaticArray<bool>(CLASSES);
const fileLinkType = new StaticArray<u32>(CLASSES);
const lastLinkType = new StaticArray<u32>(CLASSES);
const lastInterface = new StaticArray<u32>(CLASSES);
const interfaceCount = new StaticArray<u32>(CLASSES);
const interfaces = new StaticArray<u32>(CLASSES * MAX_INTERFACES);

export let enabled = false;
// The class whose pcap file met a second link type, or -1.
export let conflict: i32 = -1;

export function outputEnable(cls: u32, fmt: u32, bytes: u32): usize {
  format[cls] = fmt;
  region[cls] = heap.alloc(<usize>bytes);
  capacity[cls] = bytes;
  position[cls] = 0;
  started[cls] = false;
  fileLinkType[cls] = NO_LINK_TYPE;
  lastLinkType[cls] = NO_LINK_TYPE;
  interfaceCount[cls] = 0;
  enabled = true;
  return region[cls];
}

export function outputLength(cls: u32): u32 { return position[cls]; }
export function outputRewind(cls: u32): void { position[cls] = 0; }
export function outputStarted(cls: u32): bool { return started[cls]; }
export function outputFileLinkType(cls: u32): u32 { return fileLinkType[cls]; }

// Whether every open region has room for a packet of caplen bytes,
// whichever it goes to.
export function roomFor(caplen: u32): bool {
  const need = RECORD_OVERHEAD + min(caplen, OUTPUT_SNAPLEN);
  for (let c: i32 = 0; c < CLASSES; c++) {
    if (format[c] != OutputFormat.Off && position[c] + need > capacity[c]) return false;
  }
  return true;
}

@inline function put32(at: usize, v: u32): void {
  store<u32>(at, v);
}

function pcapHeader(at: usize, linkType: u32): u32 {
  put32(at, PCAP_MAGIC_NANOSECONDS);
  store<u16>(at + 4, 2);
  store<u16>(at + 6, 4);
  put32(at + 8, 0);
  put32(at + 12, 0);
  put32(at + 16, OUTPUT_SNAPLEN);
  put32(at + 20, linkType);
  return 24;
}

function sectionHeader(at: usize): u32 {
  put32(at, PCAPNG_SECTION_HEADER);
  put32(at + 4, 28);
  put32(at + 8, PCAPNG_BYTE_ORDER_MAGIC);
  store<u16>(at + 12, 1);
  store<u16>(at + 14, 0);
  put32(at + 16, 0xffffffff);
  put32(at + 20, 0xffffffff);
  put32(at + 24, 28);
  return 28;
}

function interfaceBlock(at: usize, linkType: u32): u32 {
  put32(at, PCAPNG_INTERFACE);
  put32(at + 4, 32);
  store<u16>(at + 8, <u16>linkType);
  store<u16>(at + 10, 0);
  put32(at + 12, OUTPUT_SNAPLEN);
  store<u16>(at + 16, <u16>IF_TSRESOL);
  store<u16>(at + 18, 1);
  put32(at + 20, 9);
  put32(at + 24, 0);
  put32(at + 28, 32);
  return 32;
}

// The interface id of linkType in class cls's pcapng file, describing it
// first when it is new.
function interfaceFor(cls: i32, linkType: u32, at: usize): u32 {
  let written: u32 = 0;
  const n = interfaceCount[cls];
  let id: u32 = n;
  for (let i: u32 = 0; i < n; i++) {
    if (interfaces[cls * MAX_INTERFACES + i] == linkType) {
      id = i;
      break;
    }
  }
  if (id == n) {
    if (n == MAX_INTERFACES) return NO_LINK_TYPE;
    interfaces[cls * MAX_INTERFACES + n] = linkType;
    interfaceCount[cls] = n + 1;
    written = interfaceBlock(at, linkType);
  }
  lastLinkType[cls] = linkType;
  lastInterface[cls] = id;
  position[cls] += written;
  return id;
}

// Appends the packet's record to its class's file; false when a pcap file
// meets a second link type (the packet is not written).
export function outputPacket(cls: i32, linkType: u32, data: usize, caplen: u32, origLen: u32, timeNs: u64): bool {
  const fmt = format[cls];
  if (fmt == OutputFormat.Off) return true;
  const len = min(caplen, OUTPUT_SNAPLEN);
  const orig = max(origLen, len);
  const base = region[cls];
  if (fmt == OutputFormat.Pcap) {
    if (!started[cls]) {
      position[cls] += pcapHeader(base + position[cls], linkType);
      fileLinkType[cls] = linkType;
      started[cls] = true;
    } else if (linkType != fileLinkType[cls]) {
      conflict = cls;
      return false;
    }
    const at = base + position[cls];
    put32(at, <u32>(timeNs / 1000000000));
    put32(at + 4, <u32>(timeNs % 1000000000));
    put32(at + 8, len);
    put32(at + 12, orig);
    memory.copy(at + 16, data, len);
    position[cls] += 16 + len;
    return true;
  }
  if (!started[cls]) {
    position[cls] += sectionHeader(base + position[cls]);
    started[cls] = true;
  }
  const id = linkType == lastLinkType[cls] ? lastInterface[cls] : interfaceFor(cls, linkType, base + position[cls]);
  if (id == NO_LINK_TYPE) {
    conflict = cls;
    return false;
  }
  const padded = (len + 3) & ~3;
  const block = 32 + padded;
  const at = base + position[cls];
  put32(at, PCAPNG_ENHANCED_PACKET);
  put32(at + 4, block);
  put32(at + 8, id);
  put32(at + 12, <u32>(timeNs >> 32));
  put32(at + 16, <u32>timeNs);
  put32(at + 20, len);
  put32(at + 24, orig);
  memory.copy(at + 28, data, len);
  memory.fill(at + 28 + len, 0, padded - len);
  put32(at + block - 4, block);
  position[cls] += block;
  return true;
}
