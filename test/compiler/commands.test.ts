// nft's file commands applied in order, as `nft -f` sends them in one batch:
// the bytecode (what is sent, deleted things included), the listing (what
// the kernel holds afterwards) and the errors, each against live nft.
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { expectSameAsNft, liveNftReason, nftDebugText, nftListingText, ourDebugText } from './live-nft.js';

const base = `table ip t {
	chain c {
		accept
		drop
	}
	set s { type ipv4_addr; elements = { 1.2.3.4 } }
	counter k { packets 5 bytes 7 }
}
`;

// Commands that go through: same bytecode and same listing.
const accepted: Record<string, string> = {
  'delete table': 'delete table ip t\n',
  'delete table by handle': 'delete table ip handle 1\n',
  'delete chain, then a new one': 'delete chain ip t c\nadd chain ip t c\nadd rule ip t c counter\n',
  'delete a set': 'delete set ip t s\n',
  'delete an element': 'delete element ip t s { 1.2.3.4 }\n',
  'add then delete an element': 'add element ip t s { 1.2.3.5, 1.2.3.6 }\ndelete element ip t s { 1.2.3.5 }\n',
  'delete a rule by handle': 'delete rule ip t c handle 4\n',
  'flush a chain and refill it': 'flush chain ip t c\nadd rule ip t c counter\n',
  'flush a set': 'flush set ip t s\nadd element ip t s { 9.9.9.9 }\n',
  'flush a table': 'flush table ip t\n',
  'replace a rule twice': 'replace rule ip t c handle 4 counter\nreplace rule ip t c handle 4 meta mark 3\n',
  'rules placed by index': 'add rule ip t c index 1 counter\nadd rule ip t c index 0 meta mark 7\n',
  'insert by index': 'add rule ip t c index 0 counter\ninsert rule ip t c index 1 meta mark 1\n',
  'delete a named counter': 'delete counter ip t k\nreset counters\nreset quotas\n',
  'create what is not there yet': 'create table ip u\ncreate chain ip u x\ncreate set ip u s { type ipv4_addr; }\ncreate element ip u s { 1.2.3.4 }\n',
  'a mix': 'add element ip t s { 5.5.5.5, 6.6.6.6 }\ndelete element ip t s { 1.2.3.4 }\nadd chain ip t d\nadd rule ip t d accept\ndelete rule ip t c handle 5\nadd table ip u\nadd chain ip u x\nflush chain ip u x\nadd rule ip u x counter\ndelete chain ip t d\n',
};

// Commands nft refuses: the same errors, word for word.
const refused: Record<string, string> = {
  'delete a table that is not there': 'delete table ip u\n',
  'delete a chain that is not there': 'delete chain ip t d\n',
  'a rule in a deleted chain': 'delete chain ip t c\nadd rule ip t c accept\n',
  'delete a set that is not there': 'delete set ip t x\n',
  'delete an element that is not there': 'delete element ip t s { 1.2.3.5 }\n',
  'delete a rule that is not there': 'delete rule ip t c handle 9\n',
  'delete a rule of a chain that is not there': 'delete rule ip t x handle 3\n',
  'delete a rule without handle': 'delete rule ip t c\n',
  'flush a chain that is not there': 'flush chain ip t x\n',
  'flush a set that is not there': 'flush set ip t x\n',
  'flush a table that is not there': 'flush table ip x\n',
  'rename a chain of the same batch': 'rename chain ip t c d\nadd rule ip t d counter\n',
  'a position among the same batch': 'add rule ip t c position 4 counter\n',
  'a handle among the same batch': 'add rule ip t c handle 4 counter\ninsert rule ip t c handle 4 meta mark 1\n',
  'an index past the end': 'add rule ip t c index 7 counter\n',
  'replace a rule that is not there': 'replace rule ip t c handle 9 accept\n',
  'delete a counter that is not there': 'delete counter ip t x\n',
  'reset a named counter': 'reset counter ip t k\n',
  'create a table that is there': 'create table ip t\n',
  'create a chain that is there': 'create chain ip t c\n',
  'create a set that is there': 'create set ip t s { type ipv4_addr; }\n',
  'create an element that is there': 'create element ip t s { 1.2.3.5, 1.2.3.4 }\n',
  'destroy, which nft 1.0.6 lacks': 'destroy table ip t\n',
  'destroy of a string': 'destroy foo\n',
};

describe.skipIf(liveNftReason())('file commands against live nft', () => {
  for (const [name, cmds] of Object.entries(accepted)) {
    it(`${name}: same bytecode and listing`, () => {
      expectSameAsNft(base + cmds, ['-a']);
    });
  }
  for (const [name, cmds] of Object.entries(refused)) {
    it(`${name}: same error`, () => {
      const text = base + cmds;
      const theirs = nftDebugText(text);
      expect(theirs.ok).toBe(false);
      expect(ourDebugText(text).out + '\n').toBe(theirs.out);
    });
  }

  it('consecutive commands adding elements to one set go out as nft collapses them: the first, then the others last to first', () => {
    expectSameAsNft('table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tset u {\n\t\ttype ipv4_addr\n\t}\n}\n'
      + ['s { 10.0.0.1 }', 's { 10.0.0.2 }', 's { 10.0.0.3 }', 's { 10.0.0.4, 10.0.0.5 }', 'u { 10.0.0.9 }', 's { 10.0.0.6 }', 's { 10.0.0.7 }'].map((e) => `add element ip t ${e}\n`).join('')
      + 'delete element ip t s { 10.0.0.7 }\nadd element ip t s { 10.0.0.8 }\n');
  });

  it('adding an element a set holds leaves it as it was', () => {
    const text = `${base}add element ip t s { 1.2.3.4 }\nadd element ip t s { 1.2.3.5, 1.2.3.6 }\nadd element ip t s { 1.2.3.5 }\n`;
    expect(compile(text).toListing()).toBe(nftListingText(text));
  });

  it('sets defined of defined sets, as one anonymous set', () => {
    const text = 'define a = 1.2.3.4\ndefine b = { $a, 5.6.7.8 }\ndefine c = { $b, 9.9.9.9 }\ndefine p = { ssh, 123-125 }\ntable inet t {\n\tchain c {\n\t\tip saddr $c accept\n\t\tip daddr { $b, 10.0.0.0/8 } drop\n\t\ttcp dport { $p, 99 } accept\n\t}\n}\n';
    expectSameAsNft(text);
  });
});
