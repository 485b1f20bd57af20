/**
 * A strict parser for the JSON subset that a safetensors header may contain:
 *
 *   header   := '{' (key ':' (tensor | metadata)) (',' …)* '}' whitespace*
 *   tensor   := '{' "dtype": string, "shape": [uint*], "data_offsets": [uint, uint] '}'   (any order)
 *   metadata := '{' (string ':' string)* '}'                                              (key "__metadata__")
 *
 * Written by hand because `JSON.parse` silently keeps the last of two duplicate keys, accepts any value
 * type and cannot tell us where a problem sits. A header with a duplicate key, an unknown field, a float or
 * negative number, a number beyond 2^53 - 1, a value of the wrong type or anything after the closing brace
 * is refused. String escapes are decoded by `JSON.parse` on the already-delimited string token, so the
 * escape rules are the platform's, not ours. Nesting is at most two levels, so there is no recursion to
 * exhaust the stack.
 */

/** One tensor's entry, as written in the header (not yet checked against the byte buffer). */
export interface RawTensorInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly dataOffsets: readonly [number, number];
}

/** The parsed header: tensors in the order they appear in the JSON, and the optional metadata map. */
export interface RawHeader {
  readonly tensors: readonly RawTensorInfo[];
  readonly metadata: Readonly<Record<string, string>> | undefined;
}

/** A problem found by the parser; the reader wraps it in SAFETENSORS_INVALID. */
export class HeaderSyntaxError extends Error {}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Parses `text` (the decoded header) into tensors and metadata, or throws HeaderSyntaxError. */
export function parseHeaderJson(text: string): RawHeader {
  const p = new Cursor(text);
  if (text.charCodeAt(0) !== 0x7b) throw new HeaderSyntaxError('the header does not start with "{"');
  const tensors: RawTensorInfo[] = [];
  let metadata: Record<string, string> | undefined;
  const seen = new Set<string>();
  p.objectEntries((key) => {
    if (seen.has(key)) throw new HeaderSyntaxError(`duplicate key ${JSON.stringify(key)} in the header`);
    seen.add(key);
    if (key === '__metadata__') metadata = parseMetadata(p);
    else tensors.push(parseTensor(p, key));
  });
  p.skipWs();
  if (!p.atEnd()) throw new HeaderSyntaxError(`unexpected data after the header's closing brace at character ${p.pos}`);
  return { tensors, metadata };
}

function parseMetadata(p: Cursor): Record<string, string> {
  // A null-prototype object: keys such as "__proto__" are stored as plain data.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  p.objectEntries((key) => {
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      throw new HeaderSyntaxError(`duplicate key ${JSON.stringify(key)} in __metadata__`);
    }
    out[key] = p.expectString(`__metadata__[${JSON.stringify(key)}]`);
  });
  return out;
}

function parseTensor(p: Cursor, name: string): RawTensorInfo {
  let dtype: string | undefined;
  let shape: number[] | undefined;
  let offsets: number[] | undefined;
  const where = `tensor ${JSON.stringify(name)}`;
  p.objectEntries((field) => {
    if (field === 'dtype' && dtype === undefined) dtype = p.expectString(`${where}.dtype`);
    else if (field === 'shape' && shape === undefined) shape = p.uintArray(`${where}.shape`);
    else if (field === 'data_offsets' && offsets === undefined) offsets = p.uintArray(`${where}.data_offsets`);
    else if (field === 'dtype' || field === 'shape' || field === 'data_offsets') {
      throw new HeaderSyntaxError(`${where} has a duplicate field "${field}"`);
    } else {
      throw new HeaderSyntaxError(`${where} has an unknown field ${JSON.stringify(field)} (allowed: dtype, shape, data_offsets)`);
    }
  });
  const missing = [dtype === undefined ? 'dtype' : '', shape === undefined ? 'shape' : '', offsets === undefined ? 'data_offsets' : '']
    .filter((s) => s !== '');
  if (missing.length > 0) throw new HeaderSyntaxError(`${where} lacks ${missing.join(', ')}`);
  if (offsets?.length !== 2) throw new HeaderSyntaxError(`${where}.data_offsets must hold exactly two integers [begin, end]`);
  return { name, dtype: dtype ?? '', shape: shape ?? [], dataOffsets: [offsets[0] ?? 0, offsets[1] ?? 0] };
}

