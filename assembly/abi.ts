// The contract between the compiler, the host and the data plane.
//
// This file is valid TypeScript and valid AssemblyScript: the compiler and the
// host import it as TypeScript, the data plane compiles it into the WASM
// module. Every number that crosses the boundary is defined here once; the
// layouts are documented in docs/bytecode.md and docs/conntrack.md.

// ---------------------------------------------------------------------------
// Bytecode
//
// A program is a sequence of little-endian u32 words. Every instruction starts
// with a header word: bits 0-7 opcode, bits 8-15 size of the whole instruction
// in words, bits 16-23 field A, bits 24-31 field B (meaning per opcode below).
// Registers are numbered as 32-bit words of the kernel's register file:
// word 0-3 is the verdict register, words 4-19 are the sixteen data registers
// (NFT_REG_1 = word 4, NFT_REG32_00 = word 4, NFT_REG32_15 = word 19).

export enum Op {
  // A=dreg B=len in bytes; then the value padded to whole words.
  // With A=0 (verdict register): word 1 is the verdict code, word 2 the
  // target chain index for jump and goto.
  Immediate = 1,
  // A=sreg B=len; word 1 = CmpOp; then the value.
  Cmp = 2,
  // A=sreg B=len; word 1 = dreg | BitwiseOp << 8; mask words then xor words
  // (BitwiseOp.Bool), or word 2 = shift amount (Lshift, Rshift).
  Bitwise = 3,
  // A=dreg B=len; word 1 = PayloadBase | offset << 8.
  PayloadLoad = 4,
  // A=dreg B=MetaKey.
  MetaLoad = 5,
  // A=dreg B=CtKey; word 1 = CtDir (CtDir.None when no direction was given).
  CtLoad = 6,
  // word 1 = counter index.
  Counter = 7,
  // A=sreg B=len; word 1 = CmpOp (eq or neq); words 2.. = from, then to.
  Range = 8,
  // A=sreg B=dreg; word 1 = ByteorderOp | len << 8 | size << 16.
  Byteorder = 9,
  // A=sreg B=dreg (0 = no data); word 1 = set index | LookupFlags << 24.
  Lookup = 10,
  // A=sreg B=MetaKey.
  MetaSet = 11,
  // A=sreg B=CtKey; word 1 = CtDir.
  CtSet = 12,
  Notrack = 13,
  // word 1 = object type, word 2 = object index (a named quota's or
  // limit's state slot); a quota or limit goes on with the words of its own
  // instruction after word 1 (see Quota and Limit).
  Objref = 14,
  // word 1 = log object index (prefix, level, group and flags live in the
  // host, which writes what the data plane records, assembly/log.ts).
  Log = 15,
  // A=sreg; word 1 = limit, word 2 = flags (1 = over).
  Connlimit = 16,
  // A=sreg (the key) B=sreg of a map's data (0 = none); word 1 = set
  // index | DynsetOp << 24; words 2-3 =
  // timeout of the elements it adds or updates in milliseconds (u64, 0 =
  // none); word 4 = DynsetWord bits.
  Dynset = 17,
  // A=sreg B=len; word 1 = PayloadBase | offset << 8; word 2 = checksum
  // type (CSUM_INET or 0) | checksum offset in the header << 8 |
  // CSUM_PSEUDOHDR << 16 when the transport checksum covers the bytes too.
  PayloadWrite = 18,
  // word 1 = state slot | LimitFlags << 24; words 2-3 = rate (u64, packets
  // or bytes per unit); word 4 = unit in seconds; word 5 = burst (packets,
  // or bytes). A token bucket over packet timestamps (assembly/limit.ts).
  Limit = 19,
  // word 1 = state slot | QuotaFlags << 24; words 2-3 = quota in bytes
  // (u64); words 4-5 = bytes already used when the ruleset loads (u64).
  Quota = 20,
  // word 1 = RejectType | code << 8. The packet is dropped; the kernel's
  // answer to its sender (an ICMP error or a TCP reset) is not made.
  Reject = 21,
  // A=sreg of the queue number (0: word 1's); word 1 = first queue
  // number | queue count << 16; word 2 = QueueFlags.
  // nft_queue: the packet goes to a userspace listener. Offline there is
  // none, so, as nf_queue answers -ESRCH, it is dropped, or with
  // QueueFlags.Bypass goes on as this hook's chain had accepted it.
  Queue = 22,
  // A=reg (dreg of a load, sreg of a write) B=len; word 1 = ExthdrMode |
  // ExthdrOp << 8 | ExthdrFlags << 16; word 2 = option type | offset << 8.
  // The option's bytes at offset from its start (nft_exthdr.c).
  Exthdr = 40,
  // A=sreg (the key); word 1 = set index, word 2 = object type. The
  // element found holds the object's index (as Objref's word 2); no
  // element ends the rule. For quotas and limits, word 3 = their count,
  // then for each the words after the first of its own instruction (see
  // Quota and Limit), which the element's data numbers from 0.
  ObjrefMap = 23,
  // A=NatType B=nfproto of the addresses (1 inet: none given, 2, 10);
  // word 1 = the words of addr_min | addr_max << 8 | proto_min << 16 |
  // proto_max << 24 (0: none); word 2 = NatFlags. Register words as
  // elsewhere; the binding it makes lives in the conntrack entry (CtNat).
  Nat = 24,
  // A=dreg B=FibResult; word 1 = FibFlags. The route lookup of nft_fib
  // over the host's routing model (assembly/fib.ts).
  Fib = 25,
  // A=dreg B=RtKey. What the packet's route says (nft_rt.c); no route
  // (prerouting) ends the rule.
  Rt = 26,
  // A=dreg B=NumgenType; word 1 = modulus, word 2 = offset, word 3 = the
  // state slot of an incremental generator's counter.
  Numgen = 27,
  // A=dreg B=HashType; word 1 = sreg | key length in bytes << 8 |
  // HASH_F_SEED << 16 when the seed was given; word 2 = modulus, word 3 =
  // seed, word 4 = offset.
  Hash = 28,
  // A=dreg B=SocketKey. The packet's socket (nft_socket.c): offline there
  // is none, and the rule ends.
  Socket = 29,
  // A=dreg B=XfrmKey; word 1 = direction (0 in, 1 out) | spnum << 8. The
  // packet's IPsec state (nft_xfrm.c): offline there is none, and the rule
  // ends.
  Xfrm = 30,
  // A=dreg; word 1 = OSF ttl mode | NFT_OSF_F_VERSION << 8. The OS of a
  // TCP SYN (nft_osf.c): with no fingerprint loaded, "unknown".
  Osf = 31,
  // A=sreg of the address (0 = none) B=sreg of the device's index (0 =
  // none). nft_dup_ipv4/ipv6/netdev: a copy of the packet goes out.
  Dup = 50,
  // A=sreg of the device's index B=sreg of the next hop's address (0 =
  // none); word 1 = its nfproto. nft_fwd_netdev: the packet leaves by the
  // device and is stolen from the hooks.
  Fwd = 51,
  // A=sreg of the address (0 = none) B=sreg of the port (0 = none); word 1
  // = nfproto (0: the packet's own). nft_tproxy: the packet is given the
  // transparent socket found for it, established or listening on the
  // address and port; offline there is none, and the rule ends.
  Tproxy = 52,
  // word 1 = mss | wscale << 16 | SynproxyFlags << 24. nft_synproxy.
  Synproxy = 53,
  // word 1 = flowtable index. nft_flow_offload.
  FlowOffload = 54,
}

