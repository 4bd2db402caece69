// add, update and delete @set { key } (the kernel's nft_dynset): rules
// that put the packet's key into a set, with the timeout of the statement
// or of the set, and take it out again.
import { DynamicElementTail, DynsetOp } from './abi';
import { now } from './conntrack';
import { ELEM_DELETED, ELEM_DYNAMIC, setData, setDataLength, setExpiry, setFindAny, setInsert, setLive, setLiveChange } from './sets';

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

// Whether the rule goes on: false only when the set is full. `data` is the
// register a map's data is in, 0 for a set.
export function evalDynset(ins: usize, key: usize, data: usize): bool {
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
    return true;
  }
  if (el != 0 && setLive(set, el)) {
    // An update restarts the element's timeout; an add leaves it.
    if (op == DynsetOp.Update && (load<u32>(el) & ELEM_DYNAMIC) != 0) setTimes(set, el, expires, timeout);
    return true;
  }
  if (el != 0) {
    // The key comes back: the element it had lives again.
    store<u32>(el, load<u32>(el) & ~ELEM_DELETED);
    if (load<u32>(el) & ELEM_DYNAMIC) setTimes(set, el, expires, timeout);
    setElementData(set, el, data);
    setLiveChange(set, 1);
    return true;
  }
  el = setInsert(set, key);
  if (el == 0) return false;
  setTimes(set, el, expires, timeout);
  setElementData(set, el, data);
  return true;
}
