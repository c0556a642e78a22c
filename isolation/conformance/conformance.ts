/**
 * One body of tests every containerizer must pass (native, Docker, the in-memory fake). Call
 * `describeConformance(target)` from a test file. Commands stay within a tiny shell subset that the
 * fake also understands: `echo WORD`, `echo WORD >&2`, `sleep N`, `exit N`, joined by `;`.
 */
import type { Container, ContainerExit, Containerizer, ContainerSpec } from '../containerizer';

export interface ConformanceTarget {
  name: string;
  /** A fresh instance; a second one stands in for the agent after a restart. */
  make(): Containerizer;
  /** A spec running `value` under sh (the target adds image, sandbox, labels…). */
  spec(value: string): ContainerSpec;
  /** Text of the task's sandbox file, once the output has arrived. */
  output(spec: ContainerSpec, name: 'stdout' | 'stderr'): string;
  /** What is left of a task after destroy (processes, cgroups, containers): empty when nothing. */
  leftovers(spec: ContainerSpec, container: Container): Promise<string[]>;
}

const isContainer = (x: Container | ContainerExit): x is Container => typeof (x as Container).wait === 'function';

export function describeConformance(t: ConformanceTarget): void {
  describe(`${t.name} containerizer conformance`, () => {
    const made: Container[] = [];
    const launch = async (c: Containerizer, spec: ContainerSpec): Promise<Container> => {
      const k = await c.launch(spec);
      made.push(k);
      return k;
    };
    afterAll(async () => {
      for (const k of made) {
        await k.kill(0);
        await k.destroy();
      }
    });

    it('is available', async () => {
      expect(await t.make().available()).toEqual({ ok: true });
    });

    it('runs a command with stdout and stderr in the sandbox, and reports exit code 0', async () => {
      const spec = t.spec('echo hello; echo oops >&2');
      const k = await launch(t.make(), spec);
      expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 0, signal: null });
      expect(t.output(spec, 'stdout')).toBe('hello\n');
      expect(t.output(spec, 'stderr')).toBe('oops\n');
      await k.destroy();
      expect(await t.leftovers(spec, k)).toEqual([]);
    });

    it('reports a non-zero exit code', async () => {
      const spec = t.spec('exit 3');
      const k = await launch(t.make(), spec);
      expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 3, message: 'exited with code 3' });
      await k.destroy();
    });

    it('kill ends the task as KILLED and destroy leaves nothing behind', async () => {
      const spec = t.spec('sleep 60');
      const k = await launch(t.make(), spec);
      await k.kill(2_000);
      expect(await k.wait()).toMatchObject({ reason: 'KILLED' });
      await k.destroy();
      await k.destroy(); // idempotent
      expect(await t.leftovers(spec, k)).toEqual([]);
    });

    it('reports usage with the memory limit', async () => {
      const spec = t.spec('sleep 60');
      const k = await launch(t.make(), spec);
      const u = await k.usage();
      expect(u.memLimitBytes).toBe(spec.memMb * 1024 * 1024);
      expect(u.cpuUserSeconds).toBeGreaterThanOrEqual(0);
      expect(u.memPeakBytes).toBeGreaterThanOrEqual(u.memBytes);
      expect(u.timestamp).toBeGreaterThan(0);
      await k.kill(0);
      await k.destroy();
    });

    it('recover re-attaches to a running task from its checkpoint, in a new instance', async () => {
      const spec = t.spec('sleep 60');
      const first = await launch(t.make(), spec);
      const checkpoint = JSON.parse(JSON.stringify(first.checkpoint));
      const again = await t.make().recover(checkpoint);
      if (!isContainer(again)) throw new Error(`expected a live container, got ${JSON.stringify(again)}`);
      made.push(again);
      await again.kill(1_000);
      expect(await again.wait()).toMatchObject({ reason: 'KILLED' });
      await again.destroy();
      expect(await t.leftovers(spec, again)).toEqual([]);
    });

    it('recover reports the real status of a task that ended meanwhile', async () => {
      const spec = t.spec('exit 5');
      const first = await launch(t.make(), spec);
      await first.wait();
      const exit = await t.make().recover(JSON.parse(JSON.stringify(first.checkpoint)));
      expect(isContainer(exit)).toBe(false);
      expect(exit).toMatchObject({ reason: 'EXITED', exitCode: 5 });
      await first.destroy();
      expect(await t.leftovers(spec, first)).toEqual([]);
    });
  });
}
