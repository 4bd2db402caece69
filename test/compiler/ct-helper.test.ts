// ct helper objects: nft sends no family unless l3proto is given, and the
// kernel then helps every family of the table (both, in an inet table).
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { ObjectEntry, RulesetHeader } from '../../assembly/abi.js';

const SOURCE = `table inet filter {
	ct helper ftp-standard {
		type "ftp" protocol tcp
	}
}
table ip t4 {
	ct helper h4 {
		type "ftp" protocol tcp
	}
}
table ip6 t6 {
	ct helper h6 {
		type "ftp" protocol tcp
		l3proto ip6
	}
}
`;

function helperFamilies(image: Uint8Array): number[] {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const count = v.getUint32(RulesetHeader.ObjectCount * 4, true);
  const at = v.getUint32(RulesetHeader.ObjectTableOffset * 4, true);
  return Array.from({ length: count }, (_, i) => v.getUint32(at + (i * ObjectEntry.Words + ObjectEntry.Arg2) * 4, true));
}

describe('ct helper objects', () => {
  const r = compile(SOURCE, { filename: 'helpers.nft' });

  it('print the family nft sends', () => {
    expect(r.toNetlinkDebug().split('\n').filter((l) => l.includes('ct_helper'))).toEqual([
      'table (null) name (null) use 0 [ ct_helper name ftp family 0 protocol 6 ]',
      'table (null) name (null) use 0 [ ct_helper name ftp family 0 protocol 6 ]',
      'table (null) name (null) use 0 [ ct_helper name ftp family 10 protocol 6 ]',
    ]);
  });

  it('list the family the kernel took', () => {
    expect(r.toListing().split('\n').filter((l) => l.includes('l3proto')).map((l) => l.trim())).toEqual(['l3proto inet', 'l3proto ip', 'l3proto ip6']);
  });

  it('help both families in an inet table, the table family elsewhere', () => {
    expect(helperFamilies(r.image)).toEqual([0, 2, 10]);
  });
});
