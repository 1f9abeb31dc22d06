import { describe, expect, it } from 'vitest';
import { SubscriberRouter, type Subscriber } from '../../src/core/subscriber-router.ts';

const line = (seq: number, type = 'token') => JSON.stringify({ type, job: 'j1', seq });
function subscriber(id: string): Subscriber & { got: string[] } {
  const got: string[] = [];
  return { got, identity: { kind: 'user', id, name: id } as Subscriber['identity'], deliverEvent: (job, l) => void got.push(`${job}#${JSON.parse(l).seq}`), deliverStatus: () => {} };
}

describe('SubscriberRouter', () => {
  it('tells the bus when a space gets its first watcher and loses its last, and when anyone watches everything', () => {
    const calls: string[] = [];
    const router = new SubscriberRouter(
      () => true,
      (space, on) => void calls.push(`${space ?? '*'} ${on ? 'on' : 'off'}`),
    );
    const [a, b] = [subscriber('a'), subscriber('b')];
    router.subscribeSpace('s1', a);
    router.subscribeSpace('s1', b);
    router.unsubscribeSpace('s1', a);
    router.unsubscribeSpace('s1', a); // not there any more: nothing
    router.subscribeAll(a);
    router.subscribeAll(b);
    router.unsubscribeAll(a);
    router.subscribeSpace('s2', a);
    router.drop(b, [], ['s1']);
    router.drop(a, [], ['s2']);
    expect(calls).toEqual(['s1 on', '* on', 's2 on', 's1 off', '* off', 's2 off']);
  });

  it('gives an event delivered for followers to the job’s subscribers only, one for watchers to the rest, each once', () => {
    const router = new SubscriberRouter(() => true);
    const [follower, watcher, both] = [subscriber('f'), subscriber('w'), subscriber('b')];
    router.subscribeJob('j1', follower);
    router.subscribeJob('j1', both);
    router.subscribeSpace('s1', watcher);
    router.subscribeSpace('s1', both);
    router.routeEvent('s1', 'j1', 'u', line(1), false, 'followers');
    router.routeEvent('s1', 'j1', 'u', line(1), false, 'watchers');
    router.routeEvent('s1', 'j1', 'u', line(2), false); // a bus that delivers everything everywhere
    // A final event for watchers leaves the job's subscribers theirs to come.
    router.routeEvent('s1', 'j1', 'u', line(3, 'result'), true, 'watchers');
    router.routeEvent('s1', 'j1', 'u', line(3, 'result'), true, 'followers');
    router.routeEvent('s1', 'j1', 'u', line(4), false, 'followers'); // after the final: no one follows
    expect(follower.got).toEqual(['j1#1', 'j1#2', 'j1#3']);
    expect(both.got).toEqual(['j1#1', 'j1#2', 'j1#3']);
    expect(watcher.got).toEqual(['j1#1', 'j1#2', 'j1#3']);
  });
});
