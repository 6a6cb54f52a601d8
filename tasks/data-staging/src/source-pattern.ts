import { shellQuote } from '@wlm/commons/remote';

/** Characters that make a path's last component a glob, on either side. */
const GLOB_CHARS = /[*?[]/;
/**
 * What a glob may be made of: its pattern is expanded unquoted by the resource's shell, so it must
 * hold nothing the shell would read as anything but a glob (no spaces, `$`, quotes or `;`).
 */
const GLOB_PATTERN = /^[A-Za-z0-9_.*?[\]-]+$/;

/** A source path split into its directory and last component, and whether that component is a glob. */
export interface SourcePattern {
  /** Everything before the last `/`: `''` for a bare name, `/` for a name at the root. */
  readonly dir: string;
  readonly name: string;
  readonly glob: boolean;
}

/** Splits `source` at its last `/` (after trailing slashes, which a valid source does not have). */
export function sourcePattern(source: string): SourcePattern {
  const slash = source.lastIndexOf('/');
  const dir = slash < 0 ? '' : slash === 0 ? '/' : source.slice(0, slash);
  const name = source.slice(slash + 1);
  return { dir, name, glob: GLOB_CHARS.test(name) };
}

/**
 * What is wrong with `source` as a staging source, or undefined when it is fine: it must name a file
 * or a glob of files, a glob only in its last component and made of `A-Z a-z 0-9 _ . - * ? [ ]`.
 */
export function sourcePatternIssue(source: string): string | undefined {
  if (source.endsWith('/')) {
    return `"${source}" names a directory; stage its files with a glob such as "${source}*"`;
  }
  const { dir, name, glob } = sourcePattern(source);
  if (GLOB_CHARS.test(dir)) {
    return `"${source}" has a glob in a directory name; only the last path component may be a glob (e.g. "data/*.csv")`;
  }
  if (glob && !GLOB_PATTERN.test(name)) {
    return (
      `the glob "${name}" may only use letters, digits and _ . - * ? [ ] ` +
      '(a name with other characters is staged by its literal path, without a glob)'
    );
  }
  if (glob) {
    try {
      globMatcher(name);
    } catch {
      return `the glob "${name}" has an invalid character range (e.g. "[z-a]")`;
    }
  }
  if (name === '.' || name === '..') return `"${source}" names a directory, not a file`;
  return undefined;
}

/** True when `path` names a directory to stage into: it ends with `/`. */
export function isDirectoryDestination(path: string): boolean {
  return path.endsWith('/');
}

/**
 * A POSIX shell command that prints, NUL-separated, the regular files in `dir` (absolute) that match
 * `pattern` (checked by {@link sourcePatternIssue}): the directory is quoted, the pattern is not,
 * so the resource's shell expands it. Prints nothing when nothing matches or `dir` does not exist.
 */
export function remoteGlobCommand(dir: string, pattern: string): string {
  if (!GLOB_PATTERN.test(pattern)) throw new TypeError(`not a valid staging glob: ${pattern}`);
  const prefix = dir === '/' ? '/' : `${shellQuote(dir)}/`;
  return `for f in ${prefix}${pattern}; do if [ -f "$f" ]; then printf '%s\\0' "$f"; fi; done`;
}

/**
 * A RegExp for file names matching the glob `pattern` as a POSIX shell matches them: `*` any run of
 * characters, `?` one, `[a-c_]` one of a set (a `]` first in the set is literal; an unclosed `[` is
 * literal), and a leading `.` only matched by a literal leading `.` (no dotfiles for `*`).
 *
 * @throws SyntaxError for an invalid range such as `[z-a]`.
 */
export function globMatcher(pattern: string): RegExp {
  let source = pattern.startsWith('.') ? '' : '(?!\\.)';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] ?? '';
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      const set = pattern.slice(i + 1, close);
      source += `[${set.replace(/[\\\][^]/g, '\\$&')}]`;
      i = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
