import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsLab } from '../../src';

/*
 * The network lab of the multi-host tests cleans up after itself, and after a run that crashed:
 * whatever a lab whose process is gone left (namespaces, processes in them, links) is removed by the
 * next lab's creation. Needs root, as the lab does.
 */

jest.setTimeout(60_000);

const describeWithRoot = process.getuid?.() === 0 ? describe : describe.skip;

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
}

describeWithRoot('NetnsLab', () => {
  it('removes what a crashed run left: its namespaces, the processes in them, its links', async () => {
    // What a run killed mid-test leaves: a namespace with a process in it, a bridge, and the record.
    const id = `dead${process.pid % 1000}`;
    const netns = `wlm-${id}-h1`;
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['link', 'add', `wlb${id}`, 'type', 'bridge']);
    const sleeper = spawn('ip', ['netns', 'exec', netns, 'sleep', '600'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => sleeper.once('exit', resolve));
    const deadPid = spawnSync('true').pid;
    mkdirSync(join(tmpdir(), 'wlm-netns-labs'), { recursive: true });
    writeFileSync(
      join(tmpdir(), 'wlm-netns-labs', `${id}.json`),
      JSON.stringify({ pid: deadPid, netns: [netns], links: [`wlb${id}`] }),
    );

    const lab = await NetnsLab.create(1);
    try {
      await gone;
      expect(namespaces()).not.toContain(netns);
      expect(linkExists(`wlb${id}`)).toBe(false);
      // The new lab itself stands.
      expect(namespaces()).toContain(lab.hosts[0]?.netns);
    } finally {
      await lab.destroy();
    }
    expect(namespaces()).not.toContain(lab.hosts[0]?.netns);
    expect(linkExists(lab.bridge)).toBe(false);
  });
});
