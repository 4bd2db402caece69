// `log` with its options: bytecode and listing as live nft gives them.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { liveNftReason, nftDebugText, nftListingText, ourDebugText } from './live-nft.js';

const source = `table inet t {
	chain c {
		log
		log prefix "a"
		log level warn
		log level crit prefix "p"
		log prefix "x " level info flags all
		log flags tcp sequence,options
		log flags tcp options flags ip options
		log flags skuid
		log flags ether
		log level audit
		log group 3
		log group 0 prefix "g"
		log snaplen 100 group 1 queue-threshold 4
	}
}
`;

describe.skipIf(liveNftReason())('log against live nft', () => {
  it('compiles to the same bytecode and lists the same', () => {
    const r = compile(source);
    expect(r.toNetlinkDebug()).toBe(nftDebugText(source).out);
    expect(r.toListing()).toBe(nftListingText(source));
  });
});

describe.skipIf(liveNftReason())('log options nft refuses together', () => {
  for (const rule of ['log level emerg group 2', 'log level audit prefix "foo"', 'log level audit snaplen 23', 'log level audit flags all', 'log flags all group 2', 'log queue-threshold 4 flags ip options']) {
    it(`${rule}: nft's error`, () => {
      const text = `table ip t {\n\tchain c {\n\t\t${rule}\n\t}\n}\n`;
      const theirs = nftDebugText(text);
      expect(theirs.ok).toBe(false);
      expect(ourDebugText(text).out.trimEnd()).toBe(theirs.out.trimEnd());
    });
  }
});