// A Dynset's word 4.
export enum DynsetWord {
  // The statement gave the timeout (it is not the set's).
  OwnTimeout = 1,
  // Bits DYNSET_EXPRS_SHIFT on: how many of the next instructions
  // (Counter, Limit, Quota or Connlimit) are statements each element keeps
  // its own state of (a meter's one), in its DynamicElementTail.State, one
  // DynamicElementTail.StateSize after the other; the host refuses a ct
  // count there.
  Exprs = 6,
}

export const DYNSET_EXPRS_SHIFT = 1;
// NFT_SET_EXPR_MAX: the statements a set element keeps at most.
export const DYNSET_MAX_EXPRS = 2;

// NF_SYNPROXY_OPT_*: which of the statement's options were given.
export enum SynproxyFlags {
  Mss = 0x1,
  Wscale = 0x2,
  SackPerm = 0x4,
  Timestamp = 0x8,
}

// NFT_SOCKET_* and NFT_XFRM_KEY_* (nf_tables.h).
export enum SocketKey {
  Transparent = 0,
  Mark = 1,
  Wildcard = 2,
  // The id (inode) of the socket's cgroup at the rule's level, 8 bytes.
  Cgroupv2 = 3,
}
export enum XfrmKey {
  Daddr4 = 1,
  Daddr6 = 2,
  Saddr4 = 3,
  Saddr6 = 4,
  Reqid = 5,
  Spi = 6,
}
// What nft_osf loads when no fingerprint matches, NUL-padded.
export const OSF_GENRE_LEN = 16;

// NFT_FIB_RESULT_* and NFTA_FIB_F_* (nf_tables.h).
export enum FibResult {
  Oif = 1,
  Oifname = 2,
  Addrtype = 3,
}
export enum FibFlags {
  Saddr = 1,
  Daddr = 2,
  Mark = 4,
  Iif = 8,
  Oif = 16,
  Present = 32,
}

// NFT_RT_* (nf_tables.h).
export enum RtKey {
  Classid = 0,
  Nexthop4 = 1,
  Nexthop6 = 2,
  Tcpmss = 3,
  Xfrm = 4,
}

// NFT_NG_* and NFT_HASH_* (nf_tables.h).
export enum NumgenType {
  Inc = 0,
  Random = 1,
}
export enum HashType {
  Jenkins = 0,
  Sym = 1,
}
export const HASH_F_SEED = 1;

export enum NatType {
  Snat = 0,
  Dnat = 1,
  Masquerade = 2,
  Redirect = 3,
}

// The kernel's NF_NAT_RANGE_* bits.
export enum NatFlags {
  MapIps = 0x1,
  ProtoSpecified = 0x2,
  ProtoRandom = 0x4,
  Persistent = 0x8,
  ProtoRandomFully = 0x10,
  Netmap = 0x40,
}

// nf_nat's hooks: destination NAT at -100 on prerouting and output, source
// NAT at 100 on postrouting and input. The nat chains of a hook all run
// there, in their own priority order (nf_nat_register_fn).
export const PRIORITY_NAT_DST = -100;
export const PRIORITY_NAT_SRC = 100;
// Set in a hook entry's chain word for a chain of type nat.
export const HOOK_NAT_CHAIN = 0x80000000;
// Set in a netdev ingress entry's chain word for an inet ingress chain, which
// the kernel registers on the device's ingress hook beside the netdev
// chains but runs only for IPv4 and IPv6 (nft_do_chain_inet_ingress).
export const HOOK_INET_CHAIN = 0x40000000;

