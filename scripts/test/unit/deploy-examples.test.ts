import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, readConfigFile } from '@wlm/commons/config';

/** The example config files of docs/deployment.md are valid wlm configuration. */
describe('deploy/config examples', () => {
  const dir = join(__dirname, '..', '..', '..', 'deploy', 'config');
  const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));

  it('has the controller and worker examples', () => {
    expect(files.sort()).toEqual(['controller.yaml', 'worker.yaml']);
  });

  it.each(files)('%s passes the config schema', (file) => {
    const result = configSchema.safeParse(readConfigFile(join(dir, file)));
    expect(result.error?.issues ?? []).toEqual([]);
  });
});
