// The conntrack tunables under their kernel sysctl names, with the kernel's
// defaults (read off a fresh network namespace). The data plane reads them
// from its configuration block in the order of abi.ts Tunable.
import { Tunable } from '../assembly/abi.js';

export interface SysctlDefinition {
  name: string;
  slot: Tunable;
  value: number;
  // The values the kernel accepts (others: "Invalid argument").
  min: number;
  max: number;
  // Stored as the data plane reads it: a negative timeout has run out at
  // once, as one of 0; the kernel rounds buckets up to whole pages of them.
  store?: (v: number) => number;
}

// proc_dointvec_jiffies: seconds whose jiffies fit an int (HZ 250 here).
const TIMEOUT = { min: -8589934, max: 8589934, store: (v: number) => Math.max(v, 0) };
const BOOLEAN = { min: 0, max: 1 };
// nf_ct_alloc_hashtable: at most INT_MAX / sizeof(struct hlist_nulls_head),
// rounded up to a multiple of PAGE_SIZE / sizeof(struct hlist_nulls_head).
const BUCKETS_PER_PAGE = 512;
const BUCKETS = { min: 1, max: 268435455, store: (v: number) => Math.ceil(v / BUCKETS_PER_PAGE) * BUCKETS_PER_PAGE };

export const SYSCTLS: readonly SysctlDefinition[] = [
  { name: 'nf_conntrack_tcp_timeout_syn_sent', slot: Tunable.TcpTimeoutSynSent, value: 120, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_syn_recv', slot: Tunable.TcpTimeoutSynRecv, value: 60, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_established', slot: Tunable.TcpTimeoutEstablished, value: 432000, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_fin_wait', slot: Tunable.TcpTimeoutFinWait, value: 120, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_close_wait', slot: Tunable.TcpTimeoutCloseWait, value: 60, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_last_ack', slot: Tunable.TcpTimeoutLastAck, value: 30, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_time_wait', slot: Tunable.TcpTimeoutTimeWait, value: 120, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_close', slot: Tunable.TcpTimeoutClose, value: 10, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_max_retrans', slot: Tunable.TcpTimeoutMaxRetrans, value: 300, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_timeout_unacknowledged', slot: Tunable.TcpTimeoutUnacknowledged, value: 300, ...TIMEOUT },
  { name: 'nf_conntrack_tcp_loose', slot: Tunable.TcpLoose, value: 1, ...BOOLEAN },
  { name: 'nf_conntrack_tcp_be_liberal', slot: Tunable.TcpBeLiberal, value: 0, ...BOOLEAN },
  { name: 'nf_conntrack_tcp_max_retrans', slot: Tunable.TcpMaxRetrans, value: 3, min: 0, max: 255 },
  { name: 'nf_conntrack_udp_timeout', slot: Tunable.UdpTimeout, value: 30, ...TIMEOUT },
  { name: 'nf_conntrack_udp_timeout_stream', slot: Tunable.UdpTimeoutStream, value: 120, ...TIMEOUT },
  { name: 'nf_conntrack_icmp_timeout', slot: Tunable.IcmpTimeout, value: 30, ...TIMEOUT },
  { name: 'nf_conntrack_icmpv6_timeout', slot: Tunable.Icmpv6Timeout, value: 30, ...TIMEOUT },
  { name: 'nf_conntrack_generic_timeout', slot: Tunable.GenericTimeout, value: 600, ...TIMEOUT },
  { name: 'nf_conntrack_gre_timeout', slot: Tunable.GreTimeout, value: 30, ...TIMEOUT },
  { name: 'nf_conntrack_gre_timeout_stream', slot: Tunable.GreTimeoutStream, value: 180, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_closed', slot: Tunable.SctpTimeoutClosed, value: 10, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_cookie_wait', slot: Tunable.SctpTimeoutCookieWait, value: 3, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_cookie_echoed', slot: Tunable.SctpTimeoutCookieEchoed, value: 3, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_established', slot: Tunable.SctpTimeoutEstablished, value: 210, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_shutdown_sent', slot: Tunable.SctpTimeoutShutdownSent, value: 3, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_shutdown_recd', slot: Tunable.SctpTimeoutShutdownRecd, value: 3, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_shutdown_ack_sent', slot: Tunable.SctpTimeoutShutdownAckSent, value: 3, ...TIMEOUT },
  { name: 'nf_conntrack_sctp_timeout_heartbeat_sent', slot: Tunable.SctpTimeoutHeartbeatSent, value: 30, ...TIMEOUT },
  { name: 'nf_conntrack_max', slot: Tunable.Max, value: 262144, min: 0, max: 2147483647 },
  { name: 'nf_conntrack_checksum', slot: Tunable.Checksum, value: 1, ...BOOLEAN },
  { name: 'nf_conntrack_acct', slot: Tunable.Acct, value: 0, ...BOOLEAN },
  // The kernel's default on a machine of more than 4 GiB; lowering only
  // nf_conntrack_max keeps it.
  { name: 'nf_conntrack_buckets', slot: Tunable.Buckets, value: 262144, ...BUCKETS },
  // Four per 256 hash buckets at boot (262144 here, so 4096); read-only
  // inside a network namespace.
  { name: 'nf_conntrack_expect_max', slot: Tunable.ExpectMax, value: 4096, min: 1, max: 2147483647 },
];

const BY_NAME = new Map(SYSCTLS.map((s) => [s.name, s]));

// Accepts names with or without the net.netfilter. prefix.
export function resolveSysctls(overrides: Record<string, number | string> = {}): Uint32Array {
  const values = new Uint32Array(Tunable.Count);
  for (const s of SYSCTLS) values[s.slot] = s.value;
  for (const [raw, v] of Object.entries(overrides)) {
    const name = raw.replace(/^net\.netfilter\./, '');
    const def = BY_NAME.get(name);
    if (!def) throw new RangeError(`unknown sysctl "${raw}" (known: ${SYSCTLS.map((s) => s.name).join(', ')})`);
    const text = String(v).trim();
    const n = typeof v === 'number' ? v : /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(n)) throw new RangeError(`sysctl ${name}: "${v}" is not an integer (the kernel says: Invalid argument)`);
    if (n < def.min || n > def.max) {
      throw new RangeError(`sysctl ${name}: ${v} is out of the kernel's range, ${def.min} to ${def.max} (the kernel says: Invalid argument)`);
    }
    values[def.slot] = def.store ? def.store(n) : n;
  }
  return values;
}
