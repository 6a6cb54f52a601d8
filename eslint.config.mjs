import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

const throughIndex = [
  { group: ['@wlm/*/src/*', '@wlm/*/dist/*'], message: 'Import a package through its index.' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.wlm/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import/no-cycle': 'error',
      'no-restricted-imports': ['error', { patterns: throughIndex }],
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // A task process loads its plugin's imports, so a plugin imports the plugin SDK and, for SSH
    // work, the remote entry: any other entry of commons would bring the broker or Serf clients, the
    // stores' models or the config loader into every task process. And a plugin reads no
    // configuration: the worker hands each task the settings it may use (ctx.resources,
    // ctx.localRoots), so neither the config loader nor the environment (WLM_CONFIG, WLM_*) is a
    // plugin's to read.
    files: ['tasks/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...throughIndex,
            {
              group: ['@wlm/commons/*', '!@wlm/commons/plugin', '!@wlm/commons/remote'],
              message:
                "Import the plugin SDK, @wlm/commons/plugin (and @wlm/commons/remote for SSH work); a plugin reads no config: use the task's context (ctx.resources, ctx.localRoots).",
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message:
            "A plugin reads no configuration from the environment: use the task's context (ctx.resources, " +
            'ctx.localRoots), and inheritedEnvironment() for the environment of a command it runs.',
        },
      ],
    },
  },
  {
    files: ['scripts/src/cli/**/*.ts', '**/test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
