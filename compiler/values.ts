// Parsing value text by datatype, and turning numbers into register bytes.
import type { Expr } from './ast.js';
import { NftError } from './errors.js';
import { LOOPBACK_ONLY, symbolValue, type AccountNames, type CgroupTree, type InterfaceName, TYPES, type ByteOrder, type Datatype } from './datatypes.js';

export function parseNumber(text: string): bigint | undefined {
  if (/^0x[0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^\d+$/.test(text)) return BigInt(text);
  return undefined;
}

export function parseIpv4(text: string): bigint | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return undefined;
    v = v * 256 + b;
  }
  return BigInt(v);
}

// nft resolves IPv4 addresses with getaddrinfo, which also takes the
// inet_aton forms: one to four parts, each decimal, 0x hex or 0 octal, the
// last filling the remaining bytes ("1" is 0.0.0.1, "0xffff0000" 255.255.0.0).
function parseInetAton(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const nums: bigint[] = [];
  for (const p of parts) {
    if (/^0x[0-9a-fA-F]+$/.test(p)) nums.push(BigInt(p));
    else if (/^0[0-7]*$/.test(p)) nums.push(BigInt('0o' + (p.slice(1) || '0')));
    else if (/^[1-9]\d*$/.test(p)) nums.push(BigInt(p));
    else return undefined;
  }
  const lastBits = BigInt(8 * (5 - nums.length));
  let v = 0n;
  for (let i = 0; i < nums.length - 1; i++) {
    if (nums[i] > 255n) return undefined;
    v |= nums[i] << BigInt(8 * (3 - i));
  }
  const last = nums[nums.length - 1];
  if (last >= 1n << lastBits) return undefined;
  return v | last;
}

export function parseIpv6(text: string): bigint | undefined {
  if (!text.includes(':')) return undefined;
  let tail: number[] = [];
  let body = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const a = parseIpv4(v4[1]);
    if (a === undefined) return undefined;
    tail = [Number(a >> 16n), Number(a & 0xffffn)];
    body = text.slice(0, -v4[1].length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const total = head.length + rest.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const words = [...head.map((g) => parseInt(g, 16)), ...Array<number>(8 - total).fill(0), ...rest.map((g) => parseInt(g, 16)), ...tail];
  // Two groups at a time fit a double exactly: four BigInt steps, not eight.
  let v = 0n;
  for (let i = 0; i < 8; i += 2) v = (v << 32n) | BigInt(words[i] * 0x10000 + words[i + 1]);
  return v;
}

const TIME_UNITS: Record<string, bigint> = { d: 86400000n, h: 3600000n, m: 60000n, s: 1000n, ms: 1n };

// Relative times in milliseconds; a bare number means seconds.
export function parseTime(text: string): bigint | undefined {
  if (/^\d+$/.test(text)) return BigInt(text) * 1000n;
  if (!/^(\d+(ms|d|h|m|s))+$/.test(text)) return undefined;
  let total = 0n;
  for (const m of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) total += BigInt(m[1]) * TIME_UNITS[m[2]];
  return total;
}

function parseEther(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(text)) return undefined;
  return text.split(':').reduce((acc, g) => (acc << 8n) | BigInt('0x' + g), 0n);
}

// inet_service_type_parse and inet_protocol_type_parse in nft's datatype.c.
const OUT_OF_RANGE: Record<string, { max: bigint; message: string }> = {
  inet_service: { max: 0xffffn, message: 'Service out of range' },
  inet_proto: { max: 0xffn, message: 'Protocol out of range' },
};

// "YYYY-MM-DD[ HH:MM[:SS]]" in the local time zone (nft's date_type_parse),
// in seconds since the epoch.
function parseLocalDate(text: string): bigint | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/.exec(text);
  if (!m) return undefined;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)).getTime();
  return Number.isNaN(t) ? undefined : BigInt(Math.floor(t / 1000));
}

export const TC_H_ROOT = 0xffffffffn;

