// Splits nft source text into tokens with their source positions. Values
// (numbers, addresses, names, times) all come out as words: their meaning
// depends on the datatype of what they are compared with, which only the
// evaluator knows.
import { NftError, type SourceFile } from './errors.js';

export type TokenKind = 'word' | 'string' | 'punct' | 'newline' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  file: SourceFile;
  offset: number;
  line: number;
  column: number;
  endColumn: number;
}

const PUNCT = ['==', '!=', '<=', '>=', '<<', '>>', '{', '}', '(', ')', '[', ']', ';', ',', ':', '!', '=', '<', '>', '&', '|', '^', '/', '-', '.', '@', '$', '*'];

const IPV4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/y;
const IPV6 = /[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:\.\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})?/y;
const HEX = /0x[0-9a-fA-F]+/y;
const TIME = /(?:\d+(?:ms|d|h|m|s)(?![A-Za-z]))+/y;
const DECIMAL = /\d+(?![A-Za-z_])/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_\-/.]*/y;
// A MAC or other colon-separated hex string, e.g. 00:0f:54:0c:11:04.
const HEXCOLON = /[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}/y;

function matchAt(re: RegExp, s: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m && m[0].length > 0 ? m[0] : null;
}

function isIpv6(text: string): boolean {
  const colons = text.split(':').length - 1;
  return colons >= 2 && (text.includes('::') || colons === 7 || /\.\d+$/.test(text));
}

function identEnd(text: string): string {
  // A trailing '-' or '.' or '/' belongs to the next token (ranges, prefixes).
  return text.replace(/[-./]+$/, '');
}

export function tokenize(file: SourceFile): Token[] {
  const s = file.text;
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  const push = (kind: TokenKind, start: number, end: number, text = s.slice(start, end)) => {
    tokens.push({ kind, text, file, offset: start, line, column: start - lineStart + 1, endColumn: end - lineStart });
  };
  while (pos < s.length) {
    const c = s[pos];
    if (c === '\n') {
      push('newline', pos, pos + 1);
      pos++;
      line++;
      lineStart = pos;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') { pos++; continue; }
    if (c === '\\' && s[pos + 1] === '\n') { pos += 2; line++; lineStart = pos; continue; }
    if (c === '#') {
      while (pos < s.length && s[pos] !== '\n') pos++;
      continue;
    }
    if (c === '"') {
      let end = pos + 1;
      while (end < s.length && s[end] !== '"' && s[end] !== '\n') end++;
      if (s[end] !== '"') {
        throw NftError.at({ file, line, column: pos - lineStart + 1, endColumn: end - lineStart }, 'syntax error, unterminated string');
      }
      push('string', pos, end + 1, s.slice(pos + 1, end));
      pos = end + 1;
      continue;
    }
    let word: string | null = null;
    if (/[0-9a-fA-F:]/.test(c)) {
      const v6 = matchAt(IPV6, s, pos);
      if (v6 && isIpv6(v6)) word = v6;
      else if (!word) word = matchAt(HEXCOLON, s, pos);
    }
    if (!word && /[0-9]/.test(c)) {
      word = matchAt(IPV4, s, pos) ?? matchAt(HEX, s, pos) ?? matchAt(TIME, s, pos) ?? matchAt(DECIMAL, s, pos);
      if (!word) {
        const m = matchAt(/\d+[A-Za-z_][A-Za-z0-9_\-]*/y, s, pos);
        word = m ? identEnd(m) : null;
      }
    }
    if (!word && /[A-Za-z_]/.test(c)) {
      const m = matchAt(IDENT, s, pos);
      if (m) word = identEnd(m);
    }
    if (word) {
      push('word', pos, pos + word.length);
      pos += word.length;
      continue;
    }
    const p = PUNCT.find((x) => s.startsWith(x, pos));
    if (!p) {
      throw NftError.at({ file, line, column: pos - lineStart + 1, endColumn: pos - lineStart + 1 }, 'syntax error, unexpected junk');
    }
    push('punct', pos, pos + p.length);
    pos += p.length;
  }
  tokens.push({ kind: 'eof', text: '', file, offset: s.length, line, column: s.length - lineStart + 1, endColumn: s.length - lineStart + 1 });
  return tokens;
}
