// The capture files of what a run accepts (-w) and drops (--dropped),
// written by the data plane itself: each packet's record goes into its
// class's region of memory as it is decided, and the host writes the
// regions out whole after every batch. Byte for byte what the host's own
// pcap and pcapng writers produce.
import { DeviceEntry, OutputFormat, OUTPUT_SNAPLEN } from './abi';

const CLASSES = 2;
// Interfaces (a link type, and the device packets leave by when the run
// knows it) a pcapng file may describe.
const MAX_INTERFACES = 64;
const IFNAMSIZ: u32 = 16;
// The most a packet's record can take beside its bytes: a section header
// and an interface description (its if_name option included) before its
// enhanced packet block, and the block's padding.
const RECORD_OVERHEAD: u32 = 28 + 32 + 4 + IFNAMSIZ + 32 + 3;

const PCAP_MAGIC_NANOSECONDS: u32 = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER: u32 = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC: u32 = 0x1a2b3c4d;
const PCAPNG_INTERFACE: u32 = 1;
const PCAPNG_ENHANCED_PACKET: u32 = 6;
const IF_NAME: u32 = 2;
const IF_TSRESOL: u32 = 9;
const NO_LINK_TYPE: u32 = 0xffffffff;

// Per class: [format, region, capacity, position, started, file link type
// (pcap), last link type and device, last interface, interface count], and
// the link type and device index of each pcapng interface. The functions of
// the packet path read them unchecked: the batch loop gives them a class
// below CLASSES, and a checked read is a call per field per packet.
const format = new StaticArray<u32>(CLASSES);
const region = new StaticArray<usize>(CLASSES);
const capacity = new StaticArray<u32>(CLASSES);
const position = new StaticArray<u32>(CLASSES);
const started = new StaticArray<bool>(CLASSES);
const fileLinkType = new StaticArray<u32>(CLASSES);
const lastLinkType = new StaticArray<u32>(CLASSES);
const lastDevice = new StaticArray<u32>(CLASSES);
const lastInterface = new StaticArray<u32>(CLASSES);
const interfaceCount = new StaticArray<u32>(CLASSES);
const interfaces = new StaticArray<u32>(CLASSES * MAX_INTERFACES);
const interfaceDevices = new StaticArray<u32>(CLASSES * MAX_INTERFACES);

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
    if (unchecked(format[c]) != OutputFormat.Off && unchecked(position[c]) + need > unchecked(capacity[c])) return false;
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

// An interface description; device (a DeviceEntry, or 0) gives its name.
function interfaceBlock(at: usize, linkType: u32, device: usize): u32 {
  let nameLen: u32 = 0;
  if (device != 0) while (nameLen < IFNAMSIZ && load<u8>(device + DeviceEntry.Name + nameLen) != 0) nameLen++;
  const nameOption: u32 = nameLen == 0 ? 0 : 4 + ((nameLen + 3) & ~3);
  const block = 32 + nameOption;
  put32(at, PCAPNG_INTERFACE);
  put32(at + 4, block);
  store<u16>(at + 8, <u16>linkType);
  store<u16>(at + 10, 0);
  put32(at + 12, OUTPUT_SNAPLEN);
  let o = at + 16;
  if (nameLen != 0) {
    store<u16>(o, <u16>IF_NAME);
    store<u16>(o + 2, <u16>nameLen);
    memory.fill(o + 4, 0, nameOption - 4);
    memory.copy(o + 4, device + DeviceEntry.Name, nameLen);
    o += nameOption;
  }
  store<u16>(o, <u16>IF_TSRESOL);
  store<u16>(o + 2, 1);
  put32(o + 4, 9);
  put32(o + 8, 0);
  put32(o + 12, block);
  return block;
}

// The interface id of linkType (and the device, when known) in class
// cls's pcapng file, describing it first when it is new.
function interfaceFor(cls: i32, linkType: u32, device: usize, at: usize): u32 {
  const index: u32 = device != 0 ? load<u32>(device + DeviceEntry.Index) : 0;
  let written: u32 = 0;
  const n = unchecked(interfaceCount[cls]);
  let id: u32 = n;
  for (let i: u32 = 0; i < n; i++) {
    if (unchecked(interfaces[cls * MAX_INTERFACES + i]) == linkType && unchecked(interfaceDevices[cls * MAX_INTERFACES + i]) == index) {
      id = i;
      break;
    }
  }
  if (id == n) {
    if (n == MAX_INTERFACES) return NO_LINK_TYPE;
    unchecked(interfaces[cls * MAX_INTERFACES + n] = linkType);
    unchecked(interfaceDevices[cls * MAX_INTERFACES + n] = index);
    unchecked(interfaceCount[cls] = n + 1);
    written = interfaceBlock(at, linkType, device);
  }
  unchecked(lastLinkType[cls] = linkType);
  unchecked(lastDevice[cls] = index);
  unchecked(lastInterface[cls] = id);
  unchecked(position[cls] = position[cls] + written);
  return id;
}

// Appends the packet's record to its class's file; false when a pcap file
// meets a second link type (the packet is not written). A pcapng file
// describes an interface per link type and output device (a DeviceEntry,
// 0 for a packet that leaves by none the run knows).
export function outputPacket(cls: i32, linkType: u32, device: usize, data: usize, caplen: u32, origLen: u32, timeNs: u64): bool {
  const fmt = unchecked(format[cls]);
  if (fmt == OutputFormat.Off) return true;
  const len = min(caplen, OUTPUT_SNAPLEN);
  const orig = max(origLen, len);
  const base = unchecked(region[cls]);
  if (fmt == OutputFormat.Pcap) {
    if (!unchecked(started[cls])) {
      unchecked(position[cls] = position[cls] + pcapHeader(base + position[cls], linkType));
      unchecked(fileLinkType[cls] = linkType);
      unchecked(started[cls] = true);
    } else if (linkType != unchecked(fileLinkType[cls])) {
      conflict = cls;
      return false;
    }
    const at = base + unchecked(position[cls]);
    put32(at, <u32>(timeNs / 1000000000));
    put32(at + 4, <u32>(timeNs % 1000000000));
    put32(at + 8, len);
    put32(at + 12, orig);
    memory.copy(at + 16, data, len);
    unchecked(position[cls] = position[cls] + 16 + len);
    return true;
  }
  if (!unchecked(started[cls])) {
    unchecked(position[cls] = position[cls] + sectionHeader(base + position[cls]));
    unchecked(started[cls] = true);
  }
  const index: u32 = device != 0 ? load<u32>(device + DeviceEntry.Index) : 0;
  const id = linkType == unchecked(lastLinkType[cls]) && index == unchecked(lastDevice[cls]) ? unchecked(lastInterface[cls]) : interfaceFor(cls, linkType, device, base + unchecked(position[cls]));
  if (id == NO_LINK_TYPE) {
    conflict = cls;
    return false;
  }
  const padded = (len + 3) & ~3;
  const block = 32 + padded;
  const at = base + unchecked(position[cls]);
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
  unchecked(position[cls] = position[cls] + block);
  return true;
}
