// One JSON object per packet: its number and time, the verdict, the rule
// (or policy) that decided it and where that rule lives, and what conntrack
// made of it.
import { PacketFate } from '../../assembly/abi.js';
import type { Ruleset } from '../../compiler/index.js';
import type { PacketBatch } from '../packet-batch.js';
import { beforeHooks, CT_STATE_NAMES, FATE_NAMES, secondsText } from './names.js';

export function packetJson(ruleset: Ruleset, batch: PacketBatch, i: number): string {
  const fate = batch.fate(i);
  const o: Record<string, unknown> = {
    type: 'packet',
    packet: batch.firstPacket + i,
    time: secondsText(batch.timeNs(i)),
    length: batch.originalLength(i),
    verdict: batch.accepted(i) ? 'accept' : 'drop',
  };
  if (fate !== PacketFate.Filtered) o.fate = FATE_NAMES[fate] ?? fate;
  if (beforeHooks(fate)) return JSON.stringify(o);
  const chainIndex = batch.chain(i);
  const chain = chainIndex >= 0 ? ruleset.chains[chainIndex] : undefined;
  if (chain) {
    const handle = batch.handle(i);
    o.decided = handle !== 0
      ? { family: chain.family, table: chain.table, chain: chain.name, handle }
      : { family: chain.family, table: chain.table, chain: chain.name, policy: chain.policy ?? 'accept' };
  }
  const state = batch.ctState(i);
  const ct: Record<string, unknown> = { state: CT_STATE_NAMES[state] ?? state };
  const id = batch.ctId(i);
  if (id !== 0) {
    ct.direction = batch.ctDirection(i) === 0 ? 'original' : 'reply';
    ct.id = id;
  }
  o.ct = ct;
  return JSON.stringify(o);
}