// NFT_QUEUE_FLAG_*.
export enum QueueFlags {
  Bypass = 1,
  Fanout = 2,
}

export enum ExthdrMode {
  Load = 0,
  Write = 1,
  // Overwrite the option with NOPs.
  Reset = 2,
}

// NFT_EXTHDR_OP_*: which header's options.
export enum ExthdrOp {
  Ipv6 = 0,
  TcpOpt = 1,
  Ipv4 = 2,
  Sctp = 3,
}

// NFT_EXTHDR_F_PRESENT: a load gives whether the option is there.
export const EXTHDR_F_PRESENT = 1;

// nft_reject_types: what `reject` answers with.
export enum RejectType {
  IcmpUnreach = 0,
  TcpRst = 1,
  IcmpxUnreach = 2,
}

export enum LimitFlags {
  // `limit rate over`: the rule goes on while the rate is exceeded.
  Over = 1,
  Bytes = 2,
}

export enum QuotaFlags {
  Over = 1,
}

// The kernel's NFT_PAYLOAD_CSUM_INET and NFT_PAYLOAD_L4CSUM_PSEUDOHDR.
export const CSUM_INET = 1;
export const CSUM_PSEUDOHDR = 1;

// Verdict codes, as the kernel numbers them (NF_DROP, NF_ACCEPT, NFT_*).
export enum Verdict {
  Drop = 0,
  Accept = 1,
  Queue = 3,
  Continue = -1,
  Break = -2,
  Jump = -3,
  Goto = -4,
  Return = -5,
}

export enum CmpOp {
  Eq = 0,
  Neq = 1,
  Lt = 2,
  Lte = 3,
  Gt = 4,
  Gte = 5,
}

export enum BitwiseOp {
  Bool = 0,
  Lshift = 1,
  Rshift = 2,
}

export enum ByteorderOp {
  Ntoh = 0,
  Hton = 1,
}

export enum LookupFlags {
  Invert = 1,
}

export enum PayloadBase {
  LinkLayer = 0,
  Network = 1,
  Transport = 2,
  Inner = 3,
}

// Values of NFT_META_* that the data plane implements.
export enum MetaKey {
  Len = 0,
  Protocol = 1,
  Priority = 2,
  Mark = 3,
  Iif = 4,
  Oif = 5,
  Iifname = 6,
  Oifname = 7,
  Iiftype = 8,
  Oiftype = 9,
  Skuid = 10,
  Skgid = 11,
  Nftrace = 12,
  Rtclassid = 13,
  Secmark = 14,
  Nfproto = 15,
  L4proto = 16,
  BriIifname = 17,
  BriOifname = 18,
  Pkttype = 19,
  Cpu = 20,
  Iifgroup = 21,
  Oifgroup = 22,
  Cgroup = 23,
  Prandom = 24,
  Secpath = 25,
  Iifkind = 26,
  Oifkind = 27,
  BriIifpvid = 28,
  BriIifvproto = 29,
  TimeNs = 30,
  TimeDay = 31,
  TimeHour = 32,
  Sdif = 33,
  Sdifname = 34,
}

// The host's network devices and routes (`ip -j addr`, `ip -j route show
// table all`), written by the host before the first packet: each table is a
// u32 count followed by its entries.
export const IFNAMSIZ = 16;
export const MAX_DEVICES = 256;
export enum DeviceEntry {
  Index = 0,
  // ARPHRD_* type, as meta iiftype loads it.
  Type = 4,
  Group = 8,
  // IFNAMSIZ bytes each, NUL-padded; an empty kind when the link has none.
  Name = 12,
  Kind = 28,
  // The addresses NAT takes from the device: its primary IPv4 address
  // (masquerade's inet_select_addr, redirect's first address), its first
  // IPv6 address; u8 Has: 1 an IPv4 one, 2 an IPv6 one.
  Addr4 = 44,
  Addr6 = 48,
  Has = 64,
  // Its MTU, 0 when not given.
  Mtu = 68,
  Size = 72,
}
export const MAX_ROUTES = 1024;
export enum RouteEntry {
  Family = 0,
  PrefixLen = 1,
  // An RTN_* value.
  Type = 2,
  // Routing table id (local 255, main 254, default 253).
  Table = 4,
  // The device's index; 0 for routes without one (blackhole, unreachable).
  Oif = 8,
  // 16 bytes, IPv4 in the first four.
  Dst = 12,
  // 16 bytes, IPv4 in the first four; all zero for a route without one.
  Gateway = 28,
  // The route's own mtu metric, or 0 for its device's.
  Mtu = 44,
  Size = 48,
}
// Values of RTN_* (rtnetlink.h).
export enum RouteType {
  Unicast = 1,
  Local = 2,
  Broadcast = 3,
  Anycast = 4,
  Multicast = 5,
  Blackhole = 6,
  Unreachable = 7,
  Prohibit = 8,
  Throw = 9,
  Nat = 10,
}

// Values of NFT_CT_* (the kernel's key numbers).
export enum CtKey {
  State = 0,
  Direction = 1,
  Status = 2,
  Mark = 3,
  Secmark = 4,
  Expiration = 5,
  Helper = 6,
  L3protocol = 7,
  Src = 8,
  Dst = 9,
  Protocol = 10,
  ProtoSrc = 11,
  ProtoDst = 12,
  Labels = 13,
  Pkts = 14,
  Bytes = 15,
  Avgpkt = 16,
  Zone = 17,
  Eventmask = 18,
  SrcIp = 19,
  DstIp = 20,
  SrcIp6 = 21,
  DstIp6 = 22,
  Id = 23,
}

