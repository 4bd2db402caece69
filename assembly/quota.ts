// `quota`: bytes counted per rule (nft_quota.c). Every packet that reaches
// the instruction counts; the rule goes on while the count stays below
// the quota (with `over`, once it has reached it).
import { QuotaFlags } from './abi';
import { state } from './ruleset';

// State slot: bytes counted since the ruleset loaded (u64).
export function evalQuota(ins: usize, len: u32): bool {
  return evalQuotaIn(ins, state(load<u32>(ins + 4) & 0xffffff), len);
}

// The same with the count kept at s (a meter's element keeps its own).
export function evalQuotaIn(ins: usize, s: usize, len: u32): bool {
  const w = load<u32>(ins + 4);
  const counted = load<u64>(s) + <u64>len;
  store<u64>(s, counted);
  const reached = load<u64>(ins + 16) + counted >= load<u64>(ins + 8);
  return reached == (((w >> 24) & QuotaFlags.Over) != 0);
}

