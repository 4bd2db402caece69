// The conntrack tunables under their kernel sysctl names, with the kernel's
// defaults (read off a fresh network namespace). The data plane reads them
// from its configuration block in the order of abi.ts Tunable.
import { Tunable } from '../assembly/abi.js';

export interface SysctlDefinition {
  name: string;
  slot: Tunable;
  value: number;
}

export const SYSCTLS: readonly SysctlDefinition[] = [
  { name: 'nf_conntrack_tcp_timeout_syn_sent', slot: Tunable.TcpTimeoutSynSent, value: 120 },
  { name: 'nf_conntrack_tcp_timeout_syn_recv', slot: Tunable.TcpTimeoutSynRecv, value: 60 },
  { name: 'nf_conntrack_tcp_timeout_established', slot: Tunable.TcpTimeoutEstablished, value: 432000 },
  { name: 'nf_conntrack_tcp_timeout_fin_wait', slot: Tunable.TcpTimeoutFinWait, value: 120 },
  { name: 'nf_conntrack_tcp_timeout_close_wait', slot: Tunable.TcpTimeoutCloseWait, value: 60 },
  { name: 'nf_conntrack_tcp_timeout_last_ack', slot: Tunable.TcpTimeoutLastAck, value: 30 },
  { name: 'nf_conntrack_tcp_timeout_time_wait', slot: Tunable.TcpTimeoutTimeWait, value: 120 },
  { name: 'nf_conntrack_tcp_timeout_close', slot: Tunable.TcpTimeoutClose, value: 10 },
  { name: 'nf_conntrack_tcp_timeout_max_retrans', slot: Tunable.TcpTimeoutMaxRetrans, value: 300 },
  { name: 'nf_conntrack_tcp_timeout_unacknowledged', slot: Tunable.TcpTimeoutUnacknowledged, value: 300 },
  { name: 'nf_conntrack_tcp_loose', slot: Tunable.TcpLoose, value: 1 },
  { name: 'nf_conntrack_tcp_be_liberal', slot: Tunable.TcpBeLiberal, value: 0 },
  { name: 'nf_conntrack_tcp_max_retrans', slot: Tunable.TcpMaxRetrans, value: 3 },
  { name: 'nf_conntrack_udp_timeout', slot: Tunable.UdpTimeout, value: 30 },
  { name: 'nf_conntrack_udp_timeout_stream', slot: Tunable.UdpTimeoutStream, value: 120 },
  { name: 'nf_conntrack_icmp_timeout', slot: Tunable.IcmpTimeout, value: 30 },
  { name: 'nf_conntrack_icmpv6_timeout', slot: Tunable.Icmpv6Timeout, value: 30 },
  { name: 'nf_conntrack_generic_timeout', slot: Tunable.GenericTimeout, value: 600 },
  { name: 'nf_conntrack_gre_timeout', slot: Tunable.GreTimeout, value: 30 },
  { name: 'nf_conntrack_gre_timeout_stream', slot: Tunable.GreTimeoutStream, value: 180 },
  { name: 'nf_conntrack_sctp_timeout_closed', slot: Tunable.SctpTimeoutClosed, value: 10 },
  { name: 'nf_conntrack_sctp_timeout_cookie_wait', slot: Tunable.SctpTimeoutCookieWait, value: 3 },
  { name: 'nf_conntrack_sctp_timeout_cookie_echoed', slot: Tunable.SctpTimeoutCookieEchoed, value: 3 },
  { name: 'nf_conntrack_sctp_timeout_established', slot: Tunable.SctpTimeoutEstablished, value: 210 },
  { name: 'nf_conntrack_sctp_timeout_shutdown_sent', slot: Tunable.SctpTimeoutShutdownSent, value: 3 },
  { name: 'nf_conntrack_sctp_timeout_shutdown_recd', slot: Tunable.SctpTimeoutShutdownRecd, value: 3 },
  { name: 'nf_conntrack_sctp_timeout_shutdown_ack_sent', slot: Tunable.SctpTimeoutShutdownAckSent, value: 3 },
  { name: 'nf_conntrack_sctp_timeout_heartbeat_sent', slot: Tunable.SctpTimeoutHeartbeatSent, value: 30 },
  { name: 'nf_conntrack_max', slot: Tunable.Max, value: 262144 },
  { name: 'nf_conntrack_checksum', slot: Tunable.Checksum, value: 1 },
  { name: 'nf_conntrack_acct', slot: Tunable.Acct, value: 0 },
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
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`sysctl ${name}: "${v}" is not a non-negative integer`);
    values[def.slot] = n;
  }
  return values;
}
