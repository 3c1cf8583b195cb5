/**
 * The `k8ts` command. Each subcommand is a thin layer over src/cluster: parse flags, call the
 * supervisor or a member client, print. Operating errors (no cluster, member down, bad config)
 * go to stderr with exit code 1; anything else is a bug and prints its stack.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../base/clock.js';
import { ConfigError, defaultClusterConfig, loadClusterConfig, type ClusterConfig } from '../cluster/config.js';
import { MemberClients } from '../cluster/member-client.js';
import { Supervisor, SupervisorError } from '../cluster/supervisor.js';
import { RpcError } from '../rpc/errors.js';
import { nodesTable, statusTable } from './table.js';

const USAGE = `usage: k8ts <command> [flags]
  up [-f cluster-configs/X.yaml] [--name N] [--force] [--no-merge]
                                   start the cluster; returns once the store has a leader, every
                                   API server is ready and every node is Ready (kubeconfig merged
                                   as context k8ts-<name>)
  status [--name N]                each member: role, term, leader, commit, applied; each master's
                                   API server, controller manager and scheduler; each node's
                                   kubelet, runtime, kube-proxy, Ready status and pods
  propose <text> [--name N]        append an entry through any member
  kill <node>[/<component>] [--name N]       SIGKILL a node, or one of its components (store,
                                   apiserver, controller-manager, scheduler, kubelet, runtime,
                                   proxy)
  restart <node>[/<component>] [--name N]    start it again (the store on its data dir)
  logs <node>[/<component>] [--name N] [--tail N]   print a component's log (default: the
                                   store on a master, the kubelet on a worker)
  down [--name N] [--purge]        stop everything (--purge deletes all state and the kubeconfig
                                   context)`;

/** UsageError: bad command line; printed with the usage text. */
class UsageError extends Error {
  override name = 'UsageError';
}

interface Io {
  out(line: string): void;
  err(line: string): void;
}

const OPTIONS = {
  file: { type: 'string', short: 'f' },
  name: { type: 'string' },
  force: { type: 'boolean' },
  purge: { type: 'boolean' },
  tail: { type: 'string' },
  'no-merge': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** run executes one command line and returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const [cmd, ...rest] = positionals;
    if (values.help || cmd === undefined || cmd === 'help') {
      io.out(USAGE);
      return cmd === undefined && !values.help ? 1 : 0;
    }
    const opts = { clock: systemClock, log: (l: string) => io.out(l) };
    const name = values.name ?? 'default';
    switch (cmd) {
      case 'up': {
        const cfg = upConfig(values.file, values.name, values.force === true);
        const workers = cfg.nodes.filter((n) => n.role === 'worker').length;
        io.out(`k8ts up: cluster ${cfg.name}, ${cfg.members.length} master(s)` +
          `${workers > 0 ? `, ${workers} worker(s)` : ''}, config ${cfg.source}`);
        const env = values['no-merge'] ? { ...process.env, K8TS_NO_MERGE: '1' } : process.env;
        await new Supervisor(cfg, { ...opts, env }).up();
        io.out(upHint(cfg));
        return 0;
      }
      case 'status': {
        const sup = Supervisor.open(name, opts);
        io.out(statusTable(await sup.rows()));
        if (sup.cfg.nodes.length > 0) io.out(`\n${nodesTable(await sup.nodes())}`);
        return 0;
      }
      case 'logs':
        return printLog(Supervisor.open(name, opts).logFileOf(one(rest, 'logs <node>[/component]')), values.tail, io);
      case 'propose':
        return await propose(Supervisor.open(name, opts).cfg, one(rest, 'propose <text>', true), io);
      case 'kill':
        Supervisor.open(name, opts).kill(one(rest, 'kill <node>[/component]'));
        return 0;
      case 'restart': {
        const target = one(rest, 'restart <node>[/component]');
        const s = await Supervisor.open(name, opts).restart(target);
        io.out(s ? `${s.name} is back: role ${s.role}, term ${s.term}, commit ${s.commit}, applied ${s.applied}` : `${target} is back`);
        return 0;
      }
      case 'down': {
        const n = await Supervisor.open(name, opts).down(values.purge === true);
        io.out(`cluster ${name}: stopped ${n} member(s)${values.purge ? ', state purged' : ''}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (err) {
    return report(err, io);
  }
}

/** printLog prints a component's log file, or its last --tail lines. */
function printLog(file: string, tail: string | undefined, io: Io): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new SupervisorError(`no log at ${file} (the component never started)`);
  }
  const n = tail === undefined ? undefined : Number(tail);
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new UsageError(`--tail ${tail}: not a line count`);
  const lines = text.trimEnd().split('\n');
  io.out((n === undefined ? lines : lines.slice(-n)).join('\n'));
  return 0;
}

function upHint(cfg: ClusterConfig): string {
  const endpoints = cfg.members.map((m) => m.client ?? m.address).join(',');
  const nameFlag = cfg.name === 'default' ? '' : ` --name ${cfg.name}`;
  const lines = [`cluster ${cfg.name} is up. Try:`, `  npm run k8ts -- status${nameFlag}`];
  if (cfg.nodes.length > 0) {
    lines.push(`  kubectl --context k8ts-${cfg.name} get nodes -o wide`);
    lines.push(`  kubectl --context k8ts-${cfg.name} get pods -n kube-system -o wide`);
  } else if (cfg.members.some((m) => m.api !== undefined)) {
    lines.push(`  kubectl --context k8ts-${cfg.name} get namespaces`);
  }
  lines.push(`  ETCDCTL_API=3 etcdctl --endpoints=${endpoints} member list`);
  return lines.join('\n');
}

function upConfig(file: string | undefined, name: string | undefined, force: boolean): ClusterConfig {
  const cfg = file === undefined ? defaultClusterConfig({ force }) : loadClusterConfig(file, { force });
  if (name !== undefined) cfg.name = name;
  return cfg;
}

function one(rest: string[], usage: string, join = false): string {
  if (rest.length === 0 || (!join && rest.length > 1)) throw new UsageError(`usage: k8ts ${usage}`);
  return rest.join(' ');
}

async function propose(cfg: ClusterConfig, text: string, io: Io): Promise<number> {
  const clients = new MemberClients(cfg);
  try {
    const { res, via } = await clients.propose(Buffer.from(text), systemClock, 10_000);
    io.out(`committed at index ${res.index}, term ${res.term} (via ${via.name})`);
    return 0;
  } finally {
    clients.close();
  }
}

function report(err: unknown, io: Io): number {
  if (err instanceof UsageError) {
    io.err(`k8ts: ${err.message}\n${USAGE}`);
  } else if (err instanceof ConfigError || err instanceof SupervisorError || err instanceof RpcError) {
    io.err(`k8ts: ${err.message}`);
  } else if (err instanceof Error && 'code' in err && err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    io.err(`k8ts: ${err.message}\n${USAGE}`);
  } else {
    io.err(`k8ts: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  return 1;
}

/** cliMain runs the process's command line and sets its exit code (used by bin/k8ts.js). */
export async function cliMain(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  });
}

/** Run when executed directly: node --import tsx src/cli/main.ts ... */
function isEntry(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntry()) await cliMain();