// Parses a value written in the source as a number of the given datatype.
// Strings (helper names, interface names) keep their text: see stringValue.
export function parseValue(type: Datatype, bits: number, e: Expr & { kind: 'value' }, interfaces: readonly InterfaceName[] = LOOPBACK_ONLY, accounts?: AccountNames, services?: ReadonlyMap<string, number>, cgroups?: CgroupTree): bigint {
  // Addresses and services that do not parse go to the resolver, whose
  // failure nft reports.
  const fail = (): never => {
    // An address of the other family resolves, to the wrong family.
    if (type.print === 'ipv4' && parseIpv6(e.text) !== undefined) throw NftError.at(e.loc, 'Could not resolve hostname: Address family for hostname not supported');
    if (type.print === 'ipv6' && parseIpv4(e.text) !== undefined) throw NftError.at(e.loc, 'Could not resolve hostname: Address family for hostname not supported');
    if (type.print === 'ipv4' || type.print === 'ipv6') throw NftError.at(e.loc, 'Could not resolve hostname: Name or service not known');
    if (type.print === 'service') throw NftError.at(e.loc, 'Could not resolve service: Servname not supported for ai_socktype');
    throw NftError.at(e.loc, `Could not parse ${type.desc}`);
  };
  const text = e.text;
  let v: bigint | undefined;
  switch (type.print) {
    case 'ipv4': v = parseIpv4(text) ?? parseInetAton(text); break;
    case 'ipv6': v = parseIpv6(text); break;
    case 'ether': v = parseEther(text); break;
    case 'time': v = parseTime(text); break;
    case 'string': return stringValue(e, bits);
    // An interface by its name, or by its index as a number.
    case 'iface': {
      const known = interfaces.find((d) => d.name === text)?.index;
      v = known !== undefined ? BigInt(known) : parseNumber(text);
      if (v === undefined) throw NftError.at(e.loc, 'Interface does not exist');
      break;
    }
    case 'date': {
      const d = parseLocalDate(text);
      if (d !== undefined) return d * 1_000_000_000n;
      v = parseNumber(text);
      if (v === undefined) throw NftError.at(e.loc, `Cannot parse date`);
      return v * 1_000_000_000n;
    }
    case 'hour': {
      v = parseNumber(text);
      if (v !== undefined) break;
      const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 60) throw NftError.at(e.loc, `Can't parse trailing input: "${text}"\n`);
      // nft counts from midnight UTC, taking the local offset of today.
      const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
      const offset = -new Date().getTimezoneOffset() * 60;
      v = BigInt((((local - offset) % 86400) + 86400) % 86400);
      break;
    }
    // tchandle_type_parse: root, none, MAJOR:MINOR in hex, or a number.
    case 'classid': {
      if (text === 'root') return TC_H_ROOT;
      if (text === 'none') return 0n;
      const m = /^([0-9a-fA-F]{0,4}):([0-9a-fA-F]{0,4})$/.exec(text);
      v = m ? (BigInt(`0x0${m[1]}`) << 16n) | BigInt(`0x0${m[2]}`) : parseNumber(text);
      break;
    }
    case 'user':
    case 'group': {
      v = parseNumber(text);
      if (v !== undefined) break;
      const id = (type.print === 'user' ? accounts?.users : accounts?.groups)?.get(text);
      if (id === undefined) throw NftError.at(e.loc, type.print === 'user' ? 'User does not exist' : 'Group does not exist');
      v = BigInt(id);
      break;
    }
    // cgroupv2_type_parse: the inode of /sys/fs/cgroup/PATH, whatever the
    // text (a number too is a path); without the host's tree nothing is there.
    case 'cgroupv2': {
      const inode = cgroups?.inode(text) ?? 'No such file or directory';
      if (typeof inode === 'string') throw NftError.at(e.loc, `cgroupv2 path fails: ${inode}`);
      return inode;
    }
    case 'label': {
      const n = parseNumber(text);
      if (n === undefined) fail();
      if (n! >= 128n) throw NftError.at(e.loc, `Could not parse ${type.desc}`);
      return 1n << n!;
    }
    default: {
      const host = type.print === 'service' ? services?.get(text) : undefined;
      const s = host ?? symbolValue(type, text);
      v = s !== undefined ? BigInt(s) : parseNumber(text);
      // Ports and protocols given as numbers have checks of their own.
      if (type.name === 'day' && v !== undefined && v > 6n) throw NftError.at(e.loc, 'Day out of range (Sunday to Saturday, 0 to 6)');
      const limit = OUT_OF_RANGE[type.name];
      if (s === undefined && v !== undefined && limit && v > limit.max) throw NftError.at(e.loc, limit.message);
    }
  }
  if (v === undefined) fail();
  if (bits > 0 && bits < 128 && v! >= 1n << BigInt(bits)) {
    throw NftError.at(e.loc, `Value ${v} exceeds valid range 0-${(1n << BigInt(bits)) - 1n}`);
  }
  return v!;
}

// One encoder for every string: making one costs more than the encoding.
export const UTF8 = new TextEncoder();

// Strings live in registers as their bytes, zero-padded; we keep them as a
// little-endian number so all constants share one representation.
export function stringValue(e: Expr & { kind: 'value' }, bits: number): bigint {
  const bytes = UTF8.encode(e.text);
  if (bits && bytes.length * 8 > bits) throw NftError.at(e.loc, `String exceeds maximum length of ${bits / 8}`);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

export function toBytes(value: bigint, bits: number, byteorder: ByteOrder): Uint8Array {
  const len = Math.ceil(bits / 8);
  const out = new Uint8Array(len);
  // Most values fit a double: no BigInt is allocated per byte for them.
  if (value >= 0n && value <= 0xffffffffn) {
    let n = Number(value);
    for (let i = 0; i < len && i < 4; i++) {
      out[byteorder === 'big' ? len - 1 - i : i] = n & 0xff;
      n >>>= 8;
    }
    return out;
  }
  let v = value;
  for (let i = 0; i < len; i++) {
    const idx = byteorder === 'big' ? len - 1 - i : i;
    out[idx] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function fromBytes(bytes: Uint8Array, byteorder: ByteOrder): bigint {
  let v = 0n;
  const n = bytes.length;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(bytes[byteorder === 'big' ? i : n - 1 - i]);
  return v;
}

export { TYPES };
