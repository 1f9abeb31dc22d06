/**
 * A queue of ids ordered by rank (lower first; equal ranks keep the order they joined in) in which
 * every operation — join anywhere, leave from anywhere, the position of an id, the ids at positions
 * i..j — costs O(log n) in the queue's length, so a queue of 100,000 jobs costs a dispatch or a
 * cancel what a queue of ten does. A treap (a binary search tree kept balanced by random
 * priorities) whose nodes count their subtrees: positions are counted on the way down.
 */

interface Node {
  readonly id: string;
  readonly rank: number;
  /** Order of joining: breaks ties between equal ranks. */
  readonly seq: number;
  /** The heap priority that keeps the tree balanced (random). */
  readonly weight: number;
  size: number;
  left: Node | null;
  right: Node | null;
}

const sizeOf = (n: Node | null): number => (n ? n.size : 0);
const resize = (n: Node): Node => ((n.size = 1 + sizeOf(n.left) + sizeOf(n.right)), n);
/** Whether `a` goes before `b`. */
const precedes = (a: Node, b: Node): boolean => a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq);

/** Splits `t` into the nodes before `key` and the rest. */
function split(t: Node | null, key: Node): [Node | null, Node | null] {
  if (!t) return [null, null];
  if (precedes(t, key)) {
    const [l, r] = split(t.right, key);
    t.right = l;
    return [resize(t), r];
  }
  const [l, r] = split(t.left, key);
  t.left = r;
  return [l, resize(t)];
}

/** Joins two trees, every node of `a` before every node of `b`. */
function merge(a: Node | null, b: Node | null): Node | null {
  if (!a || !b) return a ?? b;
  if (a.weight > b.weight) {
    a.right = merge(a.right, b);
    return resize(a);
  }
  b.left = merge(a, b.left);
  return resize(b);
}

function without(t: Node, key: Node): Node | null {
  if (t === key) return merge(t.left, t.right);
  if (precedes(key, t)) t.left = without(t.left!, key);
  else t.right = without(t.right!, key);
  return resize(t);
}

function collect(t: Node | null, start: number, end: number, offset: number, out: string[]): void {
  if (!t || end <= offset || start >= offset + t.size) return;
  collect(t.left, start, end, offset, out);
  const here = offset + sizeOf(t.left);
  if (here >= start && here < end) out.push(t.id);
  collect(t.right, start, end, here + 1, out);
}

/** In order, the ids of rank at most `upTo` until `out` holds `limit`: the subtrees past either bound are not visited. */
function collectUpTo(t: Node | null, upTo: number, limit: number, out: string[]): void {
  if (!t || out.length >= limit) return;
  collectUpTo(t.left, upTo, limit, out);
  if (t.rank > upTo || out.length >= limit) return;
  out.push(t.id);
  collectUpTo(t.right, upTo, limit, out);
}

export class RankedQueue {
  private root: Node | null = null;
  private readonly nodes = new Map<string, Node>();
  private joined = 0;

  get length(): number {
    return this.nodes.size;
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** Places `id` after every id of a lower or equal rank; answers its position. */
  join(id: string, rank: number): number {
    const node: Node = { id, rank, seq: ++this.joined, weight: Math.random(), size: 1, left: null, right: null };
    this.nodes.set(id, node);
    const [before, after] = split(this.root, node);
    const position = sizeOf(before); // read before merging resizes it
    this.root = merge(merge(before, node), after);
    return position;
  }

  /** Takes `id` out; answers the position it had (-1: not here). */
  leave(id: string): number {
    const node = this.nodes.get(id);
    if (!node) return -1;
    const position = this.position(id);
    this.nodes.delete(id);
    this.root = without(this.root!, node);
    return position;
  }

  /** Where `id` is (0: the head), or -1. */
  position(id: string): number {
    const node = this.nodes.get(id);
    if (!node) return -1;
    let position = 0;
    for (let t = this.root; t; ) {
      if (t === node) return position + sizeOf(t.left);
      if (precedes(node, t)) t = t.left;
      else {
        position += sizeOf(t.left) + 1;
        t = t.right;
      }
    }
    return -1;
  }

  /** The head: its id and rank. */
  head(): { id: string; rank: number } | undefined {
    let t = this.root;
    while (t?.left) t = t.left;
    return t ? { id: t.id, rank: t.rank } : undefined;
  }

  /** From the head, the ids of rank at most `upTo`, at most `limit` of them: O(log n + limit). */
  upTo(upTo: number, limit: number): string[] {
    const out: string[] = [];
    collectUpTo(this.root, upTo, limit, out);
    return out;
  }

  /** The ids at positions `start` up to (not including) `end`, in order. */
  slice(start = 0, end = Infinity): string[] {
    const out: string[] = [];
    collect(this.root, Math.max(0, start), end, 0, out);
    return out;
  }
}