export enum CtDir {
  Original = 0,
  Reply = 1,
  None = 255,
}

// ---------------------------------------------------------------------------
// Ruleset image: what the compiler encodes and the data plane loads.
//
// Header, u32 words at byte offset 4*i:
export enum RulesetHeader {
  Magic = 0,
  Version = 1,
  Flags = 2,
  ChainCount = 3,
  ChainTableOffset = 4,
  HookTableOffset = 5,
  CounterCount = 6,
  SetCount = 7,
  SetTableOffset = 8,
  CodeOffset = 9,
  CodeLength = 10,
  ObjectCount = 11,
  ObjectTableOffset = 12,
  // Counters that do not start at zero (`counter packets 5 bytes 300`):
  // how many, and where their CounterStart entries are.
  CounterStartCount = 13,
  CounterStartOffset = 14,
  // 16-byte state slots of limits and quotas, zeroed when the ruleset loads.
  StateSlots = 15,
  Words = 16,
}

// A counter's starting values, u32 words: the counter index, then packets
// and bytes as little-endian u64s.
export enum CounterStart {
  Index = 0,
  Packets = 1,
  Bytes = 3,
  Words = 5,
}

// Why the data plane refused an image (assembly/validate.ts), as the
// negative of what rulesetLoad returns; the host names each
// (src/engine.ts) with the byte offset in the image and the value at fault.
export enum ImageError {
  Truncated = 1,
  BadMagic = 2,
  BadVersion = 3,
  // A table (chains, hooks, sets, objects, counter starts, code) or a set's
  // elements do not lie inside the image.
  OutOfImage = 4,
  // A chain's rules do not lie inside the code, or a rule's size is too
  // small or runs past its chain.
  BadRule = 5,
  UnknownOpcode = 6,
  // An instruction's size is not its opcode's, or it runs past its rule.
  BadSize = 7,
  // A register and its length do not fit in the register file.
  BadRegister = 8,
  // An operand outside what the instruction takes (a key, a comparison,
  // a verdict code, a payload base, a byte order).
  BadOperand = 9,
  ChainIndex = 10,
  SetIndex = 11,
  ObjectIndex = 12,
  CounterIndex = 13,
  StateSlot = 14,
  // Jumps and gotos that come back to a chain on the way.
  ChainLoop = 15,
  // A chain reached 16 jumps or gotos deep from a base chain.
  ChainDepth = 16,
  BadPolicy = 17,
  BadSet = 18,
}

export const RULESET_MAGIC = 0x5754464e; // "NFTW"
export const RULESET_VERSION = 1;

export enum RulesetFlags {
  // The ruleset uses conntrack: the kernel only tracks when something needs it.
  Conntrack = 1,
  // ct bytes/packets/avgpkt appear: per-direction accounting is switched on.
  Accounting = 2,
  // A nat chain of the family exists: nf_nat's hooks run for it (and give
  // every connection at least a null binding).
  NatIpv4 = 4,
  NatIpv6 = 8,
}

// Chain table entry, u32 words: byte offset of the first rule in the code,
// rule count, policy verdict (Verdict.Accept/Drop, or 2 for a regular chain),
// the index of the chain's name in the host's tables (unused by the VM), and
// the NUL-padded name (IFNAMSIZ bytes) of the device a netdev or inet
// ingress/egress chain is registered on, empty for any other.
export enum ChainEntry {
  FirstRule = 0,
  RuleCount = 1,
  Policy = 2,
  Device = 4,
  Words = 8,
}

export const POLICY_NONE = 2;

// A rule's coverage record (assembly/coverage.ts), bytes: its chain index
// and handle, then u64 counts of the packets that reached it, that it
// matched, and that would have matched it had an earlier rule not decided
// them.
export enum CoverageRecord {
  Chain = 0,
  Handle = 4,
  Reached = 8,
  Matched = 16,
  Shadowed = 24,
  Size = 32,
}

// A rule in the code: word 0 = size of the rule in words including this
// header, word 1 = handle; then the instructions.
export enum RuleHeader {
  Size = 0,
  Handle = 1,
  Words = 2,
}

// Hooks in the order a packet meets them.
export enum Hook {
  Prerouting = 0,
  Input = 1,
  Forward = 2,
  Output = 3,
  Postrouting = 4,
  Count = 5,
}

// The hook table has one slot per (hook family, hook number); slot = family *
// Hook.Count + hook, the hook numbered as the family numbers it (Hook for
// IPv4 and IPv6, NetdevHook for netdev, ArpHook for arp). Each slot is two u32 words: byte
// offset of its entry list (relative to the image) and the number of
// entries. Each entry is two words: priority (i32) and chain index. Lists
// are sorted by priority in the order the kernel registers them.
export enum HookFamily {
  Ipv4 = 0,
  Ipv6 = 1,
  Netdev = 2,
  Arp = 3,
}
export const HOOK_FAMILIES = 4;

// NF_NETDEV_INGRESS and NF_NETDEV_EGRESS: a device's hooks, which netdev
// chains and inet ingress chains of that device share.
export enum NetdevHook {
  Ingress = 0,
  Egress = 1,
}

// NF_ARP_IN and NF_ARP_OUT: ARP packets the host receives (arp_rcv) and
// sends (arp_xmit).
export enum ArpHook {
  In = 0,
  Out = 1,
}

// Conntrack runs at this priority on prerouting and output; confirmation runs
// after every chain on input and postrouting.
export const PRIORITY_CONNTRACK = -200;

