// Run configuration written by the host before the first packet: conntrack
// tunables (sysctl values) and the addresses that count as local.
import { Tunable } from './abi';

export const MAX_LOCAL_ADDRESSES: i32 = 64;

// Tunable.Count u32 values.
export let tunables: usize = 0;
// Local addresses: a count, then entries of 20 bytes: u32 family (4 or 6),
// 16 bytes of address (IPv4 in the first four).
export let localAddresses: usize = 0;

export function configInit(): void {
  tunables = heap.alloc(<usize>Tunable.Count * 4);
  memory.fill(tunables, 0, <usize>Tunable.Count * 4);
  localAddresses = heap.alloc(4 + <usize>MAX_LOCAL_ADDRESSES * 20);
  store<u32>(localAddresses, 0);
}

@inline export function tunable(t: Tunable): u32 {
  return load<u32>(tunables + (<usize>t << 2));
}

// Whether the address at addr (4 or 16 bytes) is one of the local ones.
export function isLocal(family: u32, addr: usize): bool {
  const n = load<u32>(localAddresses);
  let p = localAddresses + 4;
  for (let i: u32 = 0; i < n; i++, p += 20) {
    if (load<u32>(p) != family) continue;
    if (family == 4) {
      if (load<u32>(p + 4) == load<u32>(addr)) return true;
    } else if (load<u64>(p + 4) == load<u64>(addr) && load<u64>(p + 12) == load<u64>(addr + 8)) {
      return true;
    }
  }
  return false;
}

export function hasLocalAddresses(): bool {
  return load<u32>(localAddresses) != 0;
}

// Whether the host has joined the group at addr, as every interface does
// (ip_mc_up, ipv6_add_dev, addrconf_join_solicit): IPv4 all-hosts, IPv6
// all-nodes and the solicited-node group of each local IPv6 address; the
// limited broadcast address is received as well.
export function joinedGroup(family: u32, addr: usize): bool {
  if (family == 4) {
    const d = load<u32>(addr);
    return d == 0x010000e0 || d == 0xffffffff;
  }
  const high = load<u64>(addr);
  const low = load<u64>(addr + 8);
  if (high != 0x02ff) return false;
  if (low == 0x0100000000000000) return true;
  // ff02::1:ffXX:XXXX, the low 24 bits of a local address.
  if ((low & 0xffffffff) != 0x01000000 || load<u8>(addr + 12) != 0xff) return false;
  const n = load<u32>(localAddresses);
  let p = localAddresses + 4;
  for (let i: u32 = 0; i < n; i++, p += 20) {
    if (load<u32>(p) != 6) continue;
    if (load<u8>(p + 17) == load<u8>(addr + 13) && load<u16>(p + 18) == load<u16>(addr + 14)) return true;
  }
  return false;
}
