/**
 * The variables a task process, and every command a plugin runs, take from the worker's own
 * environment: what a program needs to find its files, its user and its locale. Nothing here
 * authenticates anything, so the worker's credentials (broker and database URLs, API tokens, the
 * config file and what it holds) never reach task code by inheritance; whatever else a task needs
 * is declared — by the worker's operator (`wlm worker --task-env`), a compute resource
 * (`privateKeyPassphraseEnv`) or the task itself (the shell plugin's `env`).
 */
export const INHERITED_VARIABLES: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
];

/** `LC_ALL`, `LC_CTYPE`, …: the locale, split by category. */
const LOCALE_VARIABLE = /^LC_[A-Z]+$/;

/** Whether `name` is one of the {@link INHERITED_VARIABLES} or a locale category. */
export function isInheritedVariable(name: string): boolean {
  return INHERITED_VARIABLES.includes(name) || LOCALE_VARIABLE.test(name);
}

/**
 * The inherited part of `env` (by default this process's): {@link INHERITED_VARIABLES} and the
 * `LC_*` locale categories that are set, and nothing else.
 *
 * @example
 * ```ts
 * spawn(command, args, { env: { ...inheritedEnvironment(), ...params.env } });
 * ```
 */
export function inheritedEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && isInheritedVariable(name)) inherited[name] = value;
  }
  return inherited;
}
