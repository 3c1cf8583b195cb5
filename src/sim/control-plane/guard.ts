/**
 * RealTimeGuard: while a simulation runs, real time and real randomness are off limits to the
 * code under test — a component that reads Date.now(), new Date(), performance.now() or
 * Math.random, or arms a Node timer (setTimeout, setInterval), would make a seed stop replaying.
 * The guard replaces those globals with versions that record the caller's stack (the first few
 * uses are kept and fail the seed) and then behave as before, so the run can still finish and
 * say where the leak is.
 *
 * setImmediate is allowed (a component may yield a turn of the event loop; that is no source of
 * nondeterminism when nothing else is real) and counted, so the driver can drain every pending
 * turn before it moves virtual time.
 */

/** LEAKS_MAX: stacks kept; the first ones say where to look. */
const LEAKS_MAX = 5;

type AnyFn = (...args: never[]) => unknown;

/** RealTimeGuard is installed for one run and must be uninstalled after it. */
export class RealTimeGuard {
  /** What leaked: the API used and the stack of the use. */
  readonly leaks: string[] = [];
  private pendingImmediates = 0;
  private readonly restore: (() => void)[] = [];

  /** immediates: setImmediate callbacks armed and not yet run or cleared. */
  get immediates(): number {
    return this.pendingImmediates;
  }

  install(): void {
    const g = globalThis as unknown as Record<string, unknown>;
    const RealDate = Date;
    const leak = (what: string): void => this.leak(what);
    this.patch(g, 'setTimeout', (orig) => (...a: never[]) => (leak('setTimeout'), orig(...a)));
    this.patch(g, 'setInterval', (orig) => (...a: never[]) => (leak('setInterval'), orig(...a)));
    this.patch(Math as unknown as Record<string, unknown>, 'random',
      (orig) => () => (leak('Math.random'), orig()));
    this.patch(performance as unknown as Record<string, unknown>, 'now',
      (orig) => () => (leak('performance.now'), orig()));
    class GuardDate extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) leak('new Date()');
        super(...(args as []));
      }

      static override now(): number {
        leak('Date.now');
        return RealDate.now();
      }
    }
    this.patch(g, 'Date', () => GuardDate as unknown as AnyFn);
    this.countImmediates(g);
  }

  uninstall(): void {
    for (const r of this.restore.splice(0).reverse()) r();
  }

  private countImmediates(g: Record<string, unknown>): void {
    const armed = new Set<unknown>();
    this.patch(g, 'setImmediate', (orig) => (fn: (...a: unknown[]) => void, ...rest: never[]) => {
      this.pendingImmediates++;
      const handle = (orig as (...a: unknown[]) => unknown)((...a: unknown[]) => {
        if (armed.delete(handle)) this.pendingImmediates--;
        fn(...a);
      }, ...rest);
      armed.add(handle);
      return handle;
    });
    this.patch(g, 'clearImmediate', (orig) => (handle: never) => {
      if (armed.delete(handle)) this.pendingImmediates--;
      return orig(handle);
    });
  }

  private patch(obj: Record<string, unknown>, name: string, make: (orig: AnyFn) => AnyFn): void {
    const orig = obj[name] as AnyFn;
    obj[name] = make(orig.bind(obj) as AnyFn);
    this.restore.push(() => (obj[name] = orig));
  }

  private leak(what: string): void {
    if (this.leaks.length >= LEAKS_MAX) return;
    const stack = (new Error(what).stack ?? what).split('\n').slice(2, 9).join('\n');
    this.leaks.push(`${what} used by the code under simulation:\n${stack}`);
  }
}