// Set table entry, u32 words.
export enum SetEntry {
  KeyLength = 0,
  DataLength = 1,
  Flags = 2,
  ElementCount = 3,
  ElementsOffset = 4,
  // The declared size, 0 when none: a dynamic set holds at most that many
  // elements, DYNSET_DEFAULT_SIZE when none was declared.
  Size = 5,
  // Concatenated interval keys: the word count less one of each field, two
  // bits per field from the lowest bits up, so a range can be checked per
  // field.
  Fields = 7,
  Words = 8,
}

// Object table entry (named counters, ct helpers ...), u32 words: the object
// type (the kernel's NFT_OBJECT_* numbers) and three arguments whose meaning
// depends on the type:
//   Counter:  arg0 = counter index
//   CtHelper: arg0 = HelperKind, arg1 = layer-4 protocol, arg2 = nfproto
//             (0 when the object does not restrict it)
export enum ObjectEntry {
  Type = 0,
  Arg0 = 1,
  Arg1 = 2,
  Arg2 = 3,
  Words = 4,
}

// A ct timeout's Objref carries, after the object index, the layer-4
// protocol and the policy: seconds for each state of the protocol in nft's
// order (TCP: syn_sent .. close, syn_sent2, retrans, unack; UDP: unreplied,
// replied), unused ones 0.
export const CT_TIMEOUT_STATES = 11;

export enum ObjectType {
  Counter = 1,
  Quota = 2,
  CtHelper = 3,
  Limit = 4,
  Connlimit = 5,
  CtTimeout = 7,
  CtExpect = 9,
  Synproxy = 10,
}

// Connection tracking helpers the data plane implements; also the value of
// a conntrack entry's Helper field (0 = none).
export enum HelperKind {
  None = 0,
  Ftp = 1,
  Tftp = 2,
}

export enum SetFlags {
  Interval = 1,
  Map = 2,
  Verdict = 4,
  // A concatenation with ranges: each element holds its first key and its
  // last key (both inclusive), then its data.
  Concat = 8,
  // Rules add elements to it (Dynset).
  Dynamic = 16,
  // Declared with `counter`: each element a rule adds counts the packets
  // that find it or add it again, in its DynamicElementTail.State.
  Counted = 32,
  // The ruleset gives its elements counters or timeouts: each element of
  // the image is flagged Dynamic and followed by a DynamicElementTail, its
  // expiry counted from the first packet.
  Stateful = 64,
}

// The kernel's size for a dynamic set declared without one.
export const DYNSET_DEFAULT_SIZE = 65535;

// The data plane's descriptor of a loaded set (setDescriptors() + set index
// * SetDescriptor.Size), u32 fields by byte offset.
export enum SetDescriptor {
  Flags = 0,
  KeyLength = 4,
  DataLength = 8,
  // The elements of the image: how many, where, and the bytes of each.
  Count = 12,
  Elements = 16,
  Stride = 20,
  // The hash table (SetSlot records), or an interval set's index.
  Table = 24,
  Mask = 28,
  Fields = 32,
  // Where an element's data starts.
  Data = 36,
  // Dynamic sets: live elements (an upper bound: expired ones count until
  // a sweep), the most there may be, occupied slots of the table.
  Live = 40,
  Limit = 44,
  Occupied = 48,
  // A small fixed set's key mask and keys, scanned instead of hashed.
  KeyMask = 52,
  Keys = 56,
  // The catch-all element, 0 when none (exact sets only).
  CatchAll = 88,
  Size = 92,
}

// A slot of a set's hash table: the key's hash, then the element's
// address (0: empty), u32 each; byte offsets.
export enum SetSlot {
  Hash = 0,
  Element = 4,
  Size = 8,
}

// An element: these flags (u32), its key, its data (Stride bytes in all).
export enum SetElementFlag {
  IntervalEnd = 1,
  Dynamic = 2,
  Deleted = 4,
  // The catch-all element (`*`): found for a key no other element has.
  CatchAll = 8,
}

// What an element a rule added carries after its Stride bytes: its expiry
// time (u64 ns of capture time, 0: never) and its timeout (u64 ms, 0:
// none); byte offsets.
export enum DynamicElementTail {
  Expires = 0,
  Timeout = 8,
  // The state of each statement the element keeps, StateSize bytes each
  // (a counter's packets and bytes, a limit's or a quota's state slot).
  State = 16,
  StateSize = 16,
  Size = 48,
}

export enum DynsetOp {
  Add = 0,
  Update = 1,
  Delete = 2,
}

// ---------------------------------------------------------------------------
// ct state bits and status bits, as the kernel defines them.
export enum CtStateBit {
  Invalid = 1,
  Established = 2,
  Related = 4,
  New = 8,
  Untracked = 64,
}

export enum CtStatus {
  Expected = 0,
  SeenReply = 1,
  Assured = 2,
  Confirmed = 3,
  Snat = 4,
  Dnat = 5,
  SeqAdjust = 6,
  SrcNatDone = 7,
  DstNatDone = 8,
  Dying = 9,
  FixedTimeout = 10,
  Template = 11,
  Untracked = 12,
  Helper = 13,
  Offload = 14,
  HwOffload = 15,
}

export enum TcpState {
  None = 0,
  SynSent = 1,
  SynRecv = 2,
  Established = 3,
  FinWait = 4,
  CloseWait = 5,
  LastAck = 6,
  TimeWait = 7,
  Close = 8,
  SynSent2 = 9,
  Max = 10,
}

