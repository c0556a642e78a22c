/**
 * The tiny shell subset the fake containerizer "runs": `echo WORDS`, `echo WORDS >&2`, `sleep SECONDS`,
 * `exit CODE`, `true`, `false`, joined by `;`. Anything else exits 127 as sh would.
 */
export type FakeStep =
  | { op: 'echo'; text: string; stream: 'stdout' | 'stderr' }
  | { op: 'sleep'; ms: number }
  | { op: 'exit'; code: number }
  | { op: 'unknown'; command: string };

export function parseFakeScript(script: string): FakeStep[] {
  return script
    .split(/;|\n/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseStep);
}

function parseStep(s: string): FakeStep {
  const toStderr = /\s*>&2$/.test(s);
  const words = s.replace(/\s*>&2$/, '').split(/\s+/);
  switch (words[0]) {
    case 'echo':
      return { op: 'echo', text: `${words.slice(1).join(' ')}\n`, stream: toStderr ? 'stderr' : 'stdout' };
    case 'sleep':
      return { op: 'sleep', ms: Number(words[1] ?? 0) * 1000 };
    case 'exit':
      return { op: 'exit', code: Number(words[1] ?? 0) };
    case 'true':
      return { op: 'exit', code: 0 };
    case 'false':
      return { op: 'exit', code: 1 };
    default:
      return { op: 'unknown', command: words[0] ?? '' };
  }
}
