/** Characters JSON allows between tokens. */
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /[0-9a-fA-F]{4}/y;

/** Offset just past a JSON string starting at `at`, or -1 - (offset of the fault). */
function skipString(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const char = text[at];
    if (char === undefined || char < ' ') return -1 - at;
    if (char === '"') return at + 1;
    if (char !== '\\') {
      at += 1;
      continue;
    }
    const escape = text[at + 1];
    if (escape === 'u') {
      HEX4.lastIndex = at + 2;
      if (!HEX4.test(text)) return -1 - at;
      at += 6;
    } else if (escape !== undefined && ESCAPES.has(escape)) {
      at += 2;
    } else {
      return -1 - at;
    }
  }
}

/** Offset just past the scalar at `at`, or -1 - (offset of the fault). */
function skipScalar(text: string, at: number): number {
  if (text[at] === '"') return skipString(text, at);
  for (const literal of ['true', 'false', 'null'])
    if (text.startsWith(literal, at)) return at + literal.length;
  NUMBER.lastIndex = at;
  return NUMBER.test(text) ? NUMBER.lastIndex : -1 - at;
}

/**
 * Where strict JSON text first goes wrong, or undefined when it is valid. Node 20's `JSON.parse`
 * omits the position for some errors ("Unexpected token …"), and a user needs the line; this
 * scanner finds it without depending on V8's wording. Iterative, so deep nesting cannot overflow.
 */
export function jsonErrorOffset(text: string): number | undefined {
  const closers: string[] = [];
  let expect: 'value' | 'key' | 'after' = 'value';
  let at = 0;
  for (;;) {
    while (WHITESPACE.has(text[at] ?? '')) at += 1;
    const char = text[at];
    if (expect === 'after') {
      const closer = closers.at(-1);
      if (closer === undefined) return char === undefined ? undefined : at;
      if (char === ',') expect = closer === '}' ? 'key' : 'value';
      else if (char === closer) closers.pop();
      else return at;
      at += 1;
    } else if (expect === 'key') {
      if (char !== '"') return at;
      const end = skipString(text, at);
      if (end < 0) return -1 - end;
      at = end;
      while (WHITESPACE.has(text[at] ?? '')) at += 1;
      if (text[at] !== ':') return at;
      at += 1;
      expect = 'value';
    } else if (char === '{' || char === '[') {
      closers.push(char === '{' ? '}' : ']');
      at += 1;
      while (WHITESPACE.has(text[at] ?? '')) at += 1;
      // An empty container closes at once; otherwise its first key or element follows.
      if (text[at] === closers.at(-1)) {
        closers.pop();
        at += 1;
        expect = 'after';
      } else {
        expect = char === '{' ? 'key' : 'value';
      }
    } else {
      const end = skipScalar(text, at);
      if (end < 0) return -1 - end;
      at = end;
      expect = 'after';
    }
  }
}