// An SCTP entry's state (enum sctp_conntrack), kept in CtEntry.TcpState.
export enum SctpState {
  None = 0,
  Closed = 1,
  CookieWait = 2,
  CookieEchoed = 3,
  Established = 4,
  ShutdownSent = 5,
  ShutdownRecd = 6,
  ShutdownAckSent = 7,
  HeartbeatSent = 8,
  Max = 9,
}

// ---------------------------------------------------------------------------
// Conntrack entry layout (docs/conntrack.md). Byte offsets in an entry.
// Everything a connection needs on every packet fits these 128 bytes (two
// cache lines: the table is 64-byte aligned), the fields a lookup compares
// first; what only some connections use sits in the optional extension
// records (CtAcct, CtExt) that Extensions marks.
export enum CtEntry {
  // u8 fields
  L3proto = 0,
  L4proto = 1,
  TcpState = 2,
  InUse = 3,
  // u16 zone; u8: the directions the zone applies to (1 original, 2 reply,
  // 0 both); u8: CtExtension bits, the extension records the entry has
  Zone = 4,
  ZoneDirections = 6,
  Extensions = 7,
  // The original tuple: source address (16 bytes), destination address
  // (16 bytes), source port / ICMP id (u16, network order), destination
  // port / ICMP type<<8|code (u16, network order).
  OrigTuple = 8,
  // The reply tuple's two u16 (as the original's). Its addresses are the
  // original's swapped, unless NAT gave the entry a CtNat record.
  ReplyPorts = 44,
  // u64: expiry time in nanoseconds of capture time
  Expires = 48,
  // u32 fields
  Status = 56,
  Id = 60,
  Mark = 64,
  // u16 helper index (0 = none); u16 ct event mask set by `ct event set`
  Helper = 68,
  EventMask = 70,
  // u8 each: TCP window scale and flags of the original direction, then of
  // the reply direction
  TcpScaleOrig = 72,
  TcpFlagsOrig = 73,
  TcpScaleReply = 74,
  TcpFlagsReply = 75,
  // TCP window tracking, u32 each: td_end, td_maxend, td_maxwin of the
  // original direction, then of the reply direction; then td_maxack of the
  // original and of the reply direction.
  TcpOrig = 76,
  TcpReply = 88,
  TcpMaxackOrig = 100,
  TcpMaxackReply = 104,
  // TCP retransmission and resynchronisation memory: sequence, ack and end
  // of the last segment (u32), its raw window (u16), its direction, its
  // segment kind, the retransmission count, the window scale and option
  // flags of an ignored SYN (u8 each).
  TcpLastSeq = 108,
  TcpLastAck = 112,
  TcpLastEnd = 116,
  TcpLastWin = 120,
  TcpLastDir = 122,
  TcpLastIndex = 123,
  TcpRetrans = 124,
  TcpLastWscale = 125,
  TcpLastFlags = 126,
  Size = 128,
}

// The extension records an entry has (CtEntry.Extensions bits), as the
// kernel's nf_ct_ext: added when a feature first needs them.
export enum CtExtension {
  Acct = 1,
  Misc = 2,
  Nat = 4,
}

// NAT extension: the reply tuple's own addresses, source then destination
// (16 bytes each), for an entry whose binding changed an address.
export enum CtNat {
  ReplySrc = 0,
  ReplyDst = 16,
  Size = 32,
}

// Accounting extension (nf_conntrack_acct), u64 each: packets and bytes,
// original then reply. Byte offsets in a record.
export enum CtAcct {
  OrigPackets = 0,
  OrigBytes = 8,
  ReplyPackets = 16,
  ReplyBytes = 24,
  Size = 32,
}

export enum Tuple {
  Src = 0,
  Dst = 16,
  SrcPort = 32,
  DstPort = 34,
  Size = 36,
}

// ---------------------------------------------------------------------------
// Conntrack's statistics under the kernel's names (`conntrack -S`), u64
// each, by index.
export enum CtStat {
  Found = 0,
  New = 1,
  Invalid = 2,
  Insert = 3,
  // No room: the table was full and nothing could be dropped early.
  Drop = 4,
  EarlyDrop = 5,
  Expired = 6,
  // Of Drop, the packets whose entry found no memory (the kernel's failed
  // slab allocation, also -ENOMEM and counted as drop), not nf_conntrack_max.
  // Not one of the kernel's counters.
  OutOfMemory = 7,
  Count = 8,
}

// ---------------------------------------------------------------------------
// Running totals over the packets an instance evaluated (a sharded run's
// workers count their own), u64 each. Byte offsets.
export enum PacketTotals {
  Accepted = 0,
  Dropped = 8,
  // Packets no hook saw: not IP, malformed before the stack, held fragments.
  NotEvaluated = 16,
  // Records stamped earlier than one before them (merged captures): the
  // kernel's clock never goes back, so they are evaluated at the latest time
  // seen. Counted by the first shard only, as every shard reads every record.
  BackInTime = 24,
  // Packets conntrack found invalid for their transport checksum alone.
  BadL4Checksum = 32,
  // Records holding more bytes than their packets had (libpcap reads them,
  // tcpdump calls their headers invalid): evaluated and written as their
  // packets' own bytes. Counted by the first shard only.
  LongerThanPacket = 40,
  Size = 48,
}

