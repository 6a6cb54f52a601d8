import { relative } from 'node:path';
import { Command } from 'commander';
import { findCheckoutRoot, scaffoldPlugin } from '../plugin-scaffold/plugin-scaffold';

/** `wlm plugin new NAME`. */
export function pluginCommand(): Command {
  const plugin = new Command('plugin').description('work on task plugins (packages of task types)');
  plugin
    .command('new')
    .description('scaffold a task plugin package under tasks/<name> of this wlm checkout')
    .argument('<name>', 'the task type it serves, e.g. word-count (DAG tasks name it in `type`)')
    .addHelpText(
      'after',
      '\nCreates @wlm/task-<name>: a plugin with input and output schemas, progress, cancellation and a\n' +
        "failure code, and its unit test; adds it to the checkout's tsconfig.json. The guide:\n" +
        'docs/writing-a-plugin.md.',
    )
    .action(async (name: string) => {
      const root = findCheckoutRoot(process.cwd());
      const { directory, files } = await scaffoldPlugin(root, name);
      for (const file of files) console.log(`wrote ${file}`);
      const where = relative(process.cwd(), directory) || '.';
      console.log(
        `\nnext:\n` +
          `  npm install                 # links @wlm/task-${name} into node_modules\n` +
          `  npx tsc --build             # builds it with the rest\n` +
          `  npx jest ${where}/test --selectProjects unit\n` +
          `  npx wlm worker --name w1 --tasks ${name} --slots 2`,
      );
    });
  return plugin;
}
