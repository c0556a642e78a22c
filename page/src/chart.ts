/** The utilization-over-time chart: cpus, mem and disk used as % of total, as SVG lines. */
import type { Sample } from './types';

const SERIES: { key: 'cpus' | 'mem' | 'disk'; label: string; cls: string }[] = [
  { key: 'cpus', label: 'cpus', cls: 's-cpus' },
  { key: 'mem', label: 'mem', cls: 's-mem' },
  { key: 'disk', label: 'disk', cls: 's-disk' },
];

export function utilizationChart(samples: Sample[], windowMs = 3_600_000): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const W = 1200,
    H = 180,
    L = 40,
    B = 18;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  const last = samples.at(-1);
  svg.setAttribute(
    'aria-label',
    last
      ? `Utilization over the last hour; now cpus ${pct(last.cpus)}%, mem ${pct(last.mem)}%, disk ${pct(last.disk)}%`
      : 'Utilization over the last hour: no samples yet',
  );
  const el = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text) e.textContent = text;
    svg.append(e);
    return e;
  };
  const end = last?.t ?? Date.now();
  const x = (t: number) => L + ((t - (end - windowMs)) / windowMs) * (W - L - 4);
  const y = (p: number) => 4 + (1 - p / 100) * (H - B - 8);
  for (const p of [0, 50, 100]) {
    el('line', { x1: L, x2: W - 4, y1: y(p), y2: y(p), class: 'grid' });
    el('text', { x: L - 4, y: y(p) + 4, 'text-anchor': 'end', class: 'axis' }, `${p}%`);
  }
  el('text', { x: L, y: H - 4, class: 'axis' }, '-60 min');
  el('text', { x: W - 4, y: H - 4, 'text-anchor': 'end', class: 'axis' }, 'now');
  for (const s of SERIES) {
    const pts = samples
      .filter((p) => p.t >= end - windowMs)
      .map((p) => `${x(p.t).toFixed(1)},${y(pct(p[s.key])).toFixed(1)}`);
    if (pts.length === 1) pts.push(pts[0].replace(/^[\d.]+/, String(W - 4)));
    el('polyline', { points: pts.join(' '), class: `series ${s.cls}` });
  }
  return svg;
}

export function chartLegend(): HTMLElement {
  const div = document.createElement('div');
  div.className = 'legend';
  for (const s of SERIES) {
    const span = document.createElement('span');
    span.className = `key ${s.cls}`;
    span.textContent = s.label;
    div.append(span);
  }
  return div;
}

const pct = ([used, total]: [number, number]) => (total > 0 ? Math.round((used / total) * 1000) / 10 : 0);
