// Splits nft source text into tokens with their source positions. Values
// (numbers, addresses, names, times) all come out as words: their meaning
// depends on the datatype of what they are compared with, which only the
// evaluator knows.
import { NftError, type SourceFile } from './errors.js';

// junk: a character nft's scanner has no token for, which its grammar
// then finds where nothing of the kind may be.
export type TokenKind = 'word' | 'string' | 'punct' | 'junk' | 'newline' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  file: SourceFile;
  line: number;
  column: number;
  endColumn: number;
  shownLine?: number;
}

const PUNCT_ONE = new Set(['{', '}', '(', ')', '[', ']', ';', ',', ':', '!', '=', '<', '>', '&', '|', '^', '/', '-', '+', '.', '@', '$', '*']);
const PUNCT_TWO = new Set(['==', '!=', '<=', '>=', '<<', '>>']);

const IPV4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/y;
const HEX = /0x[0-9a-fA-F]+/y;
const TIME = /(?:\d+(?:ms|d|h|m|s)(?![A-Za-z]))+/y;
const DECIMAL = /\d+(?![A-Za-z_0-9])/y;
// A MAC or other colon-separated hex string, e.g. 00:0f:54:0c:11:04.
const HEXCOLON = /[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}/y;
// A TC handle, major:minor in hex (nft's classid pattern): 1:1234, only
// where a blank, ':', '-', '}' or ',' follows (`25:accept` is a map's
// element).
const CLASSID = /[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}(?=[ \t\n:\-},]|$)/y;

function matchAt(re: RegExp, s: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m && m[0].length > 0 ? m[0] : null;
}

// The longest text at pos that is an IPv6 address in one of RFC 4291's
// forms (an IPv4 address ending it, ::ffff:192.0.2.1, included), as nft's
// scanner takes it, also before a map's colon
// (`1234:1234:1234:1234:1234:1234:aaaa:::accept`) and with eight groups
// around `::` (`::1234:1234:1234:1234:1234:1234:1234`).
function ipv6At(s: string, pos: number): string | null {
  const run = matchAt(/[0-9a-fA-F:.]+/y, s, pos);
  if (!run) return null;
  for (let end = run.length; end >= 2; end--) {
    const t = run.slice(0, end);
    if (validIpv6(t)) return t;
  }
  return null;
}

function validIpv6(t: string): boolean {
  // A dotted IPv4 address at the end stands for the last two groups.
  const v4 = /^(.*:)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(t);
  const body = v4 ? `${v4[1]}0:0` : t;
  if (body.includes('.')) return false;
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

function identEnd(text: string): string {
  // A trailing '-' or '.' or '/' belongs to the next token (ranges, prefixes).
  let end = text.length;
  while (end > 0 && (text[end - 1] === '-' || text[end - 1] === '.' || text[end - 1] === '/')) end--;
  return end === text.length ? text : text.slice(0, end);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

// Letters, digits and _ - / . continue a name.
function isIdentChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 45 || c === 47 || c === 46;
}

// Whether a colon follows the run of hex digits at pos: only then can the
// word be an IPv6 or MAC address.
function colonAhead(s: string, pos: number): boolean {
  let i = pos;
  while (i < s.length && isHex(s.charCodeAt(i))) i++;
  return s.charCodeAt(i) === 58;
}

// Tokens are made as the parser asks for them, so the many it does not
// keep (separators, punctuation) die young instead of outliving the parse.
export class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly file: SourceFile) {}

  private token(kind: TokenKind, start: number, end: number, text = this.file.text.slice(start, end)): Token {
    return { kind, text, file: this.file, line: this.line, column: start - this.lineStart + 1, endColumn: end - this.lineStart };
  }

  next(): Token {
    const file = this.file;
    const s = file.text;
    for (;;) {
      const pos = this.pos;
      if (pos >= s.length) {
        const eof = this.token('eof', s.length, s.length + 1, '');
        return eof.column === 1 && eof.line > 1 ? { ...eof, shownLine: eof.line - 1 } : eof;
      }
      const c = s[pos];
      if (c === '\n') {
        const t = this.token('newline', pos, pos + 1);
        this.pos = pos + 1;
        this.line++;
        this.lineStart = this.pos;
        return t;
      }
      // A carriage return is junk to nft's scanner, as in files with
      // CRLF line ends, which nft refuses.
      if (c === ' ' || c === '\t') { this.pos++; continue; }
      if (c === '\\' && s[pos + 1] === '\n') { this.pos += 2; this.line++; this.lineStart = this.pos; continue; }
      if (c === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
        continue;
      }
      // A quoted string may span lines, as nft's scanner reads it.
      if (c === '"') {
        let end = pos + 1;
        while (end < s.length && s[end] !== '"') end++;
        if (s[end] !== '"') {
          const lineEnd = s.indexOf('\n', pos);
          throw NftError.at({ file, line: this.line, column: pos - this.lineStart + 1, endColumn: (lineEnd < 0 ? s.length : lineEnd) - this.lineStart }, 'syntax error, unterminated string');
        }
        const t = this.token('string', pos, end + 1, s.slice(pos + 1, end));
        for (let i = s.indexOf('\n', pos); i >= 0 && i < end; i = s.indexOf('\n', i + 1)) {
          this.line++;
          this.lineStart = i + 1;
        }
        this.pos = end + 1;
        return t;
      }
      const word = wordAt(s, pos);
      if (word) {
        this.pos = pos + word.length;
        // nft's asteriskstring: a name with a star at its end is a wildcard
        // (an escaped star a literal one), the value a quoted string gives.
        const star = asteriskEnd(s, this.pos, word);
        if (star > this.pos) {
          this.pos = star;
          return this.token('string', pos, star);
        }
        return this.token('word', pos, this.pos, word);
      }
      if (c === '\\' && s[pos + 1] === '*') {
        this.pos = pos + 2;
        return this.token('string', pos, pos + 2);
      }
      const two = s.slice(pos, pos + 2);
      const p = PUNCT_TWO.has(two) ? two : PUNCT_ONE.has(c) ? c : undefined;
      if (!p) {
        this.pos = pos + 1;
        return this.token('junk', pos, pos + 1);
      }
      this.pos = pos + p.length;
      return this.token('punct', pos, this.pos, p);
    }
  }
}

