// `limit rate`: the kernel's token bucket (nft_limit.c) over packet
// timestamps. A bucket holds nanoseconds of credit: a packet costs
// unit/rate of them, or unit*length/rate in bytes mode; it starts full, at
// the first packet the rule sees, and refills with the time between
// packets up to its size.
import { LimitFlags } from './abi';
import { now } from './conntrack';
import { state } from './ruleset';

const NSEC_PER_SEC: u64 = 1_000_000_000;
// State slot: tokens (u64), time of the last packet (u64, 0 = never ran).
const S_TOKENS: usize = 0;
const S_LAST: usize = 8;

// Whether the rule goes on past the limit instruction of `ins` for a
// packet of `len` bytes.
export function evalLimit(ins: usize, len: u32): bool {
  return evalLimitIn(ins, state(load<u32>(ins + 4) & 0xffffff), len);
}

// The same with the bucket kept at s (a meter's element keeps its own).
export function evalLimitIn(ins: usize, s: usize, len: u32): bool {
  const flags = load<u32>(ins + 4) >> 24;
  const rate = load<u64>(ins + 8);
  const nsecs = <u64>load<u32>(ins + 16) * NSEC_PER_SEC;
  const burst = <u64>load<u32>(ins + 20);
  const bytes = (flags & LimitFlags.Bytes) != 0;
  // nft_limit_init: a bucket of `burst` packets, or of a unit's worth of
  // bytes and the burst on top.
  const max = bytes ? nsecs * (rate + burst) / rate : nsecs / rate * burst;
  const cost = bytes ? nsecs * <u64>len / rate : nsecs / rate;
  let last = load<u64>(s + S_LAST);
  let tokens = load<u64>(s + S_TOKENS);
  if (last == 0) {
    last = now;
    tokens = max;
  }
  // Packets out of timestamp order add no credit.
  if (now > last) {
    tokens += now - last;
    if (tokens > max) tokens = max;
    last = now;
  }
  store<u64>(s + S_LAST, last);
  const over = (flags & LimitFlags.Over) != 0;
  if (tokens >= cost) {
    store<u64>(s + S_TOKENS, tokens - cost);
    return !over;
  }
  store<u64>(s + S_TOKENS, tokens);
  return over;
}
