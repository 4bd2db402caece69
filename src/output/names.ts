// Words for the numbers in per-packet results, as nft and conntrack print them.
import { CtStateBit, PacketFate, Verdict } from '../../assembly/abi.js';
import type { Ruleset } from '../../compiler/index.js';

export const CT_STATE_NAMES: Record<number, string> = {
  [CtStateBit.Invalid]: 'invalid',
  [CtStateBit.Established]: 'established',
  [CtStateBit.Related]: 'related',
  [CtStateBit.New]: 'new',
  [CtStateBit.Untracked]: 'untracked',
};

export const FATE_NAMES: Record<PacketFate, string> = {
  [PacketFate.Filtered]: 'filtered',
  [PacketFate.NotIp]: 'not-ip',
  [PacketFate.Malformed]: 'malformed',
  [PacketFate.Fragment]: 'fragment',
  [PacketFate.OtherHost]: 'other-host',
  [PacketFate.BadChecksum]: 'bad-ip-checksum',
  [PacketFate.Martian]: 'martian',
  [PacketFate.BadIpOptions]: 'bad-ip-options',
  [PacketFate.TtlExceeded]: 'ttl-exceeded',
  [PacketFate.ConntrackFull]: 'conntrack-table-full',
  [PacketFate.HelperRefused]: 'helper-refused',
  [PacketFate.NoRoute]: 'no-route',
  [PacketFate.NatFailed]: 'nat-failed',
  [PacketFate.ForwardedCopy]: 'forwarded-copy',
};

// Whether a packet of this fate met no hook at all.
export function beforeHooks(fate: PacketFate): boolean {
  return fate !== PacketFate.Filtered && (fate < PacketFate.Martian || fate === PacketFate.ForwardedCopy);
}

export function verdictName(v: number, targetName?: string): string {
  switch (v) {
    case Verdict.Accept: return 'accept';
    case Verdict.Drop: return 'drop';
    case Verdict.Queue: return 'queue';
    case Verdict.Continue: return 'continue';
    case Verdict.Break: return 'break';
    case Verdict.Jump: return `jump ${targetName ?? '?'}`;
    case Verdict.Goto: return `goto ${targetName ?? '?'}`;
    case Verdict.Return: return 'return';
    default: return `verdict ${v}`;
  }
}

// "inet filter input": how nft names a chain in trace output.
export function chainPath(ruleset: Ruleset, chain: number): string {
  const c = ruleset.chains[chain];
  return c ? `${c.family} ${c.table} ${c.name}` : `chain ${chain}`;
}

// The time of a packet as decimal seconds with nanoseconds: exact, unlike a
// double.
export function secondsText(ns: bigint, digits = 9): string {
  const s = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, digits);
  return `${s}.${frac}`;
}