// Where a star (or an escaped one) that ends the name before pos ends, or
// pos when none does: only names (a letter, _ or . first) take one.
function asteriskEnd(s: string, pos: number, word: string): number {
  const first = word.charCodeAt(0);
  if (!isLetter(first) && first !== 46) return pos;
  if (s[pos] === '*') return pos + 1;
  if (s[pos] === '\\' && s[pos + 1] === '*') return pos + 2;
  return pos;
}

// The value or name starting at pos, if one does.
function wordAt(s: string, pos: number): string | null {
  let word: string | null = null;
  const code = s.charCodeAt(pos);
  if ((isHex(code) || code === 58) && colonAhead(s, pos)) {
    word = ipv6At(s, pos) ?? matchAt(HEXCOLON, s, pos) ?? matchAt(CLASSID, s, pos);
  }
  if (!word && isDigit(code)) {
    // Most numbers are plain decimals: only a dot, a colon or a letter
    // after the digits calls for the patterns.
    let end = pos + 1;
    while (end < s.length && isDigit(s.charCodeAt(end))) end++;
    const after = s.charCodeAt(end);
    if (after !== 46 && after !== 58 && !isLetter(after)) return s.slice(pos, end);
    word = matchAt(IPV4, s, pos) ?? matchAt(HEX, s, pos) ?? matchAt(TIME, s, pos) ?? matchAt(DECIMAL, s, pos);
    if (!word) {
      const m = matchAt(/\d+[A-Za-z_][A-Za-z0-9_\-]*/y, s, pos);
      word = m ? identEnd(m) : null;
    }
  }
  // A name may start with a dot too (nft's string pattern): "1.2.3" is the
  // number 1 and the name ".2.3", while a dot on its own joins a
  // concatenation.
  if (!word && (isLetter(code) || (code === 46 && isIdentChar(s.charCodeAt(pos + 1))))) {
    let end = pos + 1;
    while (end < s.length && isIdentChar(s.charCodeAt(end))) end++;
    // A dot at the end of a name with nothing after it is the name's, as
    // nft's scanner takes it: it joins nothing.
    const next = s.charCodeAt(end);
    const lastDot = s.charCodeAt(end - 1) === 46 && (end >= s.length || next === 32 || next === 9 || next === 10 || next === 13);
    word = lastDot ? s.slice(pos, end) : identEnd(s.slice(pos, end));
  }
  return word;
}
