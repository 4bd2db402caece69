// What --list and --conntrack print at the end of a run, as JSON objects in
// the stream of --json: the listing's text with each rule's counter
// alongside, and the conntrack table an object per entry.
import type { Filter } from '../filter.js';
import { ctEntryFields } from './ct-event-format.js';
import { secondsText } from './names.js';
import { chunkedLines } from '../conntrack-listing.js';

// hidden: a table of our own, left out as from the listing's text.
export function listingJson(filter: Filter, listing: string, hidden: string): string {
  const { ruleset } = filter;
  const counters = filter.counters();
  const rules = ruleset.rules.flatMap((r) => {
    const c = ruleset.chains[r.chain]!;
    if (r.counter === undefined || c.table === hidden) return [];
    return [{ family: c.family, table: c.table, chain: c.name, handle: r.handle, packets: Number(counters[r.counter * 2]), bytes: Number(counters[r.counter * 2 + 1]) }];
  });
  return JSON.stringify({ type: 'listing', ruleset: listing, counters: rules });
}

// The conntrack object with its line's end, in pieces (chunkedLines): the
// text JSON.stringify gives the whole object, never held whole.
export function* conntrackJsonChunks(filter: Filter, accounting: boolean): Generator<string> {
  // Up to the entries' opening bracket.
  yield JSON.stringify({ type: 'conntrack', time: secondsText(filter.time), entries: [] }).slice(0, -2);
  let comma = '';
  yield* chunkedLines(filter.conntrackEntries(), (e) => {
    const text = `${comma}${JSON.stringify({ ...ctEntryFields(e, filter.time, false, accounting), use: e.use })}`;
    comma = ',';
    return text;
  }, '');
  yield ']}\n';
}
