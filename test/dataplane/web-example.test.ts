// examples/web.pcap replayed through nftwasm must give the kernel's answers:
// the same per-rule counters and the same conntrack table.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compile, createFilter } from '../../src/index.js';
import { normalizeConntrack, parseListingCounters } from '../kernel/lab.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root));

describe('examples/web.pcap', () => {
  it('matches the kernel counters and conntrack table', async () => {
    const source = (await read('examples/web.nft')).toString();
    const filter = await createFilter(compile(source, { filename: 'web.nft' }), { local: ['10.99.0.2'] });
    filter.processCapture(await read('examples/web.pcap'));
    const kernelListing = (await read('test/fixtures/web.kernel-listing.txt')).toString();
    const kernelConntrack = (await read('test/fixtures/web.kernel-conntrack.txt')).toString();
    expect(parseListingCounters(filter.listRuleset())).toEqual(parseListingCounters(kernelListing));
    expect(normalizeConntrack(filter.conntrackListing())).toEqual(normalizeConntrack(kernelConntrack));
  });
});