/** A position in the header text with the few token readers the grammar needs. */
class Cursor {
  pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipWs(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos); // NaN past the end: not whitespace
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  expectChar(ch: string): void {
    this.skipWs();
    if (this.text[this.pos] !== ch) {
      throw new HeaderSyntaxError(`expected "${ch}" at character ${this.pos}, found ${this.describeHere()}`);
    }
    this.pos++;
  }

  /** Reads `{ "k": <value read by onEntry>, … }`; onEntry must consume the value. */
  objectEntries(onEntry: (key: string) => void): void {
    this.expectChar('{');
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      const key = this.expectString('an object key');
      this.expectChar(':');
      onEntry(key);
      this.skipWs();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return;
      if (c !== ',') throw new HeaderSyntaxError(`expected "," or "}" at character ${this.pos - 1}, found ${this.describe(c)}`);
    }
  }

  /** Reads a JSON string token; escapes are decoded by JSON.parse on the delimited token. */
  expectString(what: string): string {
    this.skipWs();
    if (this.text[this.pos] !== '"') throw new HeaderSyntaxError(`${what} must be a string (at character ${this.pos}, found ${this.describeHere()})`);
    const start = this.pos;
    this.pos++;
    let escaped = false;
    for (;;) {
      if (this.pos >= this.text.length) throw new HeaderSyntaxError(`unterminated string starting at character ${start}`);
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c < 0x20) throw new HeaderSyntaxError(`control character inside a string at character ${this.pos}`);
      if (c === 0x5c) escaped = true;
      this.pos += c === 0x5c ? 2 : 1; // a backslash escapes the next character
    }
    this.pos++;
    // Fast path: without a backslash the token's inside is the string itself.
    if (!escaped) return this.text.slice(start + 1, this.pos - 1);
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch (e) {
      throw new HeaderSyntaxError(`invalid escape in the string starting at character ${start}`, { cause: e });
    }
  }

  /** Reads `[n, n, …]` of non-negative integers no larger than Number.MAX_SAFE_INTEGER. */
  uintArray(what: string): number[] {
    this.expectChar('[');
    const out: number[] = [];
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.uint(what));
      this.skipWs();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') throw new HeaderSyntaxError(`${what}: expected "," or "]" at character ${this.pos - 1}, found ${this.describe(c)}`);
    }
  }

  private uint(what: string): number {
    this.skipWs();
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < DIGIT_0 || c > DIGIT_9) break;
      this.pos++;
    }
    const digits = this.text.slice(start, this.pos);
    const next = this.text[this.pos];
    if (digits === '' || next === '.' || next === 'e' || next === 'E') {
      throw new HeaderSyntaxError(`${what} must hold non-negative integers (at character ${start}, found ${this.describe(this.text[start])})`);
    }
    if (digits.length > 1 && digits.startsWith('0')) throw new HeaderSyntaxError(`${what}: number with a leading zero at character ${start}`);
    // 16+ digits may exceed 2^53 - 1; compare exactly before converting so no precision is lost silently.
    if (digits.length > 16 || (digits.length === 16 && BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER))) {
      throw new HeaderSyntaxError(`${what}: the number ${digits.slice(0, 24)}${digits.length > 24 ? '…' : ''} is too large`);
    }
    return Number(digits);
  }

  private describeHere(): string {
    return this.describe(this.text[this.pos]);
  }

  private describe(c: string | undefined): string {
    return c === undefined ? 'the end of the header' : JSON.stringify(c);
  }
}
