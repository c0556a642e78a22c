/**
 * `agora deploy`, the pure generators: what an operator would otherwise write by hand for a multi-host cluster
 * (docs/deploy.md) — each host's nats-server cluster config and a systemd unit per component. No I/O here.
 */

export interface DeployHost {
  name: string;
  address: string;
}

export const NATS_CLIENT_PORT = 4222;
export const NATS_CLUSTER_PORT = 6222;

/** `a=10.0.0.1,b=10.0.0.2,c=10.0.0.3` (or bare addresses, named h1, h2, …) → hosts; bad input names the item. */
export function parseHosts(text: string): DeployHost[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error("--hosts: give at least one host, e.g. 'a=10.0.0.1,b=10.0.0.2,c=10.0.0.3'");
  const hosts = items.map((item, i) => {
    const [name, address] = item.includes('=') ? (item.split('=', 2) as [string, string]) : [`h${i + 1}`, item];
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(name))
      throw new Error(`--hosts: '${name}' in '${item}' is not a host name (letters, digits, - and _)`);
    if (!/^[A-Za-z0-9.:-]+$/.test(address) || address.length > 253)
      throw new Error(`--hosts: '${address}' in '${item}' is not an address or DNS name`);
    return { name, address };
  });
  for (const key of ['name', 'address'] as const) {
    const seen = new Set<string>();
    for (const h of hosts) {
      if (seen.has(h[key])) throw new Error(`--hosts: ${key} '${h[key]}' appears twice`);
      seen.add(h[key]);
    }
  }
  return hosts;
}

export interface NatsConfigOptions {
  storeDir: string;
  clusterName?: string;
  /** Where clients connect; default every interface. */
  clientListen?: string;
  header?: string;
}

/** One node's nats-server config: its own name, JetStream, a cluster listener on its address and a route to every other host. */
export function natsNodeConfig(h: DeployHost, all: readonly DeployHost[], o: NatsConfigOptions): string {
  const routes = all
    .filter((x) => x.name !== h.name)
    .map((x) => `    "nats-route://${x.address}:${NATS_CLUSTER_PORT}"`);
  return [
    `# ${o.header ?? `nats-server for ${h.name} (${h.address}), written by agora deploy nats-config`}`,
    `server_name: ${h.name}`,
    `listen: ${o.clientListen ?? '0.0.0.0'}:${NATS_CLIENT_PORT}`,
    `jetstream { store_dir: ${JSON.stringify(o.storeDir)} }`,
    'cluster {',
    `  name: ${o.clusterName ?? 'agora'}`,
    `  listen: ${h.address}:${NATS_CLUSTER_PORT}`,
    `  routes: [\n${routes.join('\n')}\n  ]`,
    '}',
    '',
  ].join('\n');
}

export interface SystemdOptions {
  /** The `agora` executable on the hosts, e.g. /opt/agora/bin/agora. */
  agora: string;
  natsServer: string;
  natsConfig: string;
  dataDir: string;
  /** Hosts that run a master (the others run nats-server and an agent). */
  masters: readonly string[];
}

function unit(description: string, exec: string, after: string[], extra: string[] = []): string {
  return [
    '[Unit]',
    `Description=${description}`,
    ...(after.length ? [`After=${after.join(' ')}`, `Wants=${after.join(' ')}`] : []),
    '',
    '[Service]',
    `ExecStart=${exec}`,
    'Restart=on-failure',
    'RestartSec=2',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    ...extra,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The systemd units for host `h`: file name → content. */
export function systemdUnits(h: DeployHost, o: SystemdOptions): Record<string, string> {
  const nats = `nats://${h.address}:${NATS_CLIENT_PORT}`;
  const units: Record<string, string> = {
    'agora-nats.service': unit(
      `Agora: nats-server cluster node ${h.name}`,
      `${o.natsServer} -c ${o.natsConfig}`,
      ['network-online.target'],
      ['LimitNOFILE=65536'],
    ),
    'agora-agent.service': unit(
      `Agora agent on ${h.name}`,
      `${o.agora} agent --nats ${nats} --hostname ${h.address} --work-dir ${o.dataDir}/agent`,
      ['agora-nats.service'],
      ['KillMode=process'],
    ),
  };
  if (o.masters.includes(h.name)) {
    units['agora-master.service'] = unit(
      `Agora master on ${h.name}`,
      `${o.agora} master --nats ${nats} --data-dir ${o.dataDir}/master`,
      ['agora-nats.service'],
    );
  }
  return units;
}
