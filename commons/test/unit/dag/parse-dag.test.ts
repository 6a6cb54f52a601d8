import { parseDagDefinition } from '@wlm/commons/dag';
import { problemsOf } from './dag-test-support';

describe('parseDagDefinition', () => {
  it('reads JSON text with format json, and JSON text as YAML by default', () => {
    const text = JSON.stringify({
      type: 'pair',
      tasks: [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', after: ['a'] },
      ],
    });
    expect(parseDagDefinition(text, { format: 'json' }).tasks).toHaveLength(2);
    expect(parseDagDefinition(text)).toEqual(parseDagDefinition(text, { format: 'json' }));
  });

  it('names a YAML syntax error with its line and column', () => {
    const text = ['type: x', 'tasks:', '  - { id: a, type: echo', '  - { id: b, type: echo }', ''].join('\n');
    const [problem, ...rest] = problemsOf(() => parseDagDefinition(text));
    expect(problem).toMatch(/^YAML syntax error at line \d+, column \d+: /);
    expect(rest.every((line) => line.startsWith('YAML syntax error at line '))).toBe(true);
  });

  it('names a YAML error on the exact line: a tab used for indentation', () => {
    const text = 'type: x\ntasks:\n  - id: a\n\ttype: echo\n';
    expect(problemsOf(() => parseDagDefinition(text))[0]).toMatch(/^YAML syntax error at line 4, column 1: /);
  });

  it('rejects duplicate keys and several documents in YAML', () => {
    expect(problemsOf(() => parseDagDefinition('type: x\ntype: y\ntasks: []\n'))[0]).toMatch(
      /^YAML syntax error at line 2, column 1: Map keys must be unique/,
    );
    expect(problemsOf(() => parseDagDefinition('type: x\n---\ntype: y\n'))[0]).toMatch(
      /^YAML syntax error at line 2, column 1: Source contains multiple documents/,
    );
  });

  it('names a JSON syntax error with its line and column, whatever V8 reports', () => {
    const text = '{\n  "type": "x",\n  "tasks": [,]\n}';
    expect(problemsOf(() => parseDagDefinition(text, { format: 'json' }))).toEqual([
      "JSON syntax error at line 3, column 13: Unexpected token ','",
    ]);
    expect(problemsOf(() => parseDagDefinition('{\n  "type": "x",\n}', { format: 'json' }))).toEqual([
      'JSON syntax error at line 3, column 1: Expected double-quoted property name',
    ]);
    expect(problemsOf(() => parseDagDefinition('{"type": "x"', { format: 'json' }))).toEqual([
      "JSON syntax error at line 1, column 13: Expected ',' or '}' after property value",
    ]);
  });

  it('rejects empty text', () => {
    expect(problemsOf(() => parseDagDefinition('  \n# only a comment\n'))).toEqual([
      'the definition is empty; expected a mapping with "type" and "tasks"',
    ]);
  });

  it('rejects YAML values that JSON cannot hold', () => {
    const text = 'type: x\ntasks:\n  - { id: a, type: echo, params: { n: .inf, blob: !!binary aGk= } }\n';
    expect(problemsOf(() => parseDagDefinition(text))).toEqual([
      'task "a": params.n: not a finite number (Infinity)',
      expect.stringMatching(/^task "a": params\.blob: not a JSON value \((Buffer|Uint8Array)\)$/),
    ]);
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let level = 1; level < 8; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    expect(problemsOf(() => parseDagDefinition(lines.join('\n')))[0]).toMatch(/^YAML cannot be read: /);
  });

  it('applies the same validation as validateDagDefinition', () => {
    const text =
      'type: x\ntasks:\n  - { id: a, type: echo, after: [b] }\n  - { id: b, type: echo, after: [a] }\n';
    expect(problemsOf(() => parseDagDefinition(text))).toEqual(['cycle: a -> b -> a']);
  });
});
