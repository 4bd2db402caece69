// add, update and delete @set { key } (the kernel's nft_dynset): rules
// that put the packet's key into a set, with the timeout of the statement
// or of the set, and take it out again.
import { DYNSET_EXPRS_SHIFT, DynamicElementTail, DynsetOp, DynsetWord, Op, SetFlags } from './abi';
import { evalLimitIn } from './limit';
import { evalQuotaIn } from './quota';
import { now } from './conntrack';
import { ELEM_DELETED, ELEM_DYNAMIC, setData, setDataLength, setExpiry, setFindAny, setFlags, setInsert, setLive, setLiveChange } from './sets';

const NSEC_PER_MSEC: u64 = 1_000_000;

// An element's expiry time, and the timeout it has (which the listing
// shows when it is not the set's).
function setTimes(set: u32, el: usize, expires: u64, timeout: u64): void {
  const at = setExpiry(set, el);
  store<u64>(at + DynamicElementTail.Expires, expires);
  store<u64>(at + DynamicElementTail.Timeout, timeout);
}

// A map's element takes the data when it is made, not when it is updated.
function setElementData(set: u32, el: usize, data: usize): void {
  if (data != 0) memory.copy(setData(set, el), data, setDataLength(set));
}

// A meter's statement (the instruction at `expr`) run on the state the
// element keeps; whether the rule goes on.
function evalElementExpr(expr: usize, at: usize, len: u32): bool {
  const op = load<u32>(expr) & 0xff;
  if (op == Op.Limit) return evalLimitIn(expr, at, len);
  if (op == Op.Quota) return evalQuotaIn(expr, at, len);
  store<u64>(at, load<u64>(at) + 1);
  store<u64>(at + 8, load<u64>(at + 8) + <u64>len);
  return true;
}

// Whether the rule goes on: false when the set is full, or when a meter's
// element's statement stops it. `data` is the register a map's data is
// in, 0 for a set; `len` the packet's length for a meter's statement.
export function evalDynset(ins: usize, key: usize, data: usize, len: u32): bool {
  const el = dynsetElement(ins, key, data);
  if (el == 0) return false;
  if (el == 1) return true;
  const set = load<u32>(ins + 4) & 0xffffff;
  const n = dynsetExprs(ins);
  if (n == 0) {
    countElement(set, el, len);
    return true;
  }
  // nft_set_elem_update_expr: in order, until one stops the rule.
  let expr = ins + ((<usize>(load<u32>(ins) >> 8) & 0xff) << 2);
  let state = setExpiry(set, el) + DynamicElementTail.State;
  for (let i: u32 = 0; i < n; i++) {
    if (!evalElementExpr(expr, state, len)) return false;
    expr += (<usize>(load<u32>(expr) >> 8) & 0xff) << 2;
    state += DynamicElementTail.StateSize;
  }
  return true;
}

// How many statements of its own an element of this Dynset keeps.
export function dynsetExprs(ins: usize): u32 {
  return (load<u32>(ins + 16) & DynsetWord.Exprs) >> DYNSET_EXPRS_SHIFT;
}

// nft_set_elem_update_expr: the counter of an element a rule added to a
// set declared with `counter`, for a packet that found or added it.
export function countElement(set: u32, el: usize, len: u32): void {
  if ((setFlags(set) & SetFlags.Counted) == 0 || (load<u32>(el) & ELEM_DYNAMIC) == 0) return;
  const at = setExpiry(set, el) + DynamicElementTail.State;
  store<u64>(at, load<u64>(at) + 1);
  store<u64>(at + 8, load<u64>(at + 8) + <u64>len);
}

// The element the statement leaves for the key (1 after a delete), or 0
// when the set is full.
function dynsetElement(ins: usize, key: usize, data: usize): usize {
  const w = load<u32>(ins + 4);
  const set = w & 0xffffff;
  const op = w >> 24;
  const timeout = load<u64>(ins + 8);
  const expires = timeout != 0 ? now + timeout * NSEC_PER_MSEC : 0;
  let el = setFindAny(set, key);
  if (op == DynsetOp.Delete) {
    if (el != 0 && setLive(set, el)) {
      store<u32>(el, load<u32>(el) | ELEM_DELETED);
      setLiveChange(set, -1);
    }
    return 1;
  }
  if (el != 0 && setLive(set, el)) {
    // An update restarts the element's timeout; an add leaves it.
    if (op == DynsetOp.Update && (load<u32>(el) & ELEM_DYNAMIC) != 0) setTimes(set, el, expires, timeout);
    return el;
  }
  if (el != 0) {
    // The key comes back: the element it had lives again.
    store<u32>(el, load<u32>(el) & ~ELEM_DELETED);
    if (load<u32>(el) & ELEM_DYNAMIC) {
      setTimes(set, el, expires, timeout);
      // As a new element, with the meter's statement's state afresh.
      memory.fill(setExpiry(set, el) + DynamicElementTail.State, 0, DynamicElementTail.Size - DynamicElementTail.State);
    }
    setElementData(set, el, data);
    setLiveChange(set, 1);
    return el;
  }
  el = setInsert(set, key);
  if (el == 0) return 0;
  setTimes(set, el, expires, timeout);
  setElementData(set, el, data);
  return el;
}
