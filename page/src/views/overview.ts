/** The overview: agents, resources as bars, tasks by state, frameworks, offers, allocation timing, utilization chart. */
import { get } from '../api';
import { chartLegend, utilizationChart } from '../chart';
import { bar, dl, h, link, num, replace, section, stateBadge } from '../dom';
import type { Sample, Summary } from '../types';
import type { View } from './view';

export function overviewView(): View {
  const el = h('div', { class: 'grid' });
  return {
    el,
    title: 'Overview',
    async refresh() {
      const [s, u] = await Promise.all([
        get<Summary>('/api/v1/summary'),
        get<{ samples: Sample[] }>('/api/v1/utilization'),
      ]);
      const r = s.resources;
      const unreachable = s.agents.UNREACHABLE ?? 0;
      const up = (s.agents.ACTIVE ?? 0) + (s.agents.DRAINING ?? 0) + (s.agents.DRAINED ?? 0);
      const taskStates = Object.entries(s.tasks).sort((a, b) => b[1] - a[1]);
      replace(
        el,
        section(
          'Agents',
          h(
            'p',
            { class: 'big' },
            link('#/agents', `${up} up`),
            unreachable ? h('span', { class: 'bad-text' }, ` · ${unreachable} unreachable`) : ' · 0 unreachable',
          ),
          dl([
            ['draining', String(s.agents.DRAINING ?? 0)],
            ['drained', String(s.agents.DRAINED ?? 0)],
          ]),
        ),
        section(
          'Resources',
          bar('cpus', r.used.cpus ?? 0, r.total.cpus ?? 0),
          bar('mem', r.used.mem ?? 0, r.total.mem ?? 0, ' MB'),
          bar('disk', r.used.disk ?? 0, r.total.disk ?? 0, ' MB'),
        ),
        section(
          'Tasks',
          taskStates.length === 0
            ? h('p', {}, 'no tasks yet')
            : h(
                'ul',
                { class: 'counts' },
                ...taskStates.map(([state, n]) =>
                  h('li', {}, link(`#/tasks?state=${state}`, stateBadge(state)), ` ${n}`),
                ),
              ),
        ),
        section(
          'Frameworks',
          h(
            'p',
            { class: 'big' },
            link('#/frameworks', `${s.frameworks.connected} connected`),
            ` of ${s.frameworks.total}`,
          ),
          dl([['outstanding offers', String(s.outstandingOffers)]]),
        ),
        section(
          'Allocation',
          dl([
            ['interval', `${s.allocation.intervalMs} ms`],
            ['cycles', String(s.allocation.cycles)],
            ['last cycle', s.allocation.lastMs === null ? '-' : `${num(s.allocation.lastMs, 3)} ms`],
            ['mean (recent)', s.allocation.meanMs === null ? '-' : `${num(s.allocation.meanMs, 3)} ms`],
            ['p99 (recent)', s.allocation.p99Ms === null ? '-' : `${num(s.allocation.p99Ms, 3)} ms`],
          ]),
        ),
        h(
          'section',
          { class: 'card wide' },
          h('h2', {}, 'Utilization, last hour'),
          utilizationChart([...u.samples, nowSample(s)]),
          chartLegend(),
        ),
      );
    },
    wants: (e) => e.type !== 'OFFERS_MADE' && e.type !== 'OFFER_RESCINDED',
  };
}

/** The current state as the chart's last point, so it is never empty while the master samples every 10 s. */
function nowSample(s: Summary): Sample {
  const pair = (k: string): [number, number] => [s.resources.used[k] ?? 0, s.resources.total[k] ?? 0];
  return { t: s.now, cpus: pair('cpus'), mem: pair('mem'), disk: pair('disk'), running: s.tasks.TASK_RUNNING ?? 0 };
}
