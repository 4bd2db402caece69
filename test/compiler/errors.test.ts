import { describe, expect, it } from 'vitest';
import { compile, NftError } from '../../compiler/index.js';

function error(source: string): NftError {
  try {
    compile(source, { filename: 'bad.nft' });
  } catch (e) {
    if (e instanceof NftError) return e;
    throw e;
  }
  throw new Error('compiled');
}

describe('errors', () => {
  it('render as nft prints them, tabs kept under the carets', () => {
    // `nft -c -f bad.nft` with this file prints exactly this.
    const e = error('table ip t {\n\tchain c {\n\t\tct state foo accept\n\t}\n}\n');
    expect(e.message).toBe('bad.nft:3:12-14: Error: Could not parse conntrack state\n\t\tct state foo accept\n\t\t         ^^^');
    expect([e.file, e.line, e.column, e.endColumn]).toEqual(['bad.nft', 3, 12, 14]);
  });

  it('name what nft has and nftwasm does not, each once, and go on', () => {
    const source = [
      'table ip t {',
      '\tsecmark p {',
      '\t\t"system_u:object_r:http_server_packet_t:s0"',
      '\t}',
      '\tsecmark q {',
      '\t\t"system_u:object_r:ssh_server_packet_t:s0"',
      '\t}',
      '\tchain c {',
      '\t\tflow table m { ip saddr counter }',
      '\t\tflow table n { ip daddr counter }',
      '\t\ttcp dport 99999 accept',
      '\t}',
      '}',
      '',
    ].join('\n');
    const e = error(source);
    expect(e.errors.map((x) => `${x.line}:${x.column} ${x.message.split('\n')[0]!.replace(/^.*Error: /, '')}`)).toEqual([
      '2:2 secmark objects are not supported by nftwasm',
      '5:2 secmark objects are not supported by nftwasm',
      '9:3 flow table, the older spelling of meter, is not supported by nftwasm',
      '10:3 flow table, the older spelling of meter, is not supported by nftwasm',
      '11:13 Service out of range',
    ]);
  });

  it('resolve variables as they are parsed, included files seeing those defined before', () => {
    const files: Record<string, string> = {
      '/r/rules.inc': 'table ip t {\n\tchain c {\n\t\ttcp dport $P accept\n\t\tudp dport $Q accept\n\t}\n}\n',
    };
    const readFile = (path: string): string => {
      const text = files[path];
      if (text === undefined) throw new Error(`no ${path}`);
      return text;
    };
    expect(compile('define P = 22\ndefine Q = 53\ninclude "/r/rules.inc"\n', { filename: 'main.nft', readFile }).toListing()).toContain('tcp dport 22 accept');
    let e: unknown;
    try {
      compile('define P = 22\ninclude "/r/rules.inc"\n', { filename: 'main.nft', readFile });
    } catch (x) {
      e = x;
    }
    // As nft prints it, with the include that led there.
    expect((e as NftError).message).toBe("In file included from main.nft:2:1-23:\n/r/rules.inc:4:14-14: Error: unknown identifier 'Q'\n\t\tudp dport $Q accept\n\t\t           ^");
  });
});