// ---------------------------------------------------------------------------
// Per-packet results written by the data plane, one record per packet.
export enum PacketResult {
  // u32: byte offset of the packet's record in the input batch
  RecordOffset = 0,
  // u32: length of the whole record (header and data)
  RecordLength = 4,
  // u8: final verdict (Verdict.Accept or Verdict.Drop), u8: ct state bit,
  // u8: ct direction, u8: PacketFate
  Verdict = 8,
  CtState = 9,
  CtDirection = 10,
  Fate = 11,
  // u32: handle of the rule that decided, 0 = the chain policy
  Handle = 12,
  // u32: conntrack id, 0 = none
  CtId = 16,
  // u32: index of the chain that decided
  Chain = 20,
  // u64: timestamp in nanoseconds
  Time = 24,
  // u32 each: offset of the packet bytes in the input batch, captured and
  // original length, link type
  DataOffset = 32,
  CapturedLength = 36,
  OriginalLength = 40,
  LinkType = 44,
  Size = 48,
}

export enum PacketFate {
  // evaluated by the rules
  Filtered = 0,
  // not IP, or a link type we do not parse: no hook sees it
  NotIp = 1,
  // fails the kernel's IP header validation before any hook
  Malformed = 2,
  // held by defragmentation
  Fragment = 3,
  // sent to another host's link-layer address (a cooked capture's
  // PACKET_OTHERHOST): ip_rcv drops it before any hook
  OtherHost = 4,
  // an IPv4 header whose checksum is wrong, dropped by ip_rcv
  BadChecksum = 5,
  // From here on the packet met hooks and something other than a rule
  // dropped it. Routing after prerouting: a martian source or destination,
  // IPv4 options that do not parse or route the packet themselves, a
  // forwarded packet whose TTL or hop limit runs out.
  Martian = 6,
  BadIpOptions = 7,
  TtlExceeded = 8,
  // conntrack could not make room for a new entry
  ConntrackFull = 9,
  // a conntrack helper refused the packet
  HelperRefused = 10,
  // to a group the host has not joined: routing finds no way in
  NoRoute = 11,
  // NAT could not rewrite the packet: a header too short for the binding
  // (the kernel's skb_ensure_writable fails)
  NatFailed = 12,
  // the outgoing copy, in a cooked capture, of a packet the host forwarded
  // (assembly/forwarded.ts): what the kernel sent of a packet already
  // replayed, which meets no hook again and is written to no file
  ForwardedCopy = 13,
}

// Tunables the host writes into the configuration block, u32 each, in seconds
// unless named otherwise. Names and defaults live in src/sysctl.ts.
export enum Tunable {
  TcpTimeoutSynSent = 0,
  TcpTimeoutSynRecv = 1,
  TcpTimeoutEstablished = 2,
  TcpTimeoutFinWait = 3,
  TcpTimeoutCloseWait = 4,
  TcpTimeoutLastAck = 5,
  TcpTimeoutTimeWait = 6,
  TcpTimeoutClose = 7,
  TcpTimeoutMaxRetrans = 8,
  TcpTimeoutUnacknowledged = 9,
  TcpLoose = 10,
  TcpBeLiberal = 11,
  TcpMaxRetrans = 12,
  UdpTimeout = 13,
  UdpTimeoutStream = 14,
  IcmpTimeout = 15,
  Icmpv6Timeout = 16,
  GenericTimeout = 17,
  Max = 18,
  Checksum = 19,
  Acct = 20,
  GreTimeout = 21,
  GreTimeoutStream = 22,
  // nf_conntrack_sctp_timeout_*, in SctpState order from Closed
  SctpTimeoutClosed = 23,
  SctpTimeoutCookieWait = 24,
  SctpTimeoutCookieEchoed = 25,
  SctpTimeoutEstablished = 26,
  SctpTimeoutShutdownSent = 27,
  SctpTimeoutShutdownRecd = 28,
  SctpTimeoutShutdownAckSent = 29,
  SctpTimeoutHeartbeatSent = 30,
  // nf_conntrack_buckets: the kernel's hash buckets, which early drop walks
  Buckets = 31,
  // nf_conntrack_expect_max: expectations the table holds at most.
  ExpectMax = 32,
  Count = 33,
}

// Error codes of the capture walker.
// The longest record libpcap reads from a capture file.
export const MAX_CAPTURE_RECORD = 262144;

export enum CaptureError {
  None = 0,
  NotACapture = 1,
  UnsupportedLinkType = 2,
  Truncated = 3,
  RecordTooLong = 4,
  BadBlock = 5,
  // A pcapng packet block names an interface its section has not described.
  UnknownInterface = 6,
  // 7 was a record holding more bytes than its packet had: now read.
  // Bits 16 to 25 of a pcap file's link type, reserved, are not zero
  // (libpcap refuses the file).
  LinkTypeReserved = 8,
  // A pcap or pcapng section of a format version libpcap does not read.
  UnsupportedVersion = 9,
}

// Why processBatch stopped.
export enum BatchStatus {
  NeedMore = 0,
  ResultsFull = 1,
  End = 2,
  Error = 3,
  // A packet of another link type than a pcap output file's: the host
  // reports it (outputConflict tells the file's) and stops.
  OutputLinkType = 4,
}

// The capture files the data plane writes itself (assembly/output.ts): the
// packets a run accepts (-w) and those it drops (--dropped).
export enum OutputClass {
  Accepted = 0,
  Dropped = 1,
}

export enum OutputFormat {
  Off = 0,
  // Classic pcap, little-endian, nanosecond timestamps.
  Pcap = 1,
  // pcapng: a section header, an interface per link type (nanosecond
  // resolution), enhanced packet blocks.
  Pcapng = 2,
}

// Both writers' snapshot length, as libpcap's default.
export const OUTPUT_SNAPLEN = 262144;

// ---------------------------------------------------------------------------
// Conntrack misc extension (docs/conntrack.md): labels, expectation links
// and helper memory, which few connections have. Byte offsets in a record.
export enum CtExt {
  // 128 bits of ct label
  Labels = 0,
  // u32: index + 1 of the master entry of an expected connection (0 = none)
  Master = 16,
  // u16: references held on this entry by its children
  Refs = 20,
  // u16: expectations this entry has open
  Expectations = 22,
  // u8 each: how many FTP newline positions are known, original then reply
  FtpSeqCountOrig = 24,
  FtpSeqCountReply = 25,
  // u16: the master's helper (HelperKind) of an expected connection, kept
  // as the kernel keeps the master itself alive for its children
  MasterHelper = 26,
  // u32 each: FTP's sequence numbers just after a newline, two per
  // direction, original then reply
  FtpSeqOrig = 28,
  FtpSeqReply = 36,
  // u32: where in the ruleset image the ct timeout policy attached to the
  // connection starts (its layer-4 protocol word, then CT_TIMEOUT_STATES
  // timeouts); 0 = none, the sysctls' timeouts
  TimeoutPolicy = 44,
  Size = 48,
}

// ---------------------------------------------------------------------------
// Conntrack events (assembly/ct-events.ts), as `conntrack -E` names them.
export enum CtEvent {
  New = 1,
  Update = 2,
  Destroy = 3,
}

// One event in the event ring. Byte offsets.
export enum CtEventRecord {
  // u32 CtEvent
  Type = 0,
  // u32: index in the batch's results of the packet that caused it
  // (0xffffffff: no packet, e.g. garbage collection)
  Packet = 4,
  // u64: capture time in nanoseconds
  Time = 8,
  // CtEntry.Size bytes: the entry as it stood after the event (before its
  // removal for Destroy), then its CtAcct record (zeros without one), then
  // its CtNat record (valid where the entry's Extensions say)
  Entry = 16,
  Acct = 16 + CtEntry.Size,
  Nat = 16 + CtEntry.Size + CtAcct.Size,
  Size = 16 + CtEntry.Size + CtAcct.Size + CtNat.Size,
}

// ---------------------------------------------------------------------------
// Rule tracing (assembly/trace.ts): one record per rule that ran to its end
// or set a verdict, per policy that decided, per return from a chain.
export enum TraceKind {
  Rule = 0,
  Policy = 1,
  Return = 2,
}

// One trace record, u32 fields. Byte offsets.
export enum TraceRecord {
  // index in the batch's results of the traced packet
  Packet = 0,
  // chain index, rule handle (0 for a policy or a return)
  Chain = 4,
  Handle = 8,
  // i32 Verdict; Continue for a rule that ran to its end without one
  Verdict = 12,
  // target chain index of a jump or goto
  Target = 16,
  // TraceKind
  Kind = 20,
  // the packet's mark when the record was made
  Mark = 24,
  // PacketPath: the hooks the packet meets
  Path = 28,
  // the hook's input and output device indices (0: none), as the kernel's
  // trace carries NFTA_TRACE_IIF and NFTA_TRACE_OIF
  InputDevice = 32,
  OutputDevice = 36,
  Size = 40,
}

// ---------------------------------------------------------------------------
// Logging (assembly/log.ts): one record per `log` statement a packet met,
// with the packet as the statement saw it, for the host to write as the
// kernel's nf_log_syslog writes it. Byte offsets.
export enum LogRecord {
  // index in the batch's results of the logged packet
  Packet = 0,
  // index of the statement's options in the ruleset's logs
  Log = 4,
  // LogFlag bits
  Flags = 8,
  // the packet's mark (skb->mark) when it was logged
  Mark = 12,
  // the packet's length from its network header on (skb->len)
  Length = 16,
  // how many of its bytes, from the network header on, Data holds
  Bytes = 20,
  // the hook's input and output device names, IFNAMSIZ bytes each,
  // NUL-padded (empty where it has none or its name is not known)
  InputName = 24,
  OutputName = 40,
  // The frame's ethertype (skb->protocol) on a device's hook, which the
  // netdev logger dispatches on (nf_log_netdev_packet), ETH_P_ARP on ARP's
  // hooks, 0 on IP's (Data is then the IP header).
  Protocol = 56,
  Data = 60,
  Size = 60 + 264,
}

export enum LogFlag {
  // the hook has an input device: the kernel logs the link-layer header
  Input = 1,
  // the packet is one the host sends itself, over lo
  Loopback = 2,
  // the hook has an output device
  Output = 4,
  // the input hook: routing has filled in the record route option
  InputHook = 8,
}

// The link types (tcpdump.org's LINKTYPE_* numbers) of the captures the data
// plane reads and writes.
export enum LinkType {
  Null = 0,
  Ethernet = 1,
  // PPP frames, with or without HDLC-like address and control bytes
  Ppp = 9,
  Raw = 101,
  Loop = 108,
  LinuxSll = 113,
  // 802.11 frames after a radiotap header
  Ieee80211Radiotap = 127,
  // PPP after one byte that says whether the host sent the frame
  PppWithDir = 204,
  Ipv4 = 228,
  Ipv6 = 229,
  // what `tcpdump -i nflog:N` writes: packets an NFLOG group received
  Nflog = 239,
  LinuxSll2 = 276,
}

// The hooks a packet meets (assembly/pipeline.ts): prerouting and input;
// output and postrouting; prerouting, forward and postrouting; or, for what
// the host sends itself, output, postrouting, prerouting and input.
export enum PacketPath {
  Input = 0,
  Output = 1,
  Forward = 2,
  Loopback = 3,
}
